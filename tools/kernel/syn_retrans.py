#!/usr/bin/env python3
"""Handshake retransmission: SYN and SYN-ACK timers.

Measures (client tcp_syn_retries = 3, everything else at the kernel default):
  A. SYNs lost at the router: the send time of every SYN, when the blocking
     connect() fails and with which errno; once with the default
     tcp_syn_linear_timeouts (4 on this kernel) and once with it set to 0.
  B. SYN-ACKs lost at the router (the SYNs get through): the SYNs and the
     SYN-ACKs that the listener sends, and how connect() ends.
  C. A listener whose final ACK never arrives: one SYN reaches it, the client
     then goes away silently (close() in SYN_SENT sends nothing) and every
     SYN-ACK is lost; the listener's SYN-ACK retransmission times with the
     default tcp_synack_retries (5), and when the SYN-RECV entry disappears.
     (From the listener's side this is the same as a lost final ACK.)
Runs for about 70 seconds.  Run as root, no arguments.
"""
import socket
import sys
import threading
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("syn")
kns.header("handshake retransmission")
net.sysctl(net.cli, "net.ipv4.tcp_syn_retries", "3")
for ns, k in ((net.cli, "net.ipv4.tcp_syn_retries"), (net.cli, "net.ipv4.tcp_syn_linear_timeouts"),
              (net.srv, "net.ipv4.tcp_synack_retries"), (net.cli, "net.ipv4.tcp_rto_max_ms")):
    print("# %s %s = %s" % ("client" if ns == net.cli else "server", k, net.get_sysctl(ns, k)))

capc = net.capture(net.cli, "c0")
caps = net.capture(net.srv, "s0")
lst = net.listener(net.srv, kns.SERVER, 5002, backlog=16)
results = {}


def blocking_connect(tag, src=kns.CLIENT):
    s = net.socket(net.cli)
    s.bind((src, 0))
    port = s.getsockname()[1]
    t0 = time.time()
    e = s.connect_ex((kns.SERVER, 5002))
    t1 = time.time()
    results[tag] = (port, t0, t1, e)
    s.close()
    return port


# ---- C: runs in the background on the second client address ----------------
cinfo = {}


def part_c():
    net.drop(kns.SERVER, kns.CLIENT2)
    s = net.socket(net.cli)
    s.setblocking(False)
    s.bind((kns.CLIENT2, 0))
    port = s.getsockname()[1]
    cinfo["port"] = port
    cinfo["t0"] = time.time()
    s.connect_ex((kns.SERVER, 5002))
    time.sleep(0.2)
    s.close()           # SYN_SENT -> CLOSED, nothing is sent
    # watch the SYN-RECV entry on the listener
    seen = None
    gone = None
    while time.time() - cinfo["t0"] < 75:
        out = net.ss(net.srv, "state syn-recv")
        if ("%s:%d" % (kns.CLIENT2, port)) in out:
            seen = out.strip()
            cinfo.setdefault("ss_samples", []).append((time.time() - cinfo["t0"], seen))
        elif seen is not None:
            gone = time.time()
            break
        time.sleep(0.25)
    cinfo["gone"] = gone


tc = threading.Thread(target=part_c)
tc.start()

# ---- A1: SYNs lost, default linear timeouts ---------------------------------
net.drop(kns.CLIENT, kns.SERVER)
blocking_connect("A1 SYN lost, tcp_syn_linear_timeouts=4")
# ---- A2: SYNs lost, linear timeouts off --------------------------------------
net.sysctl(net.cli, "net.ipv4.tcp_syn_linear_timeouts", "0")
blocking_connect("A2 SYN lost, tcp_syn_linear_timeouts=0")
net.sysctl(net.cli, "net.ipv4.tcp_syn_linear_timeouts", "4")
net.undrop(kns.CLIENT, kns.SERVER)
# ---- B: SYN-ACKs lost -----------------------------------------------------------
net.drop(kns.SERVER, kns.CLIENT)
blocking_connect("B SYN-ACK lost, tcp_syn_linear_timeouts=4")
net.undrop(kns.SERVER, kns.CLIENT)
tc.join()
pc = capc.stop()
ps = caps.stop()

for tag, (port, t0, t1, e) in results.items():
    print("\n## %s (client port %d)" % (tag, port))
    syns = [p for p in pc if p.sport == port and p.flags == "S"]
    ts = [p.t for p in syns]
    print("SYNs sent: %d, at (s from connect()): %s" %
          (len(syns), ", ".join("%.3f" % (t - t0) for t in ts)))
    print("gaps between SYNs (ms): %s" % kns.gaps(ts))
    print("same ISN and TS val in every SYN: ISN %s, TS val %s" %
          (sorted({p.seq for p in syns}), [p.tsval for p in syns]))
    print("connect() returned %s after %.3f s (%.3f s after the last SYN)" %
          (kns.ename(e), t1 - t0, t1 - ts[-1]))
    sa = [p for p in ps if p.dport == port and p.flags == "S."]
    if sa:
        print("listener SYN-ACKs at (s from connect()): %s" %
              ", ".join("%.3f" % (p.t - t0) for p in sa))
        print("gaps between SYN-ACKs (ms): %s" % kns.gaps([p.t for p in sa]))
        rs = [p for p in ps if p.dport == port and "S" not in p.flags]
        for p in rs:
            print("other segment to the client: " + p.short(t0))

print("\n## C listener with no final ACK (client %s port %d)" % (kns.CLIENT2, cinfo["port"]))
t0 = cinfo["t0"]
syn = [p for p in ps if p.sport == cinfo["port"] and p.flags == "S"]
print("SYNs that reached the listener: %d" % len(syn))
sa = [p for p in ps if p.dport == cinfo["port"]]
print("segments from the listener: %d" % len(sa))
for p in sa:
    print("  " + p.short(syn[0].t))
print("gaps between SYN-ACKs (ms): %s" % kns.gaps([p.t for p in sa]))
ss_s = cinfo.get("ss_samples", [])
if ss_s:
    print("ss on the listener, first sample: %s" % ss_s[0][1].replace("\n", " "))
    print("ss on the listener, last sample (%.2f s): %s" % (ss_s[-1][0], ss_s[-1][1].replace("\n", " ")))
if cinfo.get("gone"):
    print("SYN-RECV entry gone %.2f s after the SYN (poll every 0.25 s); %.2f s after the last SYN-ACK" %
          (cinfo["gone"] - syn[0].t, cinfo["gone"] - sa[-1].t))
else:
    print("SYN-RECV entry still present at the end")
lst.close()
net.cleanup()
