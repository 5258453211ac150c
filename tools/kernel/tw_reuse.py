#!/usr/bin/env python3
"""tcp_tw_reuse: connect() reusing a local port held by TIME_WAIT.

The client's ip_local_port_range is set to 40000-40009 (10 ports).  For each
case ten connections to one destination are opened, the client closes all of
them first (all ten ports end in TIME_WAIT within about 0.1 s), and then new
connect()s to the same destination are tried at growing delays after the last
TIME_WAIT entry was made, until one succeeds (or 3 s pass):
  0. tcp_tw_reuse=0, timestamps on;
  1. tcp_tw_reuse=1, timestamps on (tcp_tw_reuse_delay at its default);
  1n. tcp_tw_reuse=1, timestamps off on both hosts;
  2. tcp_tw_reuse=2 (the default), over the veth path (not loopback);
  2l. tcp_tw_reuse=2 over loopback (client and listener both in the client's
     namespace, 127.0.0.1).
For a success: which port, the new SYN's ISN and TS val against the old
connection on that port (SND.NXT, last TS val), and the counters that moved.
Run as root, no arguments.  About 15 seconds.
"""
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("tr")
kns.header("tcp_tw_reuse")
net.sysctl(net.cli, "net.ipv4.ip_local_port_range", "40000 40009")
for k in ("net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_tw_reuse_delay", "net.ipv4.ip_local_port_range"):
    print("# client %s = %s" % (k, net.get_sysctl(net.cli, k)))
DELAYS = [0.1, 0.5, 0.9, 1.1, 1.5, 2.0, 3.0]


def rel(a, b):
    return (a - b + 2**31) % 2**32 - 2**31


def run(tag, what, reuse, ts, dest, iface="c0", lns=None):
    for ns in (net.cli, net.srv):
        net.sysctl(ns, "net.ipv4.tcp_timestamps", ts)
    net.sysctl(net.cli, "net.ipv4.tcp_tw_reuse", reuse)
    lst = net.listener(lns or net.srv, dest[0], dest[1])
    cap = net.capture(net.cli, iface, "tcp and port %d" % dest[1])
    pairs = []
    for i in range(10):
        c = net.socket(net.cli)
        c.connect(dest)
        a, _ = lst.accept()
        c.send(b"q" * 100)
        a.recv(1000)
        pairs.append((c, a))
    ports = sorted(c.getsockname()[1] for c, a in pairs)
    for c, a in pairs:
        c.close()
    for c, a in pairs:
        a.recv(1000)
        a.close()
    time.sleep(0.01)
    t_made = time.time()
    tw = [r for r in kns.ss_states(net, net.cli, "dst %s:%d" % dest) if r[0] == "TIME-WAIT"]
    n0 = kns.nstat(net, net.cli)
    print("%s  %s: %d TIME-WAIT entries to %s:%d on ports %s" %
          (tag, what, len(tw), dest[0], dest[1], ports))
    got = None
    for d in DELAYS:
        while time.time() - t_made < d:
            time.sleep(0.005)
        c = net.socket(net.cli)
        t = time.time() - t_made
        try:
            c.connect(dest)
            got = c
            print("     connect() %.3f s after: success from port %d" % (t, c.getsockname()[1]))
            break
        except OSError as e:
            print("     connect() %.3f s after: %s" % (t, kns.ename(e.errno)))
            c.close()
    time.sleep(0.05)
    n1 = kns.nstat(net, net.cli)
    pk = cap.stop()
    if got is not None:
        port = got.getsockname()[1]
        mine = [p for p in pk if p.sport == port and p.src in (kns.CLIENT, "127.0.0.1")
                and p.dport == dest[1]]
        fins = [p for p in mine if "F" in p.flags]
        syns = [p for p in mine if p.flags == "S"]
        peer = [p for p in pk if p.dport == port and p.sport == dest[1] and p.t < syns[-1].t]
        if fins and len(syns) >= 2:
            print("     new SYN: ISN = old SND.NXT %+d; TS val = old connection's last TS val %+d;"
                  " TS ecr %s" % (rel(syns[-1].seq, fins[-1].seq + 1),
                                  rel(syns[-1].tsval, [p for p in mine if p.t < syns[-1].t][-1].tsval)
                                  if syns[-1].tsval else 0,
                                  "= peer's last TS val" if peer and syns[-1].tsecr == peer[-1].tsval
                                  else syns[-1].tsecr))
            print("     " + syns[-1].short(syns[-1].t))
        lst.accept()[0].close()
        got.close()
    print("     counters (client): %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
    lst.close()


run("0", "tcp_tw_reuse=0, timestamps on", "0", "1", (kns.SERVER, 5018))
run("1", "tcp_tw_reuse=1, timestamps on", "1", "1", (kns.SERVER, 5019))
run("1n", "tcp_tw_reuse=1, timestamps off", "1", "0", (kns.SERVER2, 5019))
run("2", "tcp_tw_reuse=2, veth (not loopback)", "2", "1", (kns.SERVER2, 5018))
run("2l", "tcp_tw_reuse=2, loopback", "2", "1", ("127.0.0.1", 5020), iface="lo", lns=net.cli)
for ns in (net.cli, net.srv):
    net.sysctl(ns, "net.ipv4.tcp_timestamps", "1")
net.cleanup()
