#!/usr/bin/env python3
"""SO_LINGER {1,2}: how long close() blocks, what it returns, what is sent.

  A. blocking socket, 100 bytes sent just before close(), every segment from
     server to client lost in the router (the peer's ACKs never arrive):
     close() duration and return value, every segment the client sends (data,
     FIN, FP. retransmissions) with the gaps, the state once close() returned;
  B. the same but nothing lost: close() returns when the FIN is acknowledged?
  C. as A, but the socket is non-blocking (O_NONBLOCK): does close() still wait?
After A and C the router forwards again and the rest of the close is shown.
Run as root, no arguments.  About 12 seconds.
"""
import socket
import struct
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("lg")
kns.header("SO_LINGER {1,2}")
lst = net.listener(net.srv, kns.SERVER, 5013)


def run(tag, what, lose, nonblock=False):
    cap = net.capture(net.cli, "c0", "tcp and port 5013")
    c = net.socket(net.cli)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.connect((kns.SERVER, 5013))
    a, _ = lst.accept()
    port = c.getsockname()[1]
    for i in range(5):
        c.send(b"Q" * 100)
        a.recv(1000)
        a.send(b"R" * 100)
        c.recv(1000)
        time.sleep(0.01)
    time.sleep(0.3)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 2))
    if nonblock:
        c.setblocking(False)
    if lose:
        net.drop(kns.SERVER, kns.CLIENT)
    n0 = kns.nstat(net, net.cli)
    t = time.time()
    c.send(b"D" * 100)
    tc = time.time()
    try:
        r = c.close()
        res = "returned %r (0)" % r
    except OSError as e:
        res = "failed %s" % kns.ename(e.errno)
    dt = time.time() - tc
    after = kns.ss_states(net, net.cli, "sport = :%d" % port)
    print("%s  %s, client port %d" % (tag, what, port))
    print("     close() %s after %s" % (res, kns.ms(dt)))
    print("     client entry when close() returned: %s" % after)
    if lose:
        time.sleep(1.5)
        net.undrop(kns.SERVER, kns.CLIENT)
    time.sleep(1.0)
    n1 = kns.nstat(net, net.cli)
    data = a.recv(1000)
    eof = a.recv(1000)
    a.close()
    time.sleep(0.2)
    pk = cap.stop()
    print("     server read %d bytes then %r" % (len(data), eof[:10]))
    for p in pk:
        if p.t >= t - 0.001:
            print("     " + p.short(tc))
    outs = [p for p in pk if p.t >= t - 0.001 and p.src == kns.CLIENT and (p.len or "F" in p.flags)]
    print("     client data/FIN segments at (ms from close()): %s" %
          ", ".join("%.3f %s" % ((p.t - tc) * 1000, p.flags) for p in outs))
    print("     gaps (ms): %s" % kns.gaps([p.t for p in outs]))
    print("     counters (client, until 1 s after the loss ended): %s" %
          (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
    print("     client entries at the end: %s" % kns.ss_states(net, net.cli, "sport = :%d" % port))


run("A", "blocking, peer's ACKs lost", True)
run("B", "blocking, nothing lost", False)
run("C", "non-blocking, peer's ACKs lost", True, nonblock=True)
lst.close()
net.cleanup()
