#!/usr/bin/env python3
"""Ephemeral port choice by connect() (and by bind() to port 0).

With net.ipv4.ip_local_port_range = "40000 40009" in the client namespace:
  - the local port of each of 10 successive connect()s to one destination
    (all sockets held open), and the errno of the 11th;
  - the same to a second port on the same server address, and to a second
    server address: do ports repeat across destinations, and in what order;
  - after all are closed with an RST (no TIME_WAIT), where the next round to
    the first destination starts;
  - connect()/RST-close repeated 12 times to one destination (the order the
    ports are handed out when only one is held at a time);
  - bind(("", 0)) ten times (held), and the 11th;
  - with the range "40001 40010" (odd low end): which parity comes first.
Run as root, no arguments.
"""
import socket
import struct
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, __import__("os").path.dirname(__file__))
import kns  # noqa: E402

net = kns.Net("pt")
kns.header("ephemeral ports")
net.sysctl(net.cli, "net.ipv4.ip_local_port_range", "40000 40009")
print("# client ip_local_port_range = %s" % net.get_sysctl(net.cli, "net.ipv4.ip_local_port_range"))

lsn = {d: net.listener(net.srv, d[0], d[1]) for d in
       ((kns.SERVER, 5004), (kns.SERVER, 5005), (kns.SERVER2, 5004))}
accepted = []


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def fill(dest, n=11):
    held, ports = [], []
    for i in range(n):
        s = net.socket(net.cli)
        e = s.connect_ex(dest)
        if e:
            ports.append(kns.ename(e))
            s.close()
            continue
        ports.append(s.getsockname()[1])
        held.append(s)
        accepted.append(lsn[dest].accept()[0])
    return held, ports


def parity(ports):
    p = [x for x in ports if isinstance(x, int)]
    return "even first" if p and all(x % 2 == 0 for x in p[:5]) else "mixed"


allheld = []
for dest in ((kns.SERVER, 5004), (kns.SERVER, 5005), (kns.SERVER2, 5004)):
    held, ports = fill(dest)
    allheld += held
    print("connect() x11 to %s:%d (all held): %s  [%s]" % (dest[0], dest[1], ports, parity(ports)))

for s in allheld:
    rst_close(s)
for a in accepted:
    a.close()
accepted.clear()

held, ports = fill((kns.SERVER, 5004))
print("after closing all (RST), again x11 to %s:5004: %s" % (kns.SERVER, ports))
for s in held:
    rst_close(s)
for a in accepted:
    a.close()
accepted.clear()

seq = []
for i in range(12):
    s = net.socket(net.cli)
    e = s.connect_ex((kns.SERVER, 5004))
    seq.append(s.getsockname()[1] if e == 0 else kns.ename(e))
    accepted.append(lsn[(kns.SERVER, 5004)].accept()[0])
    rst_close(s)
for a in accepted:
    a.close()
print("connect() then RST-close, one at a time, x12 to %s:5004: %s" % (kns.SERVER, seq))

seq = []
for i in range(12):
    s = net.socket(net.cli)
    e = s.connect_ex((kns.SERVER2, 5004))
    seq.append(s.getsockname()[1] if e == 0 else kns.ename(e))
    lsn[(kns.SERVER2, 5004)].accept()[0].close()
    rst_close(s)
print("connect() then RST-close, one at a time, x12 to %s:5004: %s" % (kns.SERVER2, seq))

bound, bports = [], []
for i in range(11):
    s = net.socket(net.cli)
    try:
        s.bind(("", 0))
        bports.append(s.getsockname()[1])
        bound.append(s)
    except OSError as ex:
        bports.append(kns.ename(ex.errno))
        s.close()
print("bind(('', 0)) x11 (held): %s" % bports)
for s in bound:
    s.close()

# connect() while every port is held by a bind(0) socket
bound = []
for i in range(10):
    s = net.socket(net.cli)
    s.bind(("", 0))
    bound.append(s)
s = net.socket(net.cli)
e = s.connect_ex((kns.SERVER, 5004))
print("connect() while all 10 ports are held by bind(0) sockets: %s" % kns.ename(e))
s.close()
for s in bound:
    s.close()

# does "even first" mean "same parity as the low end of the range"?
net.sysctl(net.cli, "net.ipv4.ip_local_port_range", "40001 40010")
held, ports = fill((kns.SERVER, 5004))
print("with ip_local_port_range 40001 40010, connect() x11 to %s:5004: %s" % (kns.SERVER, ports))
for s in held:
    rst_close(s)
bound, bports = [], []
for i in range(5):
    s = net.socket(net.cli)
    s.bind(("", 0))
    bports.append(s.getsockname()[1])
    bound.append(s)
print("with ip_local_port_range 40001 40010, bind(('', 0)) x5: %s" % bports)
for s in bound:
    s.close()
for l in lsn.values():
    l.close()
net.cleanup()
