#!/usr/bin/env python3
"""SYN retransmission with every setting at the kernel default.

The client's SYNs are lost in the router; tcp_syn_retries (6) and
tcp_syn_linear_timeouts (4) are left alone.  Measures the send time of every
SYN and when and with which errno the blocking connect() fails.
(syn_retrans.py covers the same with tcp_syn_retries = 3, which is quicker.)
Run as root, no arguments.  About 135 seconds.
"""
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("sd")
kns.header("SYN retransmission, kernel defaults")
for k in ("net.ipv4.tcp_syn_retries", "net.ipv4.tcp_syn_linear_timeouts"):
    print("# client %s = %s" % (k, net.get_sysctl(net.cli, k)))
cap = net.capture(net.cli, "c0")
net.drop(kns.CLIENT, kns.SERVER)
s = net.socket(net.cli)
t0 = time.time()
e = s.connect_ex((kns.SERVER, 5010))
t1 = time.time()
s.close()
pkts = cap.stop()
syns = [p for p in pkts if p.flags == "S"]
ts = [p.t for p in syns]
print("SYNs sent: %d, at (s from connect()): %s" % (len(syns), ", ".join("%.3f" % (t - t0) for t in ts)))
print("gaps between SYNs (ms): %s" % kns.gaps(ts))
print("connect() returned %s after %.3f s (%.3f s after the last SYN)" %
      (kns.ename(e), t1 - t0, t1 - ts[-1]))
net.cleanup()
