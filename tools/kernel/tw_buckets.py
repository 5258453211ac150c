#!/usr/bin/env python3
"""tcp_max_tw_buckets: what happens when the TIME_WAIT table is full.

tcp_max_tw_buckets is set to 2 in the client's namespace; the client opens 5
connections and closes each one first (100 bytes exchanged each way), one
after another.  Measures how many TIME-WAIT entries exist afterwards, which
netstat counters moved, and the segments of the fourth and fifth closes (is it
still the normal FIN / FIN / ACK exchange?).  Then the same with the limit at
0.  The FIN_WAIT_2 entries of orphans count against the same limit, so a
close whose FIN_WAIT_2 cannot get an entry is shown too.
Run as root, no arguments.  About 5 seconds.
"""
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("tk")
kns.header("tcp_max_tw_buckets")
lst = net.listener(net.srv, kns.SERVER, 5021)


def run(tag, limit, n=5):
    net.sysctl(net.cli, "net.ipv4.tcp_max_tw_buckets", limit)
    cap = net.capture(net.cli, "c0", "tcp and port 5021")
    n0 = kns.nstat(net, net.cli)
    ports = []
    for i in range(n):
        ports.append(kns.closed_pair(net, lst, kns.CLIENT, kns.SERVER, 5021))
    n1 = kns.nstat(net, net.cli)
    pk = cap.stop()
    rows = kns.ss_states(net, net.cli, "dst %s:5021" % kns.SERVER)
    print("%s  tcp_max_tw_buckets=%s, %d client-first closes on ports %s" % (tag, limit, n, ports))
    print("     entries afterwards: %s" % ["%s %s" % (r[1].split(":")[1], r[0]) for r in rows])
    for port in ports:
        segs = [p for p in pk if p.sport == port or p.dport == port]
        fin = [p for p in segs if "F" in p.flags]
        if fin:
            t0 = fin[0].t
            seq = " / ".join("%s %s %.3f ms" % ("c>s" if p.src == kns.CLIENT else "s>c", p.flags,
                                                 (p.t - t0) * 1000) for p in segs if p.t >= t0)
            print("     port %d close: %s" % (port, seq))
    print("     counters: %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))


run("A", "2")
time.sleep(0.1)
run("B", "0", 2)
# an orphan that cannot get a FIN_WAIT_2 entry: the server never closes
net.sysctl(net.cli, "net.ipv4.tcp_max_tw_buckets", "0")
c = net.socket(net.cli)
c.connect((kns.SERVER, 5021))
a, _ = lst.accept()
port = c.getsockname()[1]
cap = net.capture(net.cli, "c0", "tcp and port %d" % port)
n0 = kns.nstat(net, net.cli)
c.close()
time.sleep(0.3)
n1 = kns.nstat(net, net.cli)
pk = cap.stop()
print("C  tcp_max_tw_buckets=0, client closes, server never closes (orphan would sit in FIN_WAIT_2)")
for p in pk:
    print("     " + p.short(pk[0].t))
print("     client entries: %s" % kns.ss_states(net, net.cli, "sport = :%d" % port))
print("     server entries: %s" % kns.ss_states(net, net.srv, "dport = :%d" % port))
print("     counters: %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
net.cleanup()
