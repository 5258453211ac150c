#!/usr/bin/env python3
"""shutdown(SHUT_RD), then the peer sends data.

  A. client does shutdown(SHUT_RD) in ESTABLISHED: what is sent (nothing?),
     recv() on the empty queue (returns 0 at once?), then the server sends
     100 bytes: are they ACKed, and does recv() return them?  Then recv()
     again on the empty queue;
  B. client does shutdown(SHUT_RD) then shutdown(SHUT_WR) (FIN_WAIT_1 ->
     FIN_WAIT_2 once the FIN is ACKed); the server reads the EOF and sends 100
     bytes: what the client sends back, its counters, and what the client's and
     the server's next calls return;
  C. as B with shutdown(SHUT_RDWR) in one call.
Run as root, no arguments.  About 4 seconds.
"""
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("sr")
kns.header("shutdown(SHUT_RD)")
lst = net.listener(net.srv, kns.SERVER, 5023)


def call(fn):
    t = time.time()
    try:
        r = fn()
        out = "%d bytes" % (r if isinstance(r, int) else len(r))
    except OSError as e:
        out = kns.ename(e.errno)
    return "%s (%s)" % (out, kns.ms(time.time() - t))


def pair():
    c = net.socket(net.cli)
    c.connect((kns.SERVER, 5023))
    a, _ = lst.accept()
    c.send(b"q" * 100)
    a.recv(1000)
    a.send(b"r" * 100)
    c.recv(1000)
    time.sleep(0.2)
    return c, a, c.getsockname()[1]


c, a, port = pair()
cap = net.capture(net.cli, "c0", "tcp and port %d" % port)
n0 = kns.nstat(net, net.cli)
t = time.time()
c.shutdown(socket.SHUT_RD)
time.sleep(0.05)
print("A   shutdown(SHUT_RD), client port %d; state: %s" %
      (port, kns.ss_states(net, net.cli, "sport = :%d" % port)[0][0]))
print("     blocking recv() on the empty queue: %s" % call(lambda: c.recv(1000)))
a.send(b"x" * 100)
time.sleep(0.1)
print("     server sent 100 bytes; client Recv-Q now: %s" %
      net.ex(net.cli, "ss -tanH sport = :%d" % port, capture=True).split()[1])
print("     recv(): %s" % call(lambda: c.recv(1000)))
print("     recv() again (blocking, empty queue): %s" % call(lambda: c.recv(1000)))
a.send(b"y" * 100)
time.sleep(0.1)
print("     server sent 100 more; recv(): %s" % call(lambda: c.recv(1000)))
print("     client send() still works: %s" % call(lambda: c.send(b"z" * 10)))
print("     server recv(): %s" % call(lambda: a.recv(1000)))
n1 = kns.nstat(net, net.cli)
pk = cap.stop()
for p in pk:
    print("     " + p.short(t))
print("     counters: %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
c.close()
a.close()


def run(tag, what, how):
    c, a, port = pair()
    cap = net.capture(net.cli, "c0", "tcp and port %d" % port)
    t = time.time()
    how(c)
    eof = a.recv(1000)
    time.sleep(0.1)
    st = kns.ss_states(net, net.cli, "sport = :%d" % port)
    n0 = kns.nstat(net, net.cli)
    r1 = call(lambda: a.send(b"x" * 100))
    time.sleep(0.1)
    n1 = kns.nstat(net, net.cli)
    st2 = kns.ss_states(net, net.cli, "sport = :%d" % port)
    pk = cap.stop()
    print("%s  %s, client port %d; server read %r; client state then %s" %
          (tag, what, port, eof, st[0][0] if st else "none"))
    for p in pk:
        print("     " + p.short(t))
    print("     server send(100) -> %s; client entry afterwards: %s" %
          (r1, st2[0][0] if st2 else "none"))
    print("     counters: %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
    c.setblocking(False)
    print("     client: recv() -> %s, recv() -> %s, send() -> %s, SO_ERROR then %d" %
          (call(lambda: c.recv(1000)), call(lambda: c.recv(1000)), call(lambda: c.send(b"w")),
           c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
    print("     server: send() -> %s, send() -> %s, recv() -> %s" %
          (call(lambda: a.send(b"v")), call(lambda: a.send(b"v")), call(lambda: a.recv(1000))))
    c.close()
    a.close()


run("B", "shutdown(SHUT_RD) then shutdown(SHUT_WR)",
    lambda c: (c.shutdown(socket.SHUT_RD), c.shutdown(socket.SHUT_WR)))
run("C", "shutdown(SHUT_RDWR)", lambda c: c.shutdown(socket.SHUT_RDWR))
lst.close()
net.cleanup()
