#!/usr/bin/env python3
"""TIME_WAIT: how long it lasts, and what it does with segments that arrive.

The client closes first (100 bytes exchanged each way before), so it holds the
TIME_WAIT entry.  Measures:
  A. the entry's duration with default settings: the timer ss -tano shows and
     when the entry disappears, counted from the client's final ACK;
  B. an RST with sequence number exactly RCV.NXT, tcp_rfc1337=0 (entry killed?);
  C. the same with tcp_rfc1337=1 (ignored?);
  D. an RST inside the window but not exact (RCV.NXT + 100): dropped? any ACK?
  E. a bare ACK with seq == RCV.NXT, 5 s into TIME_WAIT: reply? timer restarted?
  F. a retransmitted FIN, 5 s into TIME_WAIT: ACK? timer restarted?
  G. an old data segment (seq below RCV.NXT) 5 s into TIME_WAIT: ACK? restart?
Segments B-G are made by hand and sent from the server's namespace with a raw
socket (the server's own socket is closed by then); the client's answers to
them are dropped in the router so that the server host's RSTs cannot disturb
the entry.  Each line shows the client's replies on its interface and the
netstat counters that moved in the client's namespace.  The entries of A, E,
F, G are then watched until they disappear.
Run as root, no arguments.  About 95 seconds.
"""
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("tw")
kns.header("TIME_WAIT duration and segments arriving in TIME_WAIT")
for k in ("net.ipv4.tcp_rfc1337", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_timestamps"):
    print("# client %s = %s" % (k, net.get_sysctl(net.cli, k)))
lst = net.listener(net.srv, kns.SERVER, 5010)
lst2 = net.listener(net.srv, kns.SERVER2, 5010)
watch = {}


def timer_of(port, addr=kns.CLIENT2):
    rows = kns.ss_states(net, net.cli, "src %s:%d" % (addr, port))
    return "; ".join("%s %s" % (r[0], r[3]) for r in rows) or "(no entry)"


# --- A: duration ----------------------------------------------------------------
cap = net.capture(net.cli, "c0", "tcp and host %s" % kns.SERVER)
pa = kns.closed_pair(net, lst, kns.CLIENT, kns.SERVER, 5010)
pk = cap.stop()
last_ack = [p for p in pk if p.src == kns.CLIENT and p.sport == pa][-1]
t_ack = last_ack.t
print("A  client port %d closed first; segments (ms from the client's FIN):" % pa)
t0 = [p.t for p in pk if "F" in p.flags][0]
for p in pk:
    if p.t >= t0:
        print("     " + p.short(t0))
print("A  right after the final ACK: %s" % timer_of(pa, kns.CLIENT))
watch["A"] = (kns.CLIENT, pa, t_ack)

# --- B..G: crafted segments ------------------------------------------------------------
def crafted(tag, what, build, wait_before=0.0, rfc1337="0"):
    net.sysctl(net.cli, "net.ipv4.tcp_rfc1337", rfc1337)
    cap = net.capture(net.cli, "c0", "tcp and host %s" % kns.SERVER2)
    port = kns.closed_pair(net, lst2, kns.CLIENT2, kns.SERVER2, 5010)
    time.sleep(0.1)
    pk = cap.stop()
    info = kns.fin_info(pk, kns.CLIENT2, port)
    net.drop(kns.CLIENT2, kns.SERVER2)
    if wait_before:
        time.sleep(wait_before)
    before_timer = timer_of(port)
    cap = net.capture(net.cli, "c0", "tcp and host %s" % kns.SERVER2)
    n0 = kns.nstat(net, net.cli)
    seg = build(info, port)
    t_send = time.time()
    kns.raw_send(net, net.srv, seg)
    time.sleep(0.3)
    after_timer = timer_of(port)
    n1 = kns.nstat(net, net.cli)
    pk = cap.stop()
    net.undrop(kns.CLIENT2, kns.SERVER2)
    print("%s  %s (rfc1337=%s), client port %d: rcv_nxt %d snd_nxt %d" %
          (tag, what, rfc1337, port, info["rcv_nxt"], info["snd_nxt"]))
    sent = [p for p in pk if p.src == kns.SERVER2]
    t_in = sent[0].t if sent else t_send
    for p in pk:
        print("     " + p.short(t_in))
    replies = [p for p in pk if p.src == kns.CLIENT2]
    print("     client replies: %d" % len(replies))
    print("     ss before: %s" % before_timer)
    print("     ss after : %s" % after_timer)
    print("     counters : %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
    return port, t_in


def seg(flags, seqf, data=b""):
    def build(info, port):
        seq = seqf(info)
        ack = info["snd_nxt"] if "A" in flags else 0
        return kns.tcp_packet(kns.SERVER2, kns.CLIENT2, 5010, port, seq, ack, flags,
                              opts=kns.ts_opt(kns.peer_ts_now(info), info["my_ts"]), data=data)
    return build


crafted("B", "RST, seq = RCV.NXT", seg("R", lambda i: i["rcv_nxt"]))
crafted("C", "RST, seq = RCV.NXT", seg("R", lambda i: i["rcv_nxt"]), rfc1337="1")
crafted("D", "RST, seq = RCV.NXT + 100 (in window, not exact)", seg("R", lambda i: i["rcv_nxt"] + 100))
crafted("D2", "RST+ACK, seq = RCV.NXT + 100", seg("RA", lambda i: i["rcv_nxt"] + 100))
p, t = crafted("E", "bare ACK, seq = RCV.NXT, 5 s into TIME_WAIT", seg("A", lambda i: i["rcv_nxt"]),
               wait_before=5)
watch["E"] = (kns.CLIENT2, p, t)
p, t = crafted("F", "retransmitted FIN (seq = RCV.NXT - 1), 5 s into TIME_WAIT",
               seg("FA", lambda i: i["peer_fin_seq"]), wait_before=5)
watch["F"] = (kns.CLIENT2, p, t)
p, t = crafted("G", "old data, 100 bytes at RCV.NXT - 101, 5 s into TIME_WAIT",
               seg("PA", lambda i: i["rcv_nxt"] - 101, b"x" * 100), wait_before=5)
watch["G"] = (kns.CLIENT2, p, t)
net.sysctl(net.cli, "net.ipv4.tcp_rfc1337", "0")

# --- wait for the entries to go -------------------------------------------------------------
n0 = kns.nstat(net, net.cli)
pending = dict(watch)
last = {}
while pending and time.time() - max(v[2] for v in pending.values()) < 75:
    for k, (addr, port, t) in list(pending.items()):
        rows = kns.ss_states(net, net.cli, "src %s:%d" % (addr, port))
        if rows:
            last[k] = rows[0][3]
        else:
            print("%s  entry gone %.3f s after %s (last timer seen: %s)" %
                  (k, time.time() - t, "the final ACK" if k == "A" else "the crafted segment",
                   last.get(k)))
            del pending[k]
    time.sleep(0.02)
for k in pending:
    print("%s  still present 75 s after its last event: %s" % (k, last.get(k)))
n1 = kns.nstat(net, net.cli)
print("counters moved while the entries expired: %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none"))
lst.close()
lst2.close()
net.cleanup()
