#!/usr/bin/env python3
"""Retransmission of lost data: tail loss probe, then RTO with backoff.

On the sub-millisecond veth path through the router namespace, after a few
request/response exchanges (to have RTT samples), every client->server
segment is lost in the router for 3.0 s while the client sends:
  A. one segment of 100 bytes;
  B. five full-size segments in one send().
Measures the send time of every copy on the client's interface, the gaps,
what ss -tanoi shows meanwhile (timer kind, time left, retransmit count,
rto:, backoff:), the rto: before and after, and when the data is finally
acknowledged once the router forwards again.
Run as root, no arguments.  About 12 seconds.
"""
import re
import socket
import sys
import threading
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("rt")
kns.header("retransmission of lost data (TLP, RTO)")
for k in ("net.ipv4.tcp_early_retrans", "net.ipv4.tcp_rto_min_us", "net.ipv4.tcp_rto_max_ms",
          "net.ipv4.tcp_retries2", "net.ipv4.tcp_recovery", "net.ipv4.tcp_congestion_control"):
    print("# client %s = %s" % (k, net.get_sysctl(net.cli, k)))
lst = net.listener(net.srv, kns.SERVER, 5006)


def pick(ssout, key):
    m = re.search(r"\b%s:(\S+)" % key, ssout)
    return m.group(1) if m else "-"


def timer(ssout):
    m = re.search(r"timer:\(([^)]*)\)", ssout)
    return m.group(1) if m else "none"


def run(name, payload):
    c = net.socket(net.cli)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.connect((kns.SERVER, 5006))
    a, _ = lst.accept()
    port = c.getsockname()[1]
    flt = "sport = :%d" % port
    for i in range(10):
        c.send(b"Q" * 100)
        a.recv(1000)
        a.send(b"R" * 100)
        c.recv(1000)
        time.sleep(0.01)
    time.sleep(0.2)
    before = net.ss(net.cli, flt)
    srv_before = net.ss(net.srv, "dport = :%d" % port)
    samples = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            out = net.ss(net.cli, flt)
            samples.append((time.time(), out))
            time.sleep(0.002)

    cap = net.capture(net.cli, "c0", "tcp port %d" % 5006)
    net.drop(kns.CLIENT, kns.SERVER)
    th = threading.Thread(target=poll, daemon=True)
    th.start()
    t0 = time.time()
    c.send(payload)
    time.sleep(3.0 - (time.time() - t0))
    net.undrop(kns.CLIENT, kns.SERVER)
    t_restore = time.time()
    got = 0
    a.settimeout(10)
    while got < len(payload):
        got += len(a.recv(100000))
    time.sleep(0.3)
    stop.set()
    th.join()
    after = net.ss(net.cli, flt)
    srv_after = net.ss(net.srv, "dport = :%d" % port)
    pkts = cap.stop()

    print("\n## %s (client port %d)" % (name, port))
    print("before: rto:%s rtt:%s backoff:%s timer:%s" % (pick(before, "rto"), pick(before, "rtt"),
                                                          pick(before, "backoff"), timer(before)))
    data = [p for p in pkts if p.src == kns.CLIENT and p.len > 0]
    first = data[0].t
    first_end = max(p.end for p in data[:1])
    seen = set()
    print("client data segments (ms from the first send):")
    rows = []
    for p in data:
        key = (p.seq, p.end)
        kind = "new" if key not in seen else "resend"
        seen.add(key)
        rows.append((p.t, kind))
        print("  %10.3f ms  seq %d:%d len %d  %s" % ((p.t - first) * 1000, p.seq, p.end, p.len, kind))
    resends = [t for t, k in rows if k == "resend"]
    last_new = max(t for t, k in rows if k == "new")
    print("gaps: last original send -> first resend, then between resends (ms): %s" %
          kns.gaps([last_new] + resends))
    print("router forwarding again at %.3f ms" % ((t_restore - first) * 1000))
    acks = [p for p in pkts if p.src == kns.SERVER and p.ack is not None and p.ack >= data[-1].end]
    if acks:
        print("data acknowledged at %.3f ms" % ((acks[0].t - first) * 1000))
    print("ss timer over time (first sample of each change):")
    last = None
    for t, out in samples:
        v = (timer(out).split(",")[0], timer(out).split(",")[-1], pick(out, "rto"), pick(out, "backoff"))
        if v != last:
            print("  %9.1f ms  timer:(%s) rto:%s backoff:%s unacked:%s retrans:%s" %
                  ((t - first) * 1000, timer(out), pick(out, "rto"), pick(out, "backoff"),
                   pick(out, "unacked"), pick(out, "retrans")))
            last = v
    print("after: rto:%s rtt:%s backoff:%s timer:%s" % (pick(after, "rto"), pick(after, "rtt"),
                                                         pick(after, "backoff"), timer(after)))
    print("receiver (server) ato: before %s ms, after %s ms; receiver rtt before %s" %
          (pick(srv_before, "ato"), pick(srv_after, "ato"), pick(srv_before, "rtt")))
    c.close()
    a.close()


run("A one 100-byte segment lost for 3 s", b"D" * 100)
run("B five full-size segments lost for 3 s", b"D" * (5 * 1448))
lst.close()
net.cleanup()
