#!/usr/bin/env python3
"""Connecting to a port with no listener.

Measures: the segment the server host answers a SYN with (flags, seq, ack,
window, options, delay), the errno of a blocking connect(), and SO_ERROR and
the later calls after a non-blocking connect() that is refused.
Run as root, no arguments.
"""
import errno
import select
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("rf")
kns.header("connect() to a closed port")
cap = net.capture(net.cli, "c0")

s = net.socket(net.cli)
t0 = time.time()
e = s.connect_ex((kns.SERVER, 5999))
t1 = time.time()
port = s.getsockname()[1] if e == 0 else None
print("blocking connect(): %s after %s" % (kns.ename(e), kns.ms(t1 - t0)))
s.close()

n = net.socket(net.cli)
n.setblocking(False)
e1 = n.connect_ex((kns.SERVER, 5998))
select.select([], [n], [], 2)
so = n.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
so2 = n.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
e2 = n.connect_ex((kns.SERVER, 5998))
print("non-blocking connect(): %s; after writable: SO_ERROR %s, read again %s; connect() again: %s"
      % (kns.ename(e1), kns.ename(so), kns.ename(so2), kns.ename(e2)))
n.close()

n = net.socket(net.cli)
n.setblocking(False)
n.connect_ex((kns.SERVER, 5997))
select.select([], [n], [], 2)
seq = [n.connect_ex((kns.SERVER, 5997)) for _ in range(3)]
print("non-blocking connect() refused, then connect() three times without reading SO_ERROR: %s"
      % ", ".join(kns.ename(x) for x in seq))
n.close()
time.sleep(0.1)
pkts = cap.stop()
t0 = pkts[0].t
for p in pkts:
    print(p.short(t0))
syn = pkts[0]
rst = pkts[1]
print("\nreply to SYN seq %d: flags [%s] seq %d ack %s (SYN seq + 1 = %d) win %d options [%s] len %d, %s after the SYN"
      % (syn.seq, rst.flags, rst.seq, rst.ack, syn.seq + 1, rst.win, rst.opts, rst.len,
         kns.ms(rst.t - syn.t)))
net.cleanup()
