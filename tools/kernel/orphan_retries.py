#!/usr/bin/env python3
"""An orphaned socket whose FIN is never acknowledged: FIN retransmissions and
when the kernel gives up (tcp_orphan_retries).

After a few request/response exchanges (RTT samples; all data acknowledged),
the router starts dropping everything from client to server and the client
application closes its socket.  Measures on the client's interface every copy
of the FIN and the gaps between them, what ss shows meanwhile, when the entry
disappears (from the first FIN), whether anything (an RST) is sent at the end,
and which netstat counters moved.
  A. tcp_orphan_retries = 3 in the client's namespace (short);
  B. tcp_orphan_retries = 0, the default, which the kernel treats as 8.
Run as root, no arguments.  About 2 minutes (B alone takes over 100 s).
"""
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("or")
kns.header("orphan FIN retransmission and tcp_orphan_retries")
for k in ("net.ipv4.tcp_orphan_retries", "net.ipv4.tcp_retries2", "net.ipv4.tcp_rto_min_us"):
    print("# client %s = %s" % (k, net.get_sysctl(net.cli, k)))
lst = net.listener(net.srv, kns.SERVER, 5011)


def run(tag, retries, limit):
    net.sysctl(net.cli, "net.ipv4.tcp_orphan_retries", retries)
    c = net.socket(net.cli)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.connect((kns.SERVER, 5011))
    a, _ = lst.accept()
    port = c.getsockname()[1]
    for i in range(5):
        c.send(b"Q" * 100)
        a.recv(1000)
        a.send(b"R" * 100)
        c.recv(1000)
        time.sleep(0.01)
    time.sleep(0.3)
    flt = "sport = :%d" % port
    print("%s  tcp_orphan_retries=%s, client port %d, before close: %s" %
          (tag, retries, port, net.ss(net.cli, flt).split("\n")[0].split()[0]))
    print("     ss -i before: %s" % " ".join(w for w in net.ss(net.cli, flt).split()
                                           if w.startswith(("rto:", "rtt:"))))
    cap = net.capture(net.cli, "c0", "tcp and port %d" % port)
    net.drop(kns.CLIENT, kns.SERVER)
    n0 = kns.nstat(net, net.cli)
    t_close = time.time()
    c.close()
    seen = []
    gone = None
    while time.time() - t_close < limit:
        rows = kns.ss_states(net, net.cli, flt)
        if not rows:
            gone = time.time() - t_close
            break
        r = (rows[0][0], rows[0][3].split(",")[0], rows[0][3].split(",")[-1])
        if not seen or seen[-1][1] != r:
            seen.append((time.time() - t_close, r))
        time.sleep(0.01)
    time.sleep(1.0)
    n1 = kns.nstat(net, net.cli)
    pk = cap.stop()
    net.undrop(kns.CLIENT, kns.SERVER)
    fins = [p for p in pk if p.src == kns.CLIENT and "F" in p.flags]
    others = [p for p in pk if p.src == kns.CLIENT and "F" not in p.flags]
    t0 = fins[0].t if fins else t_close
    print("     close() returned at once; FIN copies sent at (s from the first): %s" %
          ", ".join("%.3f" % (p.t - t0) for p in fins))
    print("     gaps (ms): %s" % kns.gaps([p.t for p in fins]))
    print("     first FIN: %s" % fins[0].short(t0) if fins else "     no FIN")
    for p in others:
        print("     other segment: %s" % p.short(t0))
    print("     ss (state, timer kind, retransmit count) changes:")
    for t, r in seen:
        print("       %8.3f s  %s %s %s" % (t, r[0], r[1], r[2]))
    if gone is None:
        print("     entry still present after %d s" % limit)
    else:
        print("     entry gone %.3f s after close(), %.3f s after the first FIN, %.3f s after the last" %
              (gone, gone - (t0 - t_close), gone - (fins[-1].t - t_close) if fins else 0))
    print("     counters: %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
    a.close()


run("A", "3", 30)
run("B", "0", 140)
net.sysctl(net.cli, "net.ipv4.tcp_orphan_retries", "0")
lst.close()
net.cleanup()
