#!/usr/bin/env python3
"""Delayed ACK on the receiving side.

Each case uses a fresh connection; the server application reads all the time
(a thread blocked in recv()) and answers only requests.  Times are measured
on the server's own interface: from the arrival of a data segment to the
departure of the ACK for it.
  1. Quick-ACK at the start: the client sends 100 bytes right after the
     handshake; no reply.
  2. Interactive (pingpong) mode: 5 request/response exchanges (100 bytes
     each way, 20 ms apart), then 100 bytes one way with no reply; then
     another 100 bytes one way 300 ms later.
  3. After the same exchanges, one full-size segment one way.
  4. After the same exchanges, two full-size segments back to back.
  5. After the same exchanges, three full-size segments back to back.
  6. Fresh connection, no exchanges: 24 segments of 100 bytes one way, 30 ms
     apart (how many get an immediate ACK, what the delay is afterwards).
  7. As 6, but the server application never reads.
Run as root, no arguments.
"""
import socket
import sys
import threading
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("da")
kns.header("delayed ACK")
print("# server tcp_pingpong_thresh = %s" % net.get_sysctl(net.srv, "net.ipv4.tcp_pingpong_thresh"))
lst = net.listener(net.srv, kns.SERVER, 5005)
cap = net.capture(net.srv, "s0")


def serve(a):
    while True:
        try:
            d = a.recv(65536)
        except OSError:
            return
        if not d:
            return
        if d[:1] == b"Q":
            a.send(b"R" * len(d))


cases = []


def case(name, fn, reader=True):
    c = net.socket(net.cli)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.connect((kns.SERVER, 5005))
    a, _ = lst.accept()
    if reader:
        threading.Thread(target=serve, args=(a,), daemon=True).start()
    fn(c)
    time.sleep(0.4)
    cases.append((name, c.getsockname()[1], net.ss(net.srv, "state established sport = :5005")))
    c.close()
    a.close()
    time.sleep(0.05)


def exchanges(c, n=5):
    for i in range(n):
        c.send(b"Q" * 100)
        got = 0
        while got < 100:
            got += len(c.recv(1000))
        time.sleep(0.02)


def c1(c):
    c.send(b"D" * 100)


def c2(c):
    exchanges(c)
    c.send(b"D" * 100)
    time.sleep(0.3)
    c.send(b"D" * 100)


def full(n):
    def f(c):
        exchanges(c)
        c.send(b"D" * (1448 * n))
    return f


def c6(c):
    for i in range(24):
        c.send(b"D" * 100)
        time.sleep(0.03)


case("1 first data segment after the handshake", c1)
case("2 one-way 100 B after 5 exchanges, then again 300 ms later", c2)
case("3 one full-size segment after 5 exchanges", full(1))
case("4 two full-size segments after 5 exchanges", full(2))
case("5 three full-size segments after 5 exchanges", full(3))
case("6 24 x 100 B one way, 30 ms apart, fresh connection", c6)
case("7 as 6, but the server application never reads", c6, reader=False)
pkts = cap.stop()

for name, port, ssout in cases:
    print("\n## case %s (client port %d)" % (name, port))
    conn = [p for p in pkts if port in (p.sport, p.dport)]
    t0 = conn[0].t
    delays = []
    pending = []   # client data segments not yet acknowledged
    for p in conn:
        if p.src == kns.CLIENT and p.len > 0:
            pending.append(p)
        if p.src == kns.SERVER and p.ack is not None and pending:
            acked = [q for q in pending if q.end <= p.ack]
            if acked:
                kind = "pure ACK" if p.len == 0 else "ACK on data"
                d = (p.t - acked[-1].t) * 1000
                delays.append((acked[-1].t - t0, len(acked), d, kind))
                pending = [q for q in pending if q.end > p.ack]
    for p in conn:
        print("  " + p.short(t0))
    print("  ACKs for client data: (data arrival ms, segments covered, delay ms, kind)")
    for t, n, d, k in delays:
        print("    at %9.3f ms: %d seg, %8.3f ms, %s" % (t * 1000, n, d, k))
    print("  ss on the server afterwards: " + " ".join(ssout.split())[:200])
lst.close()
net.cleanup()
