#!/usr/bin/env python3
"""close() that aborts: unread data in the receive queue, and SO_LINGER {1,0}.

For each case the client closes its socket and this prints the segment it
sends (flags, seq, ack, relative to its SND.NXT / RCV.NXT just before), the
client's ss -tan entries afterwards (is anything left, TIME_WAIT?), what the
server's next recv() returns, and the netstat counters that moved in the
client's namespace.
  A. 100 bytes from the server unread, plain close();
  B. SO_LINGER {1,0}, nothing unread, nothing unacknowledged (ESTABLISHED);
  C. SO_LINGER {1,0} and 100 bytes unread (which rule wins, which counter);
  D. SO_LINGER {1,0} with 100 bytes sent but unacknowledged (the router drops
     client->server): RST sequence number, send queue discarded;
  E. SO_LINGER {1,0} in CLOSE_WAIT (the server closed first);
  F. for comparison, a plain close() with nothing unread (FIN).
Run as root, no arguments.  About 5 seconds.
"""
import socket
import struct
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("ca")
kns.header("close() with unread data, SO_LINGER {1,0}")
lst = net.listener(net.srv, kns.SERVER, 5012)


def run(tag, what, unread=False, linger0=False, unacked=False, peer_closed=False):
    cap = net.capture(net.cli, "c0", "tcp and port 5012")
    c = net.socket(net.cli)
    c.connect((kns.SERVER, 5012))
    a, _ = lst.accept()
    port = c.getsockname()[1]
    c.send(b"q" * 100)
    a.recv(1000)
    a.send(b"r" * 100)
    c.recv(1000)
    time.sleep(0.3)
    t_mark = time.time()
    if unread:
        a.send(b"u" * 100)
    if peer_closed:
        a.shutdown(socket.SHUT_WR)
    if unacked:
        net.drop(kns.CLIENT, kns.SERVER)
        c.send(b"d" * 100)
    time.sleep(0.1)
    state = net.ss(net.cli, "sport = :%d" % port).split()[0]
    if linger0:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    n0 = kns.nstat(net, net.cli)
    t = time.time()
    c.close()
    dt = time.time() - t
    time.sleep(0.3)
    n1 = kns.nstat(net, net.cli)
    left = kns.ss_states(net, net.cli, "sport = :%d" % port)
    pk = cap.stop()
    if unacked:
        net.undrop(kns.CLIENT, kns.SERVER)
    mine = [p for p in pk if p.src == kns.CLIENT]
    pre = [p for p in pk if p.t < t]
    cl_pre = [p for p in pre if p.src == kns.CLIENT]
    sv_pre = [p for p in pre if p.src == kns.SERVER]
    snd_nxt = max(((p.end + (1 if "F" in p.flags else 0)) for p in cl_pre), default=None)
    rcv_nxt = max(((p.end + (1 if "F" in p.flags else 0)) for p in sv_pre), default=None)
    print("%s  %s (client port %d, state before close %s)" % (tag, what, port, state))
    print("     close() returned after %s" % kns.ms(dt))
    for p in pk:
        if p.t >= t_mark:
            print("     " + p.short(t))
    for p in [p for p in mine if p.t >= t][:2]:
        rel = []
        if snd_nxt is not None:
            rel.append("seq = SND.NXT%+d" % ((p.seq - snd_nxt + 2**31) % 2**32 - 2**31))
        if p.ack is not None and rcv_nxt is not None:
            rel.append("ack = RCV.NXT%+d" % ((p.ack - rcv_nxt + 2**31) % 2**32 - 2**31))
        print("     client sent [%s] %s" % (p.flags, ", ".join(rel)))
    print("     client entries afterwards: %s" % (left or "none"))
    try:
        a.setblocking(False)
        r = a.recv(1000)
        print("     server recv() -> %d bytes" % len(r))
    except OSError as e:
        print("     server recv() -> %s%s" % (kns.ename(e.errno), " (the RST was lost in the router)"
                                          if unacked else ""))
    print("     counters: %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
    a.close()


run("A", "100 bytes unread, close()", unread=True)
run("B", "SO_LINGER {1,0}, ESTABLISHED, nothing pending", linger0=True)
run("C", "SO_LINGER {1,0} and 100 bytes unread", unread=True, linger0=True)
run("D", "SO_LINGER {1,0}, 100 bytes sent and unacknowledged", linger0=True, unacked=True)
run("E", "SO_LINGER {1,0} in CLOSE_WAIT", linger0=True, peer_closed=True)
run("F", "plain close(), nothing unread", )
lst.close()
net.cleanup()
