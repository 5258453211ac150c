#!/usr/bin/env python3
"""Opening: the three-way handshake as the Linux kernel does it.

Measures, on a veth path with MTU 1500 through a router namespace:
  - window field, options and their order in the SYN, the SYN-ACK and the
    first ACK; the window in the first data segments in both directions;
  - what TS val is: per-connection offset or not (several connections from one
    address pair, one from another source address, one to another
    destination address), and its rate (1 per ms);
  - the window scale in force, and the receive-buffer sysctls that decide it;
  - the ss view of the established connection.
Run as root, no arguments.  Creates and removes its own namespaces.
"""
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("op")
kns.header("opening: SYN / SYN-ACK / ACK fields, TS val, windows")
for k in ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.core.rmem_max",
          "net.ipv4.tcp_timestamps", "net.ipv4.tcp_window_scaling", "net.ipv4.tcp_sack"):
    print("# client ns %s = %s" % (k, net.get_sysctl(net.cli, k)))
print("# mtu c0:", net.ex(net.cli, "cat /sys/class/net/c0/mtu", capture=True).strip())

cap = net.capture(net.cli, "c0")
lst = net.listener(net.srv, kns.SERVER, 5001)

# clock offset: TS val is tcp_clock_ms() (CLOCK_MONOTONIC in ms) + offset
mono_minus_real = time.clock_gettime(time.CLOCK_MONOTONIC) - time.time()

c = net.socket(net.cli)
c.bind((kns.CLIENT, 0))
c.connect((kns.SERVER, 5001))
a, _ = lst.accept()
time.sleep(0.1)
c.send(b"x" * 100)
a.recv(1000)
time.sleep(0.1)
a.send(b"y" * 200)
c.recv(1000)
time.sleep(0.1)
c.send(b"z" * 4000)
got = 0
while got < 4000:
    got += len(a.recv(8000))
time.sleep(0.1)
a.send(b"w" * 4000)
got = 0
while got < 4000:
    got += len(c.recv(8000))
time.sleep(0.1)
print("\n## ss -tanoi on the client while established")
print(net.ss(net.cli, "state established"))
print("## ss -tanoi on the server while established")
print(net.ss(net.srv, "state established"))

# more connections for the TS offset question
extra = []
for src, dst in ((kns.CLIENT, kns.SERVER), (kns.CLIENT, kns.SERVER), (kns.CLIENT2, kns.SERVER),
                 (kns.CLIENT, kns.SERVER2)):
    l2 = lst if dst == kns.SERVER else None
    if l2 is None:
        l2 = net.listener(net.srv, dst, 5001)
    s = net.socket(net.cli)
    s.bind((src, 0))
    s.connect((dst, 5001))
    x, _ = l2.accept()
    extra.append((s, x, l2))
    time.sleep(0.3)
pkts = cap.stop()

print("## first connection, every segment (times from the SYN)")
port = c.getsockname()[1]
conn = [p for p in pkts if port in (p.sport, p.dport) and kns.SERVER in (p.src, p.dst)]
t0 = conn[0].t
for p in conn:
    print(p.short(t0))

syn, synack, ack = conn[0], conn[1], conn[2]
print("\n## summary")
print("SYN     win %d options [%s]" % (syn.win, syn.opts))
print("SYN-ACK win %d options [%s]" % (synack.win, synack.opts))
print("ACK     win %d options [%s]" % (ack.win, ack.opts))
print("SYN-ACK after SYN: %s; ACK after SYN-ACK: %s" % (kns.ms(synack.t - syn.t),
                                                       kns.ms(ack.t - synack.t)))
data_c = [p for p in conn if p.len > 0 and p.src == kns.CLIENT]
data_s = [p for p in conn if p.len > 0 and p.src == kns.SERVER]
print("client data segments: " + ", ".join("len %d win %d" % (p.len, p.win) for p in data_c))
print("server data segments: " + ", ".join("len %d win %d" % (p.len, p.win) for p in data_s))
print("pure ACKs from client: " + ", ".join(str(p.win) for p in conn
                                            if p.len == 0 and p.src == kns.CLIENT and "S" not in p.flags and "F" not in p.flags))
print("pure ACKs from server: " + ", ".join(str(p.win) for p in conn
                                            if p.len == 0 and p.src == kns.SERVER and "S" not in p.flags and "F" not in p.flags))
print("ISN client %d, ISN server %d" % (syn.seq, synack.seq))

print("\n## TS val: offset = TS val - CLOCK_MONOTONIC(ms) at capture time")
syns = [p for p in pkts if p.flags == "S"]
for p in syns:
    mono_ms = (p.t + mono_minus_real) * 1000
    print("SYN %s:%d > %s:%d  TS val %d  offset %+.0f ms  ISN %d" %
          (p.src, p.sport, p.dst, p.dport, p.tsval, p.tsval - mono_ms, p.seq))
# rate: TS val over one connection's lifetime vs wall time
cl = [p for p in conn if p.src == kns.CLIENT and p.tsval is not None]
if len(cl) > 1:
    rate = (cl[-1].tsval - cl[0].tsval) / ((cl[-1].t - cl[0].t) * 1000)
    print("TS val rate on the first connection: %.3f per ms over %s" %
          (rate, kns.ms(cl[-1].t - cl[0].t)))
sa = [p for p in pkts if p.flags == "S."]
for p in sa:
    mono_ms = (p.t + mono_minus_real) * 1000
    print("SYN-ACK %s:%d > %s:%d TS val %d offset %+.0f ms, ecr %d" %
          (p.src, p.sport, p.dst, p.dport, p.tsval, p.tsval - mono_ms, p.tsecr))
for s, x, l2 in extra:
    s.close()
    x.close()
c.close()
a.close()

print("\n## same handshake with tcp_rmem max lowered to 6 MiB (the pre-6.16 default) on both hosts")
for ns in (net.cli, net.srv):
    net.sysctl(ns, "net.ipv4.tcp_rmem", "4096 131072 6291456")
cap = net.capture(net.cli, "c0")
c = net.socket(net.cli)
c.connect((kns.SERVER, 5001))
a, _ = lst.accept()
time.sleep(0.05)
c.send(b"x" * 100)
a.recv(1000)
a.send(b"y" * 100)
c.recv(1000)
time.sleep(0.05)
pkts = cap.stop()
t0 = pkts[0].t
for p in pkts:
    print(p.short(t0))
print(net.ss(net.cli, "state established"))
c.close()
a.close()
lst.close()
net.cleanup()
