#!/usr/bin/env python3
"""bind() to a local port held by a TIME_WAIT entry.

The client's socket is bound to an explicit port P, connects, exchanges 100
bytes each way and closes first, so P is held by TIME_WAIT.  Then new sockets
on the client host try to bind P:
  with / without SO_REUSEADDR on the new socket, with the old socket having had
  SO_REUSEADDR or not; to the same address and to 0.0.0.0; with a listener
  (SO_REUSEADDR) also on P; and a socket bound over TIME_WAIT then connect()s
  to the same server address and port (the 4-tuple of the TIME_WAIT entry)
  and to another port.
Also the server-restart case: the server closes first, so its listening port
is held by TIME_WAIT; the listener is closed and a new one binds that port.
Each line is one call and its errno (0 = success).
Run as root, no arguments.  About 3 seconds.
"""
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("tb")
kns.header("bind() over TIME_WAIT")
lst = net.listener(net.srv, kns.SERVER, 5016)


def call(desc, fn):
    try:
        fn()
        e = 0
    except OSError as ex:
        e = ex.errno
    print("%-86s %s" % (desc, kns.ename(e)))
    return e


def tw_on(port, old_reuse):
    c = net.socket(net.cli)
    if old_reuse:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((kns.CLIENT, port))
    c.connect((kns.SERVER, 5016))
    a, _ = lst.accept()
    c.send(b"q" * 100)
    a.recv(1000)
    a.send(b"r" * 100)
    c.recv(1000)
    c.close()
    a.recv(1000)
    a.close()
    time.sleep(0.2)
    rows = kns.ss_states(net, net.cli, "sport = :%d" % port)
    print("# port %d (old socket SO_REUSEADDR=%d): %s" % (port, old_reuse,
                                                        "; ".join(r[0] for r in rows)))


def new(reuse):
    s = net.socket(net.cli)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return s


for old_reuse, P in ((0, 42000), (1, 42100)):
    tw_on(P, old_reuse)
    s = new(0)
    call("bind(%s:%d), no SO_REUSEADDR" % (kns.CLIENT, P), lambda: s.bind((kns.CLIENT, P)))
    s.close()
    s = new(0)
    call("bind(0.0.0.0:%d), no SO_REUSEADDR" % P, lambda: s.bind(("0.0.0.0", P)))
    s.close()
    s = new(1)
    call("bind(0.0.0.0:%d), SO_REUSEADDR on the new socket" % P, lambda: s.bind(("0.0.0.0", P)))
    s.close()
    s = new(1)
    e = call("bind(%s:%d), SO_REUSEADDR on the new socket" % (kns.CLIENT, P),
             lambda: s.bind((kns.CLIENT, P)))
    if e == 0:
        cap = net.capture(net.cli, "c0", "tcp and port %d" % P)
        e = call("  then connect() to the TIME_WAIT entry's peer %s:5016 (same 4-tuple)" % kns.SERVER,
                 lambda: s.connect((kns.SERVER, 5016)))
        pk = cap.stop()
        if e == 0:
            lst.accept()[0].close()
            syn = [p for p in pk if p.flags == "S"]
            print("#   its SYN: %s" % (syn[0].short(syn[0].t) if syn else "none seen"))
        s.close()
        s = new(1)
        s.bind((kns.CLIENT, P))
        l2 = net.listener(net.srv, kns.SERVER, 5017)
        call("  a second socket bound there connect()s to %s:5017 (another 4-tuple)" % kns.SERVER,
             lambda: s.connect((kns.SERVER, 5017)))
        s2 = new(1)
        call("  while that connection exists: bind(%s:%d), SO_REUSEADDR" % (kns.CLIENT, P),
             lambda: s2.bind((kns.CLIENT, P)))
        s2.close()
        l2.accept()[0].close()
        l2.close()
    s.close()
    time.sleep(0.1)
    L = new(1)
    e = call("listener: bind(%s:%d) with SO_REUSEADDR" % (kns.CLIENT, P),
             lambda: L.bind((kns.CLIENT, P)))
    if e == 0:
        call("listener: listen()", lambda: L.listen(5))
    s = new(1)
    if e == 0:
        call("with that listener on %d too: bind(%s:%d), SO_REUSEADDR" % (P, kns.CLIENT, P),
             lambda: s.bind((kns.CLIENT, P)))
        s.close()
        s = new(0)
        call("with that listener on %d too: bind(%s:%d), no SO_REUSEADDR" % (P, kns.CLIENT, P),
             lambda: s.bind((kns.CLIENT, P)))
    s.close()
    L.close()
    print("# entries on port %d now: %s" % (P, "; ".join(r[0] for r in kns.ss_states(
        net, net.cli, "sport = :%d" % P))))

# server restart: the server closes first, its listening port is held by TIME_WAIT
print("# server restart: server closes first on port 5016, then its listener is closed")
kns.closed_pair(net, lst, kns.CLIENT, kns.SERVER, 5016, first="server")
lst.close()
print("# server entries on 5016: %s" % "; ".join(r[0] for r in kns.ss_states(net, net.srv, "sport = :5016")))
L = net.socket(net.srv)
call("new listener bind(%s:5016), no SO_REUSEADDR" % kns.SERVER, lambda: L.bind((kns.SERVER, 5016)))
L.close()
L = net.socket(net.srv)
L.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
call("new listener bind(%s:5016), SO_REUSEADDR" % kns.SERVER, lambda: L.bind((kns.SERVER, 5016)))
call("  listen()", lambda: L.listen(5))
L.close()
net.cleanup()
