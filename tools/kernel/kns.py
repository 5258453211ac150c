"""Shared helpers for the kernel ground-truth experiments in this folder.

Builds a small test network out of network namespaces, runs real sockets in
them, and captures segments with tcpdump.  Every experiment script imports
this module; none of them touches anything outside the namespaces it makes.

Topology (all addresses are private to the namespaces made here):

    client ns            router ns                       server ns
    c0 10.77.1.2/24 ---- r0 10.77.1.1/24  r1 10.77.2.1/24 ---- s0 10.77.2.2/24
       10.77.1.3/24                                            10.77.2.3/24

The router forwards between the two sides; `drop(src, dst)` adds a
`blackhole` policy rule in the router so that segments from src to dst are
lost on the wire without the sender noticing.  Segmentation offloads are
switched off on every interface so that each TCP segment is a separate frame,
as it would be on a real wire.

Must be run as root.  Needs iproute2, tcpdump and ethtool (installed with
apt-get if missing).
"""

import atexit
import ctypes
import errno
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

CLIENT = "10.77.1.2"
CLIENT2 = "10.77.1.3"
SERVER = "10.77.2.2"
SERVER2 = "10.77.2.3"


def need_tools():
    missing = [t for t in ("tcpdump", "ethtool", "ip", "ss") if not shutil.which(t)]
    if not missing:
        return
    pkgs = {"tcpdump": "tcpdump", "ethtool": "ethtool", "ip": "iproute2", "ss": "iproute2"}
    names = sorted({pkgs[m] for m in missing})
    print("# installing", " ".join(names), file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq"] + names, check=False,
                   stdout=subprocess.DEVNULL)
    still = [t for t in missing if not shutil.which(t)]
    if still:
        sys.exit("missing tools: " + " ".join(still))


def sh(cmd, check=True, capture=False):
    """Run a command (list) and optionally return its stdout."""
    r = subprocess.run(cmd, check=check, text=True,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None)
    return r.stdout if capture else r.returncode


class Net:
    """Three namespaces (client, router, server) joined by two veth pairs."""

    def __init__(self, tag):
        if os.geteuid() != 0:
            sys.exit("must be run as root")
        need_tools()
        self.pfx = "tk%s%d" % (tag, os.getpid() % 100000)
        self.cli = self.pfx + "c"
        self.rtr = self.pfx + "r"
        self.srv = self.pfx + "s"
        self.rules = []
        self.caps = []
        self._orig = os.open("/proc/self/ns/net", os.O_RDONLY)
        atexit.register(self.cleanup)
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, self._on_signal)
        for ns in (self.cli, self.rtr, self.srv):
            sh(["ip", "netns", "add", ns])
        self.ex(self.cli, "ip link add c0 type veth peer name r0 netns %s" % self.rtr)
        self.ex(self.srv, "ip link add s0 type veth peer name r1 netns %s" % self.rtr)
        self.ex(self.cli, "ip addr add %s/24 dev c0" % CLIENT)
        self.ex(self.cli, "ip addr add %s/24 dev c0" % CLIENT2)
        self.ex(self.rtr, "ip addr add 10.77.1.1/24 dev r0")
        self.ex(self.rtr, "ip addr add 10.77.2.1/24 dev r1")
        self.ex(self.srv, "ip addr add %s/24 dev s0" % SERVER)
        self.ex(self.srv, "ip addr add %s/24 dev s0" % SERVER2)
        for ns, ifs in ((self.cli, ["c0"]), (self.rtr, ["r0", "r1"]), (self.srv, ["s0"])):
            self.ex(ns, "ip link set lo up")
            for i in ifs:
                self.ex(ns, "ip link set %s up" % i)
                self.ex(ns, "ethtool -K %s tso off gso off gro off" % i, check=False, quiet=True)
        self.ex(self.cli, "ip route add default via 10.77.1.1")
        self.ex(self.srv, "ip route add default via 10.77.2.1")
        self.sysctl(self.rtr, "net.ipv4.ip_forward", "1")
        # resolve neighbours (ARP) now, so that the first segment of an experiment is not
        # delayed by it: one UDP datagram each way to a closed port (answered by ICMP)
        for ns, src, dst in ((self.cli, CLIENT, SERVER), (self.cli, CLIENT2, SERVER2),
                             (self.srv, SERVER, CLIENT), (self.srv, SERVER2, CLIENT2)):
            u = self.socket(ns, socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((src, 0))
            u.sendto(b"arp", (dst, 9))
            u.close()
        time.sleep(0.1)

    # -- commands ---------------------------------------------------------
    def ex(self, ns, cmd, check=True, quiet=False, capture=False):
        args = ["ip", "netns", "exec", ns] + (cmd.split() if isinstance(cmd, str) else cmd)
        r = subprocess.run(args, text=True,
                           stdout=subprocess.PIPE if (capture or quiet) else None,
                           stderr=subprocess.PIPE if quiet else None)
        if check and r.returncode != 0:
            raise RuntimeError("failed: %s" % " ".join(args))
        return r.stdout if capture else r.returncode

    def sysctl(self, ns, key, value):
        self.ex(ns, ["sysctl", "-q", "-w", "%s=%s" % (key, value)])

    def get_sysctl(self, ns, key):
        return self.ex(ns, ["sysctl", "-n", key], capture=True).strip()

    def ss(self, ns, filt=""):
        return self.ex(ns, "ss -tanoiH " + filt, capture=True)

    # -- loss on the wire ---------------------------------------------------
    def drop(self, src, dst):
        """Lose every segment from src to dst in the router (silently)."""
        rule = ["from", src, "to", dst, "blackhole"]
        self.ex(self.rtr, ["ip", "rule", "add"] + rule)
        self.ex(self.rtr, "ip route flush cache", check=False, quiet=True)
        self.rules.append(rule)

    def undrop(self, src, dst):
        rule = ["from", src, "to", dst, "blackhole"]
        self.ex(self.rtr, ["ip", "rule", "del"] + rule)
        self.rules.remove(rule)

    # -- sockets in a namespace --------------------------------------------
    def enter(self, ns):
        fd = os.open("/run/netns/" + ns, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
        finally:
            os.close(fd)

    def leave(self):
        if _libc.setns(self._orig, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))

    def socket(self, ns, family=socket.AF_INET, typ=socket.SOCK_STREAM):
        """A socket that lives in namespace ns (setns only affects this thread)."""
        self.enter(ns)
        try:
            return socket.socket(family, typ)
        finally:
            self.leave()

    def listener(self, ns, addr, port, backlog=128, rcvbuf=None):
        s = self.socket(ns)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind((addr, port))
        s.listen(backlog)
        return s

    # -- capture --------------------------------------------------------------
    def capture(self, ns, iface, filt="tcp"):
        c = Capture(self, ns, iface, filt)
        self.caps.append(c)
        return c

    # -- cleanup --------------------------------------------------------------
    def _on_signal(self, signum, frame):
        self.cleanup()
        sys.exit(128 + signum)

    def cleanup(self):
        for c in list(self.caps):
            c.stop()
        self.caps = []
        for ns in (self.cli, self.rtr, self.srv):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


class Capture:
    """tcpdump running in a namespace, writing a pcap file that is parsed here.

    The pcap is read by this module rather than by tcpdump's printer so that
    every field is available, including the sequence number of zero-length
    segments (tcpdump does not print it for a bare ACK).
    """

    def __init__(self, net, ns, iface, filt):
        fd, self.path = tempfile.mkstemp(prefix="tkcap", suffix=".pcap")
        os.close(fd)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpdump", "-i", iface, "-nn", "-U", "--immediate-mode", "-s", "200",
             "--time-stamp-precision=micro", "-w", self.path, filt],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = ""
        while "listening" not in line:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("tcpdump did not start")
        self._drain = threading.Thread(target=self.proc.stderr.read, daemon=True)
        self._drain.start()
        time.sleep(0.05)
        self.pkts = None

    def stop(self):
        if self.proc is None:
            return self.pkts
        time.sleep(0.05)
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        with open(self.path, "rb") as f:
            data = f.read()
        os.unlink(self.path)
        self.pkts = parse_pcap(data)
        return self.pkts


_FLAGS = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x20, "U"), (0x40, "E"),
          (0x80, "W")]


class Seg:
    """One TCP segment as seen on the wire (tcpdump-like field names)."""

    def __init__(self, t, ip, tcp, paylen):
        self.t = t
        self.src = socket.inet_ntoa(ip[12:16])
        self.dst = socket.inet_ntoa(ip[16:20])
        self.sport, self.dport, self.seq, ackno, off, fl, self.win = \
            struct.unpack("!HHIIBBH", tcp[:16])
        self.rawflags = fl
        f = "".join(c for bit, c in _FLAGS if fl & bit)
        if fl & 0x10:
            f += "."
        self.flags = f
        self.ack = ackno if fl & 0x10 else None
        self.len = paylen
        self.end = (self.seq + paylen) & 0xffffffff
        self.opts, self.tsval, self.tsecr, self.wscale, self.mss = self._options(tcp[20:(off >> 4) * 4])

    @staticmethod
    def _options(o):
        out, tsval, tsecr, ws, mss = [], None, None, None, None
        i = 0
        while i < len(o):
            k = o[i]
            if k == 0:
                out.append("eol")
                break
            if k == 1:
                out.append("nop")
                i += 1
                continue
            if i + 1 >= len(o):
                break
            n = o[i + 1]
            v = o[i + 2:i + n]
            if k == 2 and n == 4:
                mss = struct.unpack("!H", v)[0]
                out.append("mss %d" % mss)
            elif k == 3 and n == 3:
                ws = v[0]
                out.append("wscale %d" % ws)
            elif k == 4:
                out.append("sackOK")
            elif k == 5:
                blocks = [struct.unpack("!II", v[j:j + 8]) for j in range(0, len(v), 8)]
                out.append("sack %d %s" % (len(blocks), " ".join("{%d:%d}" % b for b in blocks)))
            elif k == 8 and n == 10:
                tsval, tsecr = struct.unpack("!II", v)
                out.append("TS val %d ecr %d" % (tsval, tsecr))
            else:
                out.append("opt-%d" % k)
            i += max(n, 2)
        return ",".join(out), tsval, tsecr, ws, mss

    def short(self, t0=0.0):
        s = "%9.3f ms  %s.%d > %s.%d [%s] seq %d" % ((self.t - t0) * 1000, self.src, self.sport,
                                                   self.dst, self.dport, self.flags, self.seq)
        if self.len:
            s += ":%d" % self.end
        if self.ack is not None:
            s += " ack %d" % self.ack
        s += " win %d" % self.win
        if self.opts:
            s += " [%s]" % self.opts
        s += " len %d" % self.len
        return s


def parse_pcap(data):
    """Parse a classic pcap (microsecond, Ethernet or raw IP) into Seg objects."""
    out = []
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
        pkt = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        t = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:
            if len(pkt) < 14 or pkt[12:14] != b"\x08\x00":
                continue
            ip = pkt[14:]
        elif linktype in (101, 12):
            ip = pkt
        else:
            continue
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:]
        if len(tcp) < 20:
            continue
        doff = (tcp[12] >> 4) * 4
        out.append(Seg(t, ip, tcp, total - ihl - doff))
    return out


def ename(e):
    return "%s(%d)" % (errno.errorcode.get(e, "?"), e) if e else "0"


def ms(dt):
    return "%.3f ms" % (dt * 1000)


def gaps(times):
    return [round((b - a) * 1000, 3) for a, b in zip(times, times[1:])]


def header(title):
    print("# %s" % title)
    print("# kernel %s, HZ tick 4 ms (250 Hz) assumed; run at %s UTC" %
          (os.uname().release, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())))


# -- counters -----------------------------------------------------------------
def nstat(net, ns):
    """Absolute values of every SNMP/netstat counter in namespace ns (nstat -az;
    -s so that nstat's history file is neither read nor written)."""
    out = net.ex(ns, "nstat -azs", capture=True)
    d = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and not line.startswith("#") and f[1].isdigit():
            d[f[0]] = int(f[1])
    return d


def nstat_diff(before, after, names=None):
    """Counters that moved between two nstat() snapshots, as 'Name +n' strings
    (by default only the TCP ones: Tcp* and TcpExt*)."""
    keys = names if names is not None else sorted(k for k in after if k.startswith("Tcp"))
    return ["%s %+d" % (k, after.get(k, 0) - before.get(k, 0)) for k in keys
            if after.get(k, 0) != before.get(k, 0) or names is not None]


# -- hand-made segments ---------------------------------------------------------
def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


_FLAGBITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, ".": 0x10, "U": 0x20}


def ts_opt(val, ecr):
    """nop, nop, timestamps: the 12-byte option block Linux puts on every segment."""
    return b"\x01\x01\x08\x0a" + struct.pack("!II", val & 0xffffffff, ecr & 0xffffffff)


def tcp_packet(src, dst, sport, dport, seq, ack, flags, win=502, opts=b"", data=b""):
    """A complete IPv4 packet carrying one TCP segment, checksums filled in.
    flags is a string of letters from F S R P A (or '.') U."""
    fl = 0
    for c in flags:
        fl |= _FLAGBITS[c]
    if len(opts) % 4:
        opts += b"\0" * (4 - len(opts) % 4)
    off = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      off << 4, fl, win, 0, 0) + opts + data
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    c = _csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    total = 20 + len(tcp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, os.getpid() & 0xffff, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return ip + tcp


def raw_send(net, ns, pkt):
    """Send a hand-made IPv4 packet (from tcp_packet) out of namespace ns."""
    net.enter(ns)
    try:
        r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    finally:
        net.leave()
    try:
        r.sendto(pkt, (socket.inet_ntoa(pkt[16:20]), 0))
    finally:
        r.close()


# -- socket table ---------------------------------------------------------------------
def ss_states(net, ns, filt=""):
    """(state, local, peer, timer) for every TCP entry ss lists in ns (all states)."""
    out = net.ex(ns, "ss -tanoH " + filt, capture=True)
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        m = re.search(r"timer:\(([^)]*)\)", line)
        rows.append((f[0], f[3], f[4], m.group(1) if m else ""))
    return rows


def wait_gone(net, ns, filt, limit, step=0.02):
    """Poll ss until no entry matches filt; return (seconds waited, last rows seen)
    or (None, rows) when limit seconds passed first."""
    t0 = time.time()
    last = []
    while time.time() - t0 < limit:
        rows = ss_states(net, ns, filt)
        if not rows:
            return time.time() - t0, last
        last = rows
        time.sleep(step)
    return None, last


# -- a finished connection -------------------------------------------------------------
def closed_pair(net, lst, caddr, saddr, lport, first="client", cport=0):
    """Open a connection caddr -> saddr:lport (listener lst), exchange 100 bytes each
    way, close it with `first` ("client" or "server") closing first and the other
    closing once it has read the EOF.  The first closer ends in TIME_WAIT.
    Returns the client's local port."""
    c = net.socket(net.cli)
    if cport:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((caddr, cport))
    c.connect((saddr, lport))
    a, _ = lst.accept()
    port = c.getsockname()[1]
    c.send(b"q" * 100)
    a.recv(1000)
    a.send(b"r" * 100)
    c.recv(1000)
    x, y = (c, a) if first == "client" else (a, c)
    x.close()
    y.recv(1000)
    y.close()
    time.sleep(0.2)
    return port


def fin_info(pkts, addr, port):
    """From a capture of a closed connection, what the endpoint addr:port remembers in
    TIME_WAIT: rcv_nxt (peer's FIN + 1), snd_nxt (own FIN + 1), the last TS val each
    side sent and the wall-clock time of the last segment."""
    mine = [p for p in pkts if p.src == addr and p.sport == port]
    peer = [p for p in pkts if p.dst == addr and p.dport == port]
    myfin = [p for p in mine if "F" in p.flags]
    pfin = [p for p in peer if "F" in p.flags]
    return {
        "snd_nxt": (myfin[-1].seq + myfin[-1].len + 1) & 0xffffffff if myfin else None,
        "rcv_nxt": (pfin[-1].seq + pfin[-1].len + 1) & 0xffffffff if pfin else None,
        "peer_fin_seq": pfin[-1].seq if pfin else None,
        "my_ts": mine[-1].tsval if mine else None,
        "peer_ts": peer[-1].tsval if peer else None,
        "peer_ts_t": peer[-1].t if peer else None,
        "peer": (peer[-1].src, peer[-1].sport) if peer else None,
        "t_last": max(p.t for p in pkts) if pkts else None,
    }


def peer_ts_now(info):
    """The peer's timestamp clock now (1 per ms), from its last TS val seen."""
    return (info["peer_ts"] + int((time.time() - info["peer_ts_t"]) * 1000)) & 0xffffffff
