#!/usr/bin/env python3
"""Answers to out-of-window segments, and the limit tcp_invalid_ratelimit puts on them.

Each case uses a fresh connection from a real client socket (100 bytes each
way, timestamps and SACK on).  Once it is quiet the router drops server->client,
so the client host never sees the server's answers (nor RSTs them), and the
segments below are made by hand and sent from the client's namespace with a
raw socket on the connection's 4-tuple, with a current TS val of the client's
clock.  RCV.NXT / SND.NXT are the server's, learnt from a capture of the real
exchange.
  A. ESTABLISHED: two pure ACKs 10 ms apart with seq = RCV.NXT - 1000; a third
     600 ms after the second; a fourth 300 ms after the third;
  B. ESTABLISHED: two pure ACKs 10 ms apart, seq = RCV.NXT, ack = SND.NXT + 1000
     (acknowledging what was never sent);
  C. the same in CLOSE_WAIT (the client did shutdown(SHUT_WR), the server ACKed
     the FIN), plus a third 600 ms after the second;
  D. CLOSE_WAIT: the client's FIN sent again (seq = RCV.NXT - 1) twice, 10 ms
     apart;
  D2. CLOSE_WAIT: an old pure ACK (seq = RCV.NXT - 1000), then 10 ms later the
     old FIN, then the old FIN again 10 ms later (does an armed limit hold back
     the FIN's answer?);
  E. TIME_WAIT (the server closed first, the client closed after): two old
     pure ACKs (seq = RCV.NXT - 1000) 10 ms apart, then the client's FIN twice,
     10 ms apart, on the same entry.
Each case prints the segments seen on the server's interface (time from the
first hand-made one; the client's seq relative to the server's RCV.NXT and ack
relative to its SND.NXT, the server's the other way round), the number of
answers, and the server's TcpExt counters that moved.
Run as root, no arguments.  About 10 seconds.
"""
import re
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("oo")
kns.header("answers to out-of-window segments and tcp_invalid_ratelimit")
for k in ("net.ipv4.tcp_invalid_ratelimit", "net.ipv4.tcp_challenge_ack_limit",
          "net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack"):
    print("# server %s = %s" % (k, net.get_sysctl(net.srv, k)))
LPORT = 5030
lst = net.listener(net.srv, kns.SERVER, LPORT)
WATCH = ["TcpExtTCPACKSkippedSeq", "TcpExtTCPACKSkippedChallenge", "TcpExtTCPACKSkippedTimeWait",
         "TcpExtTCPACKSkippedPAWS", "TcpExtTCPChallengeACK", "TcpExtTCPACKSkippedFinWait2"]
FILT = "tcp and port %d" % LPORT


def rel(a, b):
    return (a - b + 2**31) % 2**32 - 2**31


def nxt(pkts, src):
    """The next sequence number after everything src sent in pkts."""
    best = None
    for p in pkts:
        if p.src != src:
            continue
        e = (p.seq + p.len + (1 if "S" in p.flags else 0) + (1 if "F" in p.flags else 0)) & 0xffffffff
        if best is None or rel(e, best) > 0:
            best = e
    return best


def learn(pkts):
    cli = [p for p in pkts if p.src == kns.CLIENT]
    srv = [p for p in pkts if p.src == kns.SERVER]
    fins = [p for p in cli if "F" in p.flags]
    return {"rcv_nxt": nxt(pkts, kns.CLIENT), "snd_nxt": nxt(pkts, kns.SERVER),
            "cli_fin": fins[-1].seq if fins else None,
            "peer_ts": cli[-1].tsval, "peer_ts_t": cli[-1].t, "my_ts": srv[-1].tsval,
            "win": cli[-1].win}


def setup(kind, port):
    """A connection in the server state `kind` (ESTABLISHED, CLOSE_WAIT, TIME_WAIT);
    returns (info, sockets to close later)."""
    cap = net.capture(net.srv, "s0", FILT)
    c = net.socket(net.cli)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((kns.CLIENT, port))
    c.connect((kns.SERVER, LPORT))
    a, _ = lst.accept()
    c.send(b"q" * 100)
    a.recv(1000)
    a.send(b"r" * 100)
    c.recv(1000)
    keep = [c, a]
    if kind == "CLOSE_WAIT":
        c.shutdown(socket.SHUT_WR)
        a.recv(1000)
    elif kind == "TIME_WAIT":
        a.close()
        c.recv(1000)
        c.close()
        keep = []
    time.sleep(0.3)          # delayed ACKs out of the way
    pk = cap.stop()
    net.drop(kns.SERVER, kns.CLIENT)
    return learn(pk), keep


def state(port):
    rows = kns.ss_states(net, net.srv, "src %s:%d dst %s:%d" % (kns.SERVER, LPORT, kns.CLIENT, port))
    return "; ".join(r[0] for r in rows) or "(no entry)"


def seg(info, port, flags, dseq, dack, what):
    """(description, packet builder): seq = RCV.NXT + dseq (or the client's FIN when
    dseq is 'fin'), ack = SND.NXT + dack."""
    def build():
        seq = info["cli_fin"] if dseq == "fin" else (info["rcv_nxt"] + dseq) & 0xffffffff
        ack = (info["snd_nxt"] + dack) & 0xffffffff
        return kns.tcp_packet(kns.CLIENT, kns.SERVER, port, LPORT, seq, ack, flags, win=info["win"],
                              opts=kns.ts_opt(kns.peer_ts_now(info), info["my_ts"]))
    return what, build


def show(p, info, t0):
    if p.src == kns.CLIENT:
        who, s, a = "C>S", rel(p.seq, info["rcv_nxt"]), rel(p.ack, info["snd_nxt"]) if p.ack is not None else None
        sname, aname = "RCV.NXT", "SND.NXT"
    else:
        who, s, a = "S>C", rel(p.seq, info["snd_nxt"]), rel(p.ack, info["rcv_nxt"]) if p.ack is not None else None
        sname, aname = "SND.NXT", "RCV.NXT"
    out = "%9.3f ms  %s [%s] seq %s%+d" % ((p.t - t0) * 1000, who, p.flags, sname, s)
    if a is not None:
        out += " ack %s%+d" % (aname, a)
    out += " len %d" % p.len
    m = re.search(r"sack \d+ (.*)", p.opts or "")
    if m:
        blocks = re.findall(r"\{(\d+):(\d+)\}", m.group(1))
        out += " sack " + " ".join("{RCV.NXT%+d:RCV.NXT%+d}" % (rel(int(x), info["rcv_nxt"]),
                                                                rel(int(y), info["rcv_nxt"]))
                                   for x, y in blocks)
    return out


def case(tag, title, kind, port, make):
    """make(info, port) gives the plan: a list of (delay before sending in s,
    (what, builder))."""
    info, keep = setup(kind, port)
    plan = make(info, port)
    print("%s  %s; client port %d, server in %s" % (tag, title, port, state(port)))
    cap = net.capture(net.srv, "s0", FILT)
    n0 = kns.nstat(net, net.srv)
    for delay, (what, build) in plan:
        if delay:
            time.sleep(delay)
        kns.raw_send(net, net.cli, build())
    time.sleep(0.2)
    n1 = kns.nstat(net, net.srv)
    pk = cap.stop()
    after = state(port)
    net.undrop(kns.SERVER, kns.CLIENT)
    sent = [p for p in pk if p.src == kns.CLIENT]
    t0 = sent[0].t if sent else 0
    for p in pk:
        line = "     " + show(p, info, t0)
        if p.src == kns.CLIENT:
            k = sent.index(p)
            if k < len(plan):
                line += "   <- %s" % plan[k][1][0]
        print(line)
    # which hand-made segment each answer follows
    answered = []
    for i, p in enumerate(sent):
        nxt_t = sent[i + 1].t if i + 1 < len(sent) else float("inf")
        n = len([q for q in pk if q.src == kns.SERVER and p.t <= q.t < nxt_t])
        answered.append(n)
    print("     answers per hand-made segment: %s (total %d); gaps between them: %s ms" %
          (answered, sum(answered), kns.gaps([p.t for p in sent])))
    print("     server state after: %s" % after)
    moved = kns.nstat_diff(n0, n1)
    print("     watched counters: %s" % ", ".join(kns.nstat_diff(n0, n1, WATCH)))
    print("     TcpExt counters moved: %s" %
          (", ".join(x for x in moved if x.startswith("TcpExt")) or "none"))
    for s in keep:
        s.close()
    time.sleep(0.1)
    return answered


OLD = -1000
case("A", "pure ACKs with seq = RCV.NXT - 1000", "ESTABLISHED", 42001,
     lambda i, pt: [(0, seg(i, pt, "A", OLD, 0, "old ACK #1")),
                    (0.01, seg(i, pt, "A", OLD, 0, "old ACK #2, 10 ms later")),
                    (0.6, seg(i, pt, "A", OLD, 0, "old ACK #3, 600 ms after #2")),
                    (0.3, seg(i, pt, "A", OLD, 0, "old ACK #4, 300 ms after #3"))])
case("B", "pure ACKs, seq = RCV.NXT, ack = SND.NXT + 1000", "ESTABLISHED", 42002,
     lambda i, pt: [(0, seg(i, pt, "A", 0, 1000, "ACK of unsent #1")),
                    (0.01, seg(i, pt, "A", 0, 1000, "ACK of unsent #2, 10 ms later"))])
case("C", "pure ACKs, seq = RCV.NXT, ack = SND.NXT + 1000", "CLOSE_WAIT", 42003,
     lambda i, pt: [(0, seg(i, pt, "A", 0, 1000, "ACK of unsent #1")),
                    (0.01, seg(i, pt, "A", 0, 1000, "ACK of unsent #2, 10 ms later")),
                    (0.6, seg(i, pt, "A", 0, 1000, "ACK of unsent #3, 600 ms after #2"))])
case("D", "the client's FIN again (seq = RCV.NXT - 1), twice", "CLOSE_WAIT", 42004,
     lambda i, pt: [(0, seg(i, pt, "FA", "fin", 0, "old FIN #1")),
                    (0.01, seg(i, pt, "FA", "fin", 0, "old FIN #2, 10 ms later"))])
case("D2", "old pure ACK, then the old FIN twice", "CLOSE_WAIT", 42005,
     lambda i, pt: [(0, seg(i, pt, "A", OLD, 0, "old ACK")),
                    (0.01, seg(i, pt, "FA", "fin", 0, "old FIN #1, 10 ms later")),
                    (0.01, seg(i, pt, "FA", "fin", 0, "old FIN #2, 10 ms later"))])
case("E", "old pure ACKs twice, then the client's FIN twice", "TIME_WAIT", 42006,
     lambda i, pt: [(0, seg(i, pt, "A", OLD, 0, "old ACK #1")),
                    (0.01, seg(i, pt, "A", OLD, 0, "old ACK #2, 10 ms later")),
                    (0.01, seg(i, pt, "FA", "fin", 0, "old FIN #1, 10 ms later")),
                    (0.01, seg(i, pt, "FA", "fin", 0, "old FIN #2, 10 ms later"))])
lst.close()
net.cleanup()
