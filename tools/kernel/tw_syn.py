#!/usr/bin/env python3
"""A SYN arriving for a 4-tuple that the server holds in TIME_WAIT.

The server closes first (100 bytes exchanged each way), so it holds the
TIME_WAIT entry; the client's socket is closed.  Then:
  R1. a real client socket bound to the same port (SO_REUSEADDR) connects
      again, timestamps on: accepted?  the server's new ISN against its old
      SND.NXT, the client's new ISN against the old RCV.NXT;
  R2. the same with tcp_timestamps=0 on both hosts.
  T*. hand-made SYNs from the client's namespace (raw socket) with chosen
      sequence numbers and timestamps, timestamps on for the old connection:
      seq above / below the old RCV.NXT, TS val newer / older than the last
      one the server saw, or no TS option;
  N*. the same without timestamps on the old connection (tcp_timestamps=0 on
      both hosts while it ran): seq above, equal to, below RCV.NXT.
For the hand-made SYNs the router drops server->client, so that the client
host's own RST to a SYN-ACK cannot interfere; segments are captured on the
server's interface.  Each line shows the server's answer (SYN-ACK with ISN
relative to the old SND.NXT, or ACK), the entry in ss afterwards, and the
server's netstat counters that moved.
Run as root, no arguments.  About 15 seconds.
"""
import socket
import struct
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("ts")
kns.header("SYN into TIME_WAIT")
lst = net.listener(net.srv, kns.SERVER, 5015)
PORT = 41000


def rel(a, b):
    return (a - b + 2**31) % 2**32 - 2**31


def timestamps(v):
    for ns in (net.cli, net.srv):
        net.sysctl(ns, "net.ipv4.tcp_timestamps", v)


def server_tw(port):
    cap = net.capture(net.srv, "s0", "tcp and port 5015")
    kns.closed_pair(net, lst, kns.CLIENT, kns.SERVER, 5015, first="server", cport=port)
    pk = cap.stop()
    info = kns.fin_info(pk, kns.SERVER, 5015)
    info["client_isn"] = [p for p in pk if p.flags == "S"][0].seq
    return info


def show_tw(port):
    rows = kns.ss_states(net, net.srv, "src %s:5015 dst %s:%d" % (kns.SERVER, kns.CLIENT, port))
    return "; ".join("%s %s" % (r[0], r[3]) for r in rows) or "(no entry)"


def real(tag, ts):
    timestamps(ts)
    port = PORT + (0 if ts == "1" else 1)
    info = server_tw(port)
    before = show_tw(port)
    cap = net.capture(net.srv, "s0", "tcp and port 5015")
    n0 = kns.nstat(net, net.srv)
    c = net.socket(net.cli)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((kns.CLIENT, port))
    c.settimeout(3)
    try:
        c.connect((kns.SERVER, 5015))
        res = "connected"
    except OSError as e:
        res = kns.ename(e.errno)
    time.sleep(0.1)
    n1 = kns.nstat(net, net.srv)
    pk = cap.stop()
    print("%s  real client socket reconnects from port %d, tcp_timestamps=%s: %s" % (tag, port, ts, res))
    print("     server TIME_WAIT before: %s; old SND.NXT %d, old RCV.NXT %d, client's old ISN %d" %
          (before, info["snd_nxt"], info["rcv_nxt"], info["client_isn"]))
    t0 = pk[0].t if pk else 0
    for p in pk:
        print("     " + p.short(t0))
    syn = [p for p in pk if p.flags == "S"]
    sa = [p for p in pk if p.flags == "S."]
    if syn:
        print("     client's new ISN = old RCV.NXT %+d" % rel(syn[0].seq, info["rcv_nxt"]))
        if syn[0].tsval is not None:
            print("     client's TS val = last TS val the server saw %+d" % rel(syn[0].tsval, info["peer_ts"]))
    if sa:
        print("     server's ISN = old SND.NXT %+d" % rel(sa[0].seq, info["snd_nxt"]))
    print("     counters (server): %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
    if res == "connected":
        a, _ = lst.accept()
        a.close()
    c.close()
    time.sleep(0.1)


SYNOPT_TS = lambda v, e: (b"\x02\x04\x05\xb4\x04\x02" + b"\x08\x0a" + struct.pack("!II", v, e) +
                          b"\x01\x03\x03\x07")
SYNOPT_NOTS = b"\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x07"


def crafted(tag, what, ts, port, seqoff, tsoff=None, pause=0.0):
    timestamps(ts)
    info = server_tw(port)
    timestamps("1")
    if pause:
        time.sleep(pause)
    net.drop(kns.SERVER, kns.CLIENT)
    before = show_tw(port)
    seq = (info["rcv_nxt"] + seqoff) & 0xffffffff
    if tsoff is None:
        opts = SYNOPT_NOTS
    else:
        opts = SYNOPT_TS(((info["peer_ts"] or 0) + tsoff) & 0xffffffff, 0)
    cap = net.capture(net.srv, "s0", "tcp and port 5015")
    n0 = kns.nstat(net, net.srv)
    kns.raw_send(net, net.cli, kns.tcp_packet(kns.CLIENT, kns.SERVER, port, 5015, seq, 0, "S",
                                              win=64240, opts=opts))
    time.sleep(0.2)
    n1 = kns.nstat(net, net.srv)
    after = show_tw(port)
    pk = cap.stop()
    net.undrop(kns.SERVER, kns.CLIENT)
    print("%s  %s (old connection: tcp_timestamps=%s), port %d" % (tag, what, ts, port))
    print("     SYN seq = old RCV.NXT %+d%s" % (seqoff, "" if tsoff is None else
                                                 ", TS val = last seen %+d" % tsoff
                                                 if info["peer_ts"] is not None else
                                                 ", TS val %d" % tsoff))
    t0 = pk[0].t if pk else 0
    for p in pk:
        print("     " + p.short(t0))
    ans = [p for p in pk if p.src == kns.SERVER]
    for p in ans[:1]:
        if p.flags == "S.":
            print("     answer: SYN-ACK, ISN = old SND.NXT %+d, ack = SYN seq + 1 %s" %
                  (rel(p.seq, info["snd_nxt"]), "yes" if p.ack == (seq + 1) & 0xffffffff else "no"))
        else:
            print("     answer: [%s] seq = old SND.NXT %+d, ack = old RCV.NXT %+d" %
                  (p.flags, rel(p.seq, info["snd_nxt"]), rel(p.ack, info["rcv_nxt"])))
    if not ans:
        print("     answer: none")
    print("     server entries before / after: %s / %s" % (before, after))
    print("     counters (server): %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))


real("R1", "1")
real("R2", "0")
timestamps("1")
crafted("T1", "seq above, TS newer", "1", 41010, 1000, 1000)
crafted("T2", "seq below, TS newer", "1", 41011, -1000, 1000)
crafted("T3", "seq above, TS older", "1", 41012, 1000, -1000)
crafted("T4", "seq below, TS older", "1", 41013, -1000, -1000)
crafted("T5", "seq below, TS equal to the last seen", "1", 41014, -1000, 0)
crafted("T6", "seq above, no TS option", "1", 41015, 1000, None)
crafted("T7", "seq below, no TS option", "1", 41016, -1000, None)
crafted("N1", "seq above (+1000)", "0", 41020, 1000, None)
crafted("N2", "seq = RCV.NXT", "0", 41021, 0, None)
crafted("N3", "seq below (-1000), 3 s into TIME_WAIT", "0", 41022, -1000, None, pause=3)
crafted("N4", "seq above, with a TS option anyway", "0", 41023, 1000, 1000)
timestamps("1")
lst.close()
net.cleanup()
