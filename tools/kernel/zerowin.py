#!/usr/bin/env python3
"""Zero-window probing (persist timer).

The server's listening socket has SO_RCVBUF = 32768 (inherited by the accepted
socket) and the server application never reads; the client writes without
blocking until its send buffer is full.  Measures:
  - the receive buffer the kernel actually gives, the window scale, and the
    window values the server advertises as its buffer fills, down to 0;
  - the client's zero-window probes over about 13 s: their times, gaps, sequence
    number (relative to SND.UNA) and length, and the server's answers;
  - what ss -tanoi shows on the client (timer:(persist,...), backoff);
  - after the server application reads everything: when the window update
    leaves, and when the client resumes.
Run as root, no arguments.  About 16 seconds.
"""
import re
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("zw")
kns.header("zero window probing")
RCVBUF = 32768
lst = net.listener(net.srv, kns.SERVER, 5007, rcvbuf=RCVBUF)
print("# listener SO_RCVBUF asked %d, got %d" % (RCVBUF, lst.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)))
cap = net.capture(net.cli, "c0", "tcp port 5007")
c = net.socket(net.cli)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.connect((kns.SERVER, 5007))
a, _ = lst.accept()
print("# accepted socket SO_RCVBUF %d" % a.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
c.setblocking(False)
sent = 0
samples = []
t_start = time.time()
flt = "sport = :%d" % c.getsockname()[1]
while time.time() - t_start < 13.5:
    try:
        while True:
            sent += c.send(b"D" * 1000)
    except BlockingIOError:
        pass
    samples.append((time.time(), net.ss(net.cli, flt)))
    time.sleep(0.04)
print("# client wrote %d bytes before its send buffer filled" % sent)
t_probe_start = t_start + 1.0
srv_ss = net.ss(net.srv, "sport = :5007")
t_read = time.time()
a.setblocking(False)
got = 0
while True:
    try:
        d = a.recv(65536)
        if not d:
            break
        got += len(d)
    except BlockingIOError:
        if time.time() - t_read > 2.0:
            break
        time.sleep(0.001)
print("# server application read %d bytes" % got)
pkts = cap.stop()

syn = pkts[0]
sa = pkts[1]
ws = int(re.search(r"wscale (\d+)", sa.opts).group(1)) if "wscale" in sa.opts else 0
print("SYN-ACK window %d, server wscale %d" % (sa.win, ws))
t0 = syn.t
print("\n## segments until the window is 0 (window in bytes = field << %d)" % ws)
zero_t = None
for p in pkts[2:]:
    if p.t > t_probe_start:
        break
    if p.src == kns.SERVER:
        print("  %9.3f ms server [%s] seq %d ack %d win %d (%d bytes) len %d" %
              ((p.t - t0) * 1000, p.flags, p.seq, p.ack, p.win, p.win << ws, p.len))
        if p.win == 0 and zero_t is None:
            zero_t = p.t
            zero_ack = p.ack
    else:
        print("  %9.3f ms client [%s] seq %d len %d" % ((p.t - t0) * 1000, p.flags, p.seq, p.len))
print("\n## client segments after the first zero window (ms from the zero-window ACK)")
probes = []
for p in pkts:
    if p.t <= zero_t or p.t > t_read:
        continue
    if p.src == kns.CLIENT:
        probes.append(p)
        print("  %10.3f ms client [%s] seq %d (SND.UNA%+d) len %d" %
              ((p.t - zero_t) * 1000, p.flags, p.seq, p.seq - zero_ack, p.len))
    else:
        print("  %10.3f ms server [%s] ack %d win %d" % ((p.t - zero_t) * 1000, p.flags, p.ack, p.win))
print("probe gaps (zero-window ACK -> first probe, then between probes) ms: %s" %
      kns.gaps([zero_t] + [p.t for p in probes]))
print("\n## ss on the client during probing (first sample of each change)")
last = None
for t, out in samples:
    m = re.search(r"timer:\(([^)]*)\)", out)
    tm = m.group(1) if m else "none"
    b = re.search(r"backoff:(\d+)", out)
    key = (tm.split(",")[0], tm.split(",")[-1], b.group(1) if b else "-")
    if key != last:
        r = re.search(r"rto:(\S+)", out)
        print("  %9.1f ms timer:(%s) backoff:%s rto:%s" % ((t - zero_t) * 1000, tm,
                                                       b.group(1) if b else "-", r.group(1) if r else "-"))
        last = key
print("server ss before reading: " + " ".join(srv_ss.split())[:260])
print("\n## after the server application starts reading (ms from the first recv())")
for p in [p for p in pkts if p.t > t_read][:6]:
    print("  " + p.short(t_read))
c.close()
a.close()
lst.close()
net.cleanup()
