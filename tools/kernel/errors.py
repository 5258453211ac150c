#!/usr/bin/env python3
"""errno values the socket calls return, on real TCP sockets.

Each line is one call in one situation, with the errno the kernel gave (0 for
success).  Connections go through the router namespace; "unreachable" means
the router silently drops the client's segments, so a connect() stays in
progress.  Python ignores SIGPIPE, so a send that would raise it returns EPIPE.
Run as root, no arguments.
"""
import select
import socket
import struct
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("er")
kns.header("errno values")
lst = net.listener(net.srv, kns.SERVER, 5008)
DEST = (kns.SERVER, 5008)
LOST = (kns.SERVER2, 5008)          # client -> SERVER2 is dropped at the router
net.drop(kns.CLIENT, kns.SERVER2)
net.drop(kns.CLIENT2, kns.SERVER2)
rows = []


def call(desc, fn):
    try:
        r = fn()
        e = 0
    except OSError as ex:
        if ex.errno is None:
            raise RuntimeError("not a kernel errno: %r" % ex)
        e = ex.errno
        r = None
    rows.append((desc, e))
    print("%-78s %s" % (desc, kns.ename(e)))
    return r


def cli():
    return net.socket(net.cli)


def connected():
    s = cli()
    s.connect(DEST)
    a, _ = lst.accept()
    return s, a


# --- reading and writing -------------------------------------------------------
s, a = connected()
s.setblocking(False)
call("recv() on a non-blocking connected socket, nothing queued", lambda: s.recv(100))
s.setblocking(True)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 200000))
call("recv() with SO_RCVTIMEO 200 ms (blocking socket), nothing queued", lambda: s.recv(100))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 0))
u = cli()
call("send() on a never-connected socket", lambda: u.send(b"x"))
call("send(MSG_NOSIGNAL) on a never-connected socket", lambda: u.send(b"x", socket.MSG_NOSIGNAL))
call("recv() on a never-connected socket", lambda: u.recv(10))
call("shutdown(SHUT_WR) on a never-connected socket", lambda: u.shutdown(socket.SHUT_WR))
call("getpeername() on a never-connected socket", lambda: u.getpeername())
s.shutdown(socket.SHUT_WR)
call("send() after shutdown(SHUT_WR)", lambda: s.send(b"x"))
call("recv() after shutdown(SHUT_WR), peer sent nothing, non-blocking",
     lambda: s.recv(10, socket.MSG_DONTWAIT))
s.close()
a.close()

# --- connect ------------------------------------------------------------------------
n = cli()
n.setblocking(False)
call("connect() non-blocking, unreachable peer", lambda: n.connect(LOST))
call("connect() again while the first is in progress", lambda: n.connect(LOST))
call("connect() to another address while in progress", lambda: n.connect(DEST))
call("send() while connect() is in progress (non-blocking)", lambda: n.send(b"x"))
call("recv() while connect() is in progress (non-blocking)", lambda: n.recv(10))
call("listen() while connect() is in progress", lambda: n.listen(1))
n.close()

b = cli()
b.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 0, 300000))
call("blocking connect() with SO_SNDTIMEO 300 ms, unreachable peer", lambda: b.connect(LOST))
call("connect() again after that timeout", lambda: b.connect(LOST))
b.close()

n = cli()
n.setblocking(False)
call("connect() non-blocking to a listener", lambda: n.connect(DEST))
select.select([], [n], [], 2)
call("getsockopt(SO_ERROR) once writable", lambda: n.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) or None)
call("connect() again once established (first time)", lambda: n.connect(DEST))
call("connect() again once established (second time)", lambda: n.connect(DEST))
lst.accept()[0].close()
n.close()

s, a = connected()
call("connect() on a socket connected by a blocking connect()", lambda: s.connect(DEST))
call("connect() on it to a different destination", lambda: s.connect((kns.SERVER, 5999)))
call("listen() on a connected socket", lambda: s.listen(5))
call("accept() on a connected socket", lambda: s.accept())
call("bind() on a connected (already bound) socket", lambda: s.bind((kns.CLIENT, 0)))
s.close()
a.close()

# --- bind / listen / accept -----------------------------------------------------------
f = cli()
call("accept() on a fresh socket (not listening)", lambda: f.accept())
f.bind((kns.CLIENT, 0))
call("accept() on a bound, not listening socket", lambda: f.accept())
call("bind() again on a bound socket", lambda: f.bind((kns.CLIENT, 0)))
f.close()
l1 = net.listener(net.cli, kns.CLIENT, 6000)
x = cli()
call("bind() to a port held by a listener (no SO_REUSEADDR)", lambda: x.bind((kns.CLIENT, 6000)))
x.close()
x = cli()
x.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
call("bind() to a port held by a listener (both SO_REUSEADDR)", lambda: x.bind((kns.CLIENT, 6000)))
x.close()
x = cli()
call("bind() to 0.0.0.0 on a port held by a listener on one address",
     lambda: x.bind(("0.0.0.0", 6000)))
x.close()
l1.setblocking(False)
call("accept() on a non-blocking listener, nothing pending", lambda: l1.accept())
call("connect() on a listening socket", lambda: l1.connect(DEST))
call("send() on a listening socket", lambda: l1.send(b"x"))
call("recv() on a listening socket", lambda: l1.recv(10))
call("listen() again on a listening socket", lambda: l1.listen(10))
l1.close()
x = cli()
call("bind() to an address not on this host", lambda: x.bind(("10.77.3.9", 0)))
x.close()

# --- after a reset ----------------------------------------------------------------------
s, a = connected()
a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
a.close()
time.sleep(0.1)
call("recv() after the peer's RST (first call)", lambda: s.recv(10))
call("recv() after the peer's RST (second call)", lambda: s.recv(10) and None)
call("send() after the peer's RST", lambda: s.send(b"x"))
call("getsockopt(SO_ERROR) after all that", lambda: s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) or None)
s.close()
s, a = connected()
a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
a.close()
time.sleep(0.1)
call("getsockopt(SO_ERROR) after the peer's RST, before any call",
     lambda: (_ for _ in ()).throw(OSError(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), "")))
call("send() after that (error already consumed)", lambda: s.send(b"x"))
call("recv() after that", lambda: s.recv(10) and None)
s.close()
s, a = connected()
a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
a.close()
time.sleep(0.1)
call("send() after the peer's RST (first call)", lambda: s.send(b"x"))
call("send() after the peer's RST (second call)", lambda: s.send(b"x"))
s.close()
fd = cli()
fd.close()
call("connect() on a closed descriptor", lambda: fd.connect(DEST))
lst.close()
net.cleanup()
