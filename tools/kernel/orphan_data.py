#!/usr/bin/env python3
"""Data arriving for an orphaned socket (the client application has closed, the
server still sends).

The client exchanges 100 bytes each way and then close()s; the server reads
the EOF (it is now in CLOSE_WAIT) and sends 100 bytes more:
  A. 300 ms after the EOF, when the client is in FIN_WAIT_2 (its FIN ACKed);
  B. at once after reading the EOF, so that the data segment itself carries
     the ACK of the client's FIN (the client is still in FIN_WAIT_1).
Shows what the client sends back (flags, seq relative to the data segment's
ACK field), the client's netstat counters that moved, whether the client still
has an entry, and the results of the server's next calls, in two orders:
send, send, recv  and  recv, send, recv (SIGPIPE is ignored by Python, so a
send that would raise it returns EPIPE).
Run as root, no arguments.  About 5 seconds.
"""
import socket
import sys
import time
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("od")
kns.header("data for an orphaned socket")
lst = net.listener(net.srv, kns.SERVER, 5014)


def call(fn):
    try:
        r = fn()
        return "%d bytes" % r if isinstance(r, int) else "%d bytes" % len(r)
    except OSError as e:
        return kns.ename(e.errno)


def run(tag, what, delay, order):
    cap = net.capture(net.cli, "c0", "tcp and port 5014")
    c = net.socket(net.cli)
    c.connect((kns.SERVER, 5014))
    a, _ = lst.accept()
    port = c.getsockname()[1]
    c.send(b"q" * 100)
    a.recv(1000)
    a.send(b"r" * 100)
    c.recv(1000)
    time.sleep(0.3)
    c.close()
    eof = a.recv(1000)
    if delay:
        time.sleep(delay)
    st_c = kns.ss_states(net, net.cli, "sport = :%d" % port)
    st_s = kns.ss_states(net, net.srv, "dport = :%d" % port)
    n0 = kns.nstat(net, net.cli)
    t = time.time()
    first = call(lambda: a.send(b"x" * 100))
    time.sleep(0.1)
    n1 = kns.nstat(net, net.cli)
    st_s2 = kns.ss_states(net, net.srv, "dport = :%d" % port)
    res = []
    for op in order:
        if op == "send":
            res.append("send -> " + call(lambda: a.send(b"y" * 10)))
        else:
            res.append("recv -> " + call(lambda: a.recv(1000)))
    left = kns.ss_states(net, net.cli, "sport = :%d" % port)
    pk = cap.stop()
    print("%s  %s, client port %d" % (tag, what, port))
    print("     server read EOF (%r); client then %s; server %s" %
          (eof, st_c[0][0] if st_c else "no entry", st_s[0][0] if st_s else "no entry"))
    fin = [p for p in pk if p.src == kns.CLIENT and "F" in p.flags]
    for p in pk:
        if fin and p.t >= fin[0].t:
            print("     " + p.short(t))
    data = [p for p in pk if p.src == kns.SERVER and p.len and p.t >= t - 0.001]
    rst = [p for p in pk if p.src == kns.CLIENT and "R" in p.flags]
    if data and rst:
        print("     client RST [%s]: seq = data's ACK field%+d, ack field %s" %
              (rst[0].flags, rst[0].seq - data[0].ack,
               "none" if rst[0].ack is None else rst[0].ack))
    print("     server's first send() -> %s; server entry 100 ms later: %s" %
          (first, st_s2[0][0] if st_s2 else "none"))
    print("     then: " + ", ".join(res))
    print("     client entry afterwards: %s" % (left or "none"))
    print("     counters (client): %s" % (", ".join(kns.nstat_diff(n0, n1)) or "none moved"))
    a.close()


run("A1", "data 300 ms after the EOF (client in FIN_WAIT_2)", 0.3, ["send", "send", "recv"])
run("A2", "data 300 ms after the EOF (client in FIN_WAIT_2)", 0.3, ["recv", "send", "recv"])
run("B1", "data at once after the EOF (it carries the ACK of the FIN)", 0, ["send", "send", "recv"])
run("B2", "data at once after the EOF (it carries the ACK of the FIN)", 0, ["recv", "send", "recv"])
lst.close()
net.cleanup()
