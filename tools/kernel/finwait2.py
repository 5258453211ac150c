#!/usr/bin/env python3
"""FIN_WAIT_2: an orphan (application closed) against a socket that only did
shutdown(SHUT_WR).  In both cases the server reads the EOF and never closes.

  A. orphan, tcp_fin_timeout=5 in the client's namespace (to save waiting):
     what ss shows (state, timer), when the entry disappears after the ACK of
     the FIN, whether anything is sent then, the counters; then the server
     sends 100 bytes to the vanished connection;
  A60. orphan with tcp_fin_timeout at its default: the timer ss shows;
  B. shutdown(SHUT_WR) only: the entry watched for 20 s (state, timer), then
     the server sends 100 bytes (accepted and readable?).
Run as root, no arguments.  About 25 seconds.
"""
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("f2")
kns.header("FIN_WAIT_2: orphan vs shutdown(SHUT_WR)")
print("# client net.ipv4.tcp_fin_timeout default = %s" % net.get_sysctl(net.cli, "net.ipv4.tcp_fin_timeout"))
lst = net.listener(net.srv, kns.SERVER, 5022)
lst2 = net.listener(net.srv, kns.SERVER2, 5022)


def pair(caddr, l, saddr):
    c = net.socket(net.cli)
    c.bind((caddr, 0))
    c.connect((saddr, 5022))
    a, _ = l.accept()
    c.send(b"q" * 100)
    a.recv(1000)
    a.send(b"r" * 100)
    c.recv(1000)
    time.sleep(0.2)
    return c, a, c.getsockname()[1]


# B starts first and is watched while A runs
cb, ab, pb = pair(kns.CLIENT2, lst2, kns.SERVER2)
cb.shutdown(socket.SHUT_WR)
eof = ab.recv(1000)
tb = time.time()
fb = "src %s:%d" % (kns.CLIENT2, pb)
bseen = [(0.0, kns.ss_states(net, net.cli, fb))]

# A60: default timeout, just the timer
c6, a6, p6 = pair(kns.CLIENT, lst, kns.SERVER)
c6.close()
a6.recv(1000)
time.sleep(0.1)
print("A60 orphan, tcp_fin_timeout default: %s" % kns.ss_states(net, net.cli, "sport = :%d" % p6))
a6.close()

# A: orphan, fin_timeout 5
net.sysctl(net.cli, "net.ipv4.tcp_fin_timeout", "5")
c, a, port = pair(kns.CLIENT, lst, kns.SERVER)
cap = net.capture(net.cli, "c0", "tcp and port %d" % port)
n0 = kns.nstat(net, net.cli)
t = time.time()
c.close()
print("A   orphan, tcp_fin_timeout=5, client port %d; server read %r" % (port, a.recv(1000)))
seen = []
gone = None
while time.time() - t < 15:
    rows = kns.ss_states(net, net.cli, "sport = :%d" % port)
    if not rows:
        gone = time.time()
        break
    if not seen or seen[-1][1][0] != rows[0][0] or len(seen) < 3:
        seen.append((time.time() - t, (rows[0][0], rows[0][3])))
    last = (time.time() - t, (rows[0][0], rows[0][3]))
    time.sleep(0.01)
seen.append(last)
time.sleep(0.5)
n1 = kns.nstat(net, net.cli)
pk = cap.stop()
for s_ in seen:
    print("     %.3f s after close(): %s %s" % (s_[0], s_[1][0], s_[1][1]))
acks = [p for p in pk if p.src == kns.SERVER and p.ack is not None and "F" not in p.flags]
for p in pk:
    print("     " + p.short(t))
if gone:
    print("     entry gone %.3f s after close(), %.3f s after the ACK of the FIN" %
          (gone - t, gone - acks[0].t if acks else 0))
print("     segments sent by the client after the ACK of its FIN: %d" %
      len([p for p in pk if p.src == kns.CLIENT and acks and p.t > acks[0].t]))
print("     counters: %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
cap = net.capture(net.cli, "c0", "tcp and port %d" % port)
a.send(b"x" * 100)
time.sleep(0.1)
pk = cap.stop()
print("A   server then sends 100 bytes:")
for p in pk:
    print("     " + p.short(pk[0].t))
try:
    a.send(b"y")
    r = "ok"
except OSError as e:
    r = kns.ename(e.errno)
print("     server's next send(): %s" % r)
a.close()
net.sysctl(net.cli, "net.ipv4.tcp_fin_timeout", "60")

# B: watch to 20 s
while time.time() - tb < 20:
    time.sleep(0.5)
    rows = kns.ss_states(net, net.cli, fb)
    if rows != bseen[-1][1]:
        bseen.append((time.time() - tb, rows))
bseen.append((time.time() - tb, kns.ss_states(net, net.cli, fb)))
print("B   shutdown(SHUT_WR) only, client port %d; server read %r" % (pb, eof))
for s_ in bseen:
    print("     %.1f s: %s" % (s_[0], ["%s timer:%s" % (r[0], r[3] or "none") for r in s_[1]]))
cap = net.capture(net.cli, "c0", "tcp and port %d" % pb)
ab.send(b"z" * 100)
time.sleep(0.1)
cb.setblocking(False)
got = cb.recv(1000)
pk = cap.stop()
for p in pk:
    print("     " + p.short(pk[0].t))
print("     client recv() after the server sent 100 bytes: %d bytes" % len(got))
ab.close()
time.sleep(0.1)
print("     after the server closes: %s" % kns.ss_states(net, net.cli, fb))
cb.close()
net.cleanup()
