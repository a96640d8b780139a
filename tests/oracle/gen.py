# SPDX-License-Identifier: BSD-2-Clause
"""Packet generator for the differential run: structured cases (every ICMP
type and code, extension headers, fragments, IPv4 options, RFC 4884
extensions, size boundaries) and seeded random ones.  Each case is
(kind, bytes); kind is what disagreements are grouped by."""
import ipaddress
import random
import struct

from ref import Config, csum, embed6052, pseudo4, pseudo6

A4 = lambda s: ipaddress.IPv4Address(s).packed  # noqa: E731
A6 = lambda s: ipaddress.IPv6Address(s).packed  # noqa: E731

# stateless addressing (see diff.py CONF_STATELESS)
R4 = [A4("203.0.113.%d" % i) for i in (9, 10, 77, 200)]  # IPv4 hosts
H6 = [A6("2001:db8:aaaa::%x" % i) for i in (5, 0x10, 0xfe)]  # EAM 198.51.100.0/24
H6B = [A6("2001:db8:bbbb:0:%x00::" % (i << 1)) for i in (1, 5, 0x7f)]  # EAM 192.0.2.128/25 at bit 64
ROUTER6 = A6("2001:db8:1234::1")  # maps to no IPv4 address (RFC 6791)
UNMAPPED6 = A6("2001:db8:9999::7")


PREFIX = Config(prefix="2001:db8:64::/96")  # diff.py --prefix replaces it


def p64(a4):
    """The IPv4 host's address in the translation prefix (RFC 6052 §2.2)."""
    return embed6052(PREFIX, a4)


def h4of(a6):
    if a6[:6] == A6("2001:db8:aaaa::")[:6]:
        return A4("198.51.100.0")[:3] + a6[15:16]
    return A4("192.0.2.0")[:3] + bytes([128 | (a6[8] >> 1)])


# --------------------------------------------------------------- builders
def ip4(src, dst, proto, payload, ttl=64, tos=0, ident=0x1234, df=False, mf=False,
        off=0, opts=b"", tot=None):
    opts += b"\0" * (-len(opts) % 4)
    ihl = 20 + len(opts)
    fo = (0x4000 if df else 0) | (0x2000 if mf else 0) | off
    if tot is None:
        tot = ihl + len(payload)
    h = struct.pack("!BBHHHBBH", 0x40 | (ihl // 4), tos, tot, ident, fo, ttl, proto, 0) + src + dst + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload, hlim=64, tc=0, fl=0, exts=()):
    """exts: list of (type, body) extension headers in order; body without
    the next-header byte (and length byte for 0/43/60)."""
    chain = b""
    types = [e[0] for e in exts] + [nh]
    for i, (t, body) in enumerate(exts):
        nxt = types[i + 1]
        if t == 44:
            chain += bytes([nxt]) + body
        else:
            raw = body + b"\0" * (-(len(body) + 2) % 8)
            chain += bytes([nxt, (len(raw) + 2) // 8 - 1]) + raw
    first = types[0]
    return struct.pack("!IHBB", (6 << 28) | (tc << 20) | fl, len(chain) + len(payload),
                       first, hlim) + src + dst + chain + payload


def frag6(off, m, ident):
    return (44, struct.pack("!BHI", 0, (off << 3) | int(m), ident))


def l4csum(proto, ps, seg, at):
    c = csum(ps + seg)
    if proto == 17 and c == 0:
        c = 0xFFFF
    return seg[:at] + struct.pack("!H", c) + seg[at + 2:]


def udp(src, dst, sport, dport, data, zero=False):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    if zero:
        return seg
    ps = pseudo4(src, dst, 17, len(seg)) if len(src) == 4 else pseudo6(src, dst, 17, len(seg))
    return l4csum(17, ps, seg, 6)


def tcp(src, dst, sport, dport, data, flags=0x18, seq=1000):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + data
    ps = pseudo4(src, dst, 6, len(seg)) if len(src) == 4 else pseudo6(src, dst, 6, len(seg))
    return l4csum(6, ps, seg, 16)


def dccp(src, dst, sport, dport, data):
    # 16-byte generic header (X=1), type Data (2), CsCov 0: the checksum
    # covers the pseudo-header (RFC 4340 §9)
    seg = struct.pack("!HHBBH", sport, dport, 4, 0, 0) + bytes([2 << 1 | 1, 0]) + b"\0" * 6 + data
    ps = pseudo4(src, dst, 33, len(seg)) if len(src) == 4 else pseudo6(src, dst, 33, len(seg))
    return l4csum(33, ps, seg, 6)


def icmp4(t, c, rest, body):
    m = bytes([t, c, 0, 0]) + rest + body
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def icmp6(src, dst, t, c, rest, body):
    m = bytes([t, c, 0, 0]) + rest + body
    return m[:2] + struct.pack("!H", csum(pseudo6(src, dst, 58, len(m)) + m)) + m[4:]


def ext_obj(rng, n):
    """An RFC 4884 extension structure: version 2 header with checksum and
    one object of n bytes of data."""
    obj = struct.pack("!HBB", 4 + n, 1, 1) + bytes(rng.randrange(256) for _ in range(n))
    hdr = b"\x20\0\0\0"
    s = hdr + obj
    return s[:2] + struct.pack("!H", csum(s)) + s[4:]


def data(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


# ------------------------------------------------- original (quoted) packets
def orig6to4_sent(rng, kind="udp", n=None, hlim=None, df=None, frag=None, opts=b""):
    """A packet an IPv6 host sent (seen on the IPv4 side): src = IPv6 host's
    IPv4 address, dst = IPv4 host."""
    h6 = rng.choice(H6 + H6B)
    s, d = h4of(h6), rng.choice(R4)
    n = rng.randrange(0, 200) if n is None else n
    if kind == "udp":
        pl, p = udp(s, d, rng.randrange(1024, 65535), 53, data(rng, n)), 17
    elif kind == "tcp":
        pl, p = tcp(s, d, rng.randrange(1024, 65535), 80, data(rng, n)), 6
    else:
        pl, p = icmp4(8, 0, struct.pack("!HH", rng.randrange(65536), 1), data(rng, n)), 1
    if df is None:
        df = rng.random() < 0.5
    mf, off = frag if frag else (False, 0)
    return ip4(s, d, p, pl, ttl=hlim or rng.randrange(1, 64), df=df, mf=mf, off=off,
               tos=rng.choice([0, 0x10, 0xb8]), opts=opts, ident=rng.randrange(65536))


def orig4to6_sent(rng, kind="udp", n=None, exts=()):
    """A packet an IPv4 host sent (seen on the IPv6 side): src = prefix
    address of the IPv4 host, dst = IPv6 host."""
    s, d = p64(rng.choice(R4)), rng.choice(H6 + H6B)
    n = rng.randrange(0, 200) if n is None else n
    if kind == "udp":
        pl, nh = udp(s, d, 53, rng.randrange(1024, 65535), data(rng, n)), 17
    elif kind == "tcp":
        pl, nh = tcp(s, d, 80, rng.randrange(1024, 65535), data(rng, n)), 6
    else:
        pl, nh = icmp6(s, d, 129, 0, struct.pack("!HH", rng.randrange(65536), 1), data(rng, n)), 58
    return ip6(s, d, nh, pl, hlim=rng.randrange(1, 64), tc=rng.choice([0, 0x10, 0xb8]),
               exts=exts)


# ------------------------------------------------------- IPv4 -> IPv6 cases
def c4_plain(rng, proto=None, n=None, ttl=None, tos=None, df=None, zero=False, opts=b"",
             src=None, mf=False, off=0):
    s = src or rng.choice(R4)
    h6 = rng.choice(H6 + H6B)
    d = h4of(h6)
    proto = proto or rng.choice([17, 6, 1, 33, 132, 47])
    n = rng.randrange(0, 1400) if n is None else n
    if proto == 17:
        pl = udp(s, d, rng.randrange(1, 65536), rng.randrange(1, 65536), data(rng, n), zero=zero)
    elif proto == 6:
        pl = tcp(s, d, rng.randrange(1, 65536), rng.randrange(1, 65536), data(rng, n))
    elif proto == 33:
        pl = dccp(s, d, rng.randrange(1, 65536), rng.randrange(1, 65536), data(rng, n))
    elif proto == 1:
        pl = icmp4(rng.choice([8, 0]), 0, struct.pack("!HH", rng.randrange(65536), rng.randrange(65536)),
                   data(rng, n))
    else:
        pl = data(rng, n)
    if df is None:
        df = rng.random() < 0.5
    if proto == 1:
        mf, off = False, 0
    ttl = rng.choice([2, 64, 255]) if ttl is None else ttl
    tos = rng.choice([0, 0x10, 0xb8, 0xff, 3]) if tos is None else tos
    return ip4(s, d, proto, pl, ttl=ttl, tos=tos, df=df, mf=mf, off=off, opts=opts,
               ident=rng.randrange(65536))


def c4_icmp_err(rng, t, c, ptr=0, mtu=None, qkind=None, qlen=None, ext=None, ttl=64,
                qdf=None, qfrag=None, qopts=b"", src=None):
    """An ICMPv4 error from an IPv4 router about a packet an IPv6 host sent."""
    qkind = qkind or rng.choice(["udp", "tcp", "icmp"])
    orig = orig6to4_sent(rng, qkind, df=qdf, frag=qfrag, opts=qopts)
    s = src or rng.choice(R4)
    d = orig[12:16]
    q = orig if qlen is None else orig[:qlen]
    length = 0
    if ext is not None:
        q = q + b"\0" * (-len(q) % 4)
        q = q + b"\0" * max(0, 128 - len(q))
        length = len(q) // 4
        q += ext_obj(rng, ext)
    if t == 3:
        rest = struct.pack("!BBH", 0, length, mtu if mtu is not None else 0)
    elif t == 12:
        rest = struct.pack("!BBH", ptr, length, 0)
    else:
        rest = struct.pack("!BBH", 0, length, 0)
    return ip4(s, d, 1, icmp4(t, c, rest, q), ttl=ttl, ident=rng.randrange(65536))


# ------------------------------------------------------- IPv6 -> IPv4 cases
def c6_plain(rng, nh=None, n=None, hlim=None, tc=None, fl=None, exts=(), src=None, dst=None):
    s = src or rng.choice(H6 + H6B)
    d = dst or p64(rng.choice(R4))
    nh = nh or rng.choice([17, 6, 58, 33, 132, 47])
    n = rng.randrange(0, 1400) if n is None else n
    if nh == 17:
        pl = udp(s, d, rng.randrange(1, 65536), rng.randrange(1, 65536), data(rng, n))
    elif nh == 6:
        pl = tcp(s, d, rng.randrange(1, 65536), rng.randrange(1, 65536), data(rng, n))
    elif nh == 33:
        pl = dccp(s, d, rng.randrange(1, 65536), rng.randrange(1, 65536), data(rng, n))
    elif nh == 58:
        pl = icmp6(s, d, rng.choice([128, 129]), 0,
                   struct.pack("!HH", rng.randrange(65536), rng.randrange(65536)), data(rng, n))
    elif nh == 59:
        pl = b""
    else:
        pl = data(rng, n)
    return ip6(s, d, nh, pl, hlim=rng.choice([2, 64, 255]) if hlim is None else hlim,
               tc=rng.choice([0, 0x10, 0xb8, 0xff, 3]) if tc is None else tc,
               fl=rng.randrange(1 << 20) if fl is None else fl, exts=exts)


def c6_icmp_err(rng, t, c, ptr=0, mtu=1280, qkind=None, qlen=None, ext=None, hlim=64,
                src=None, qexts=()):
    """An ICMPv6 error from an IPv6 node about a packet an IPv4 host sent."""
    qkind = qkind or rng.choice(["udp", "tcp", "icmp"])
    orig = orig4to6_sent(rng, qkind, exts=qexts)
    s = src or rng.choice([ROUTER6, orig[24:40], p64(rng.choice(R4))])
    d = orig[8:24]
    q = orig if qlen is None else orig[:qlen]
    length = 0
    if ext is not None:
        q = q + b"\0" * (-len(q) % 8)
        q = q + b"\0" * max(0, 128 - len(q))
        length = len(q) // 8
        q += ext_obj(rng, ext)
    if t == 2:
        rest = struct.pack("!I", mtu)
    elif t == 4:
        rest = struct.pack("!I", ptr)
    else:
        rest = struct.pack("!BBH", length, 0, 0)
    return ip6(s, d, 58, icmp6(s, d, t, c, rest, q), hlim=hlim)


# -------------------------------------------------------------- structured
def structured(rng):
    out = []
    add = lambda k, p: out.append((k, p))  # noqa: E731
    # --- IPv4 -> IPv6 plain
    for proto in (17, 6, 33, 1, 132, 47, 59):
        for n in (0, 1, 100):
            add("4to6 proto%d" % proto, c4_plain(rng, proto, n))
    for ttl in (0, 1, 2, 255):
        add("4to6 ttl%d" % ttl, c4_plain(rng, 17, 20, ttl=ttl))
    for tos in (0, 1, 0xb8, 0xff):
        add("4to6 tos", c4_plain(rng, 6, 20, tos=tos))
    add("4to6 udp-zero-checksum", c4_plain(rng, 17, 33, zero=True))
    add("4to6 udp-zero-checksum-frag", c4_plain(rng, 17, 64, zero=True, mf=True, df=False))
    for n in (1211, 1212, 1213, 1220, 1232, 1233, 1240, 1241, 1400, 1452):
        for df in (False, True):
            add("4to6 size-df%d" % df, c4_plain(rng, 17, n, df=df))
    for mf, off in ((True, 0), (True, 100), (False, 100), (True, 1)):
        for p in (17, 6, 47):
            add("4to6 fragment", c4_plain(rng, p, 200, mf=mf, off=off, df=False))
        add("4to6 fragment-big", c4_plain(rng, 17, 1400, mf=mf, off=off, df=False))
    opts = {
        "nop": b"\x01\x01\x01\x01",
        "rr": b"\x07\x07\x04" + b"\0" * 4 + b"\x00",
        "ts": b"\x44\x0c\x05\x00" + b"\0" * 8,
        "lsrr-unexpired": b"\x83\x07\x04" + A4("203.0.113.1") + b"\x00",
        "lsrr-expired": b"\x83\x07\x08" + A4("203.0.113.1") + b"\x00",
        "ssrr-unexpired": b"\x89\x0b\x04" + A4("203.0.113.1") + A4("203.0.113.2") + b"\x00",
        "ssrr-expired": b"\x89\x07\x08" + A4("203.0.113.1") + b"\x00",
        "ra": b"\x94\x04\x00\x00",
    }
    for name, o in opts.items():
        add("4to6 opt-%s" % name, c4_plain(rng, 17, 30, opts=o))
    for s in ("0.0.0.1", "127.0.0.1", "224.0.0.5", "169.254.1.1"):
        add("4to6 src-%s" % s.split(".")[0], c4_plain(rng, 17, 10, src=A4(s)))
    # ICMPv4 informational
    for t in (0, 8):
        for c in (0, 1):
            add("4to6 icmp-echo", ip4(R4[0], h4of(H6[0]), 1, icmp4(t, c, b"\0\1\0\2", b"hello")))
    for t in (4, 5, 9, 10, 13, 14, 15, 16, 17, 18, 30, 42, 253):
        add("4to6 icmp-type%d" % t, ip4(R4[0], h4of(H6[0]), 1, icmp4(t, 0, b"\0" * 4, orig6to4_sent(rng)[:28])))
    # ICMPv4 errors: every code
    for c in range(0, 17):
        add("4to6 icmperr 3/%d" % c, c4_icmp_err(rng, 3, c, mtu=1400 if c == 4 else 0))
    for c in range(0, 3):
        add("4to6 icmperr 11/%d" % c, c4_icmp_err(rng, 11, c))
    for c in range(0, 4):
        for ptr in range(0, 22):
            add("4to6 icmperr 12/%d" % c, c4_icmp_err(rng, 12, c, ptr=ptr))
    for mtu in (0, 68, 296, 576, 1006, 1280, 1400, 1480, 1492, 1500, 9000, 65535):
        add("4to6 icmperr 3/4 mtu", c4_icmp_err(rng, 3, 4, mtu=mtu, qkind="udp"))
    for qlen in (0, 8, 19, 20, 21, 24, 28, 40):
        add("4to6 icmperr quote%d" % min(qlen, 28), c4_icmp_err(rng, 3, 1, qlen=qlen))
    add("4to6 icmperr ttl1", c4_icmp_err(rng, 3, 3, ttl=1))
    for s in ("127.0.0.1", "0.0.0.0", "169.254.0.9"):
        add("4to6 icmperr src-%s" % s.split(".")[0], c4_icmp_err(rng, 3, 1, src=A4(s)))
    add("4to6 icmperr inner-df", c4_icmp_err(rng, 3, 3, qdf=True))
    add("4to6 icmperr inner-frag", c4_icmp_err(rng, 11, 1, qkind="udp", qfrag=(True, 0)))
    add("4to6 icmperr inner-frag", c4_icmp_err(rng, 11, 1, qkind="udp", qfrag=(False, 50)))
    add("4to6 icmperr inner-opts", c4_icmp_err(rng, 3, 3, qopts=b"\x01" * 8))
    for t, c in ((3, 1), (3, 3), (11, 0), (12, 0), (3, 4), (3, 2)):
        for ext in (4, 16, 100):
            add("4to6 icmperr rfc4884 %d/%d" % (t, c), c4_icmp_err(rng, t, c, ext=ext, mtu=1400))
    # big ICMPv4 errors around the 1280-byte IPv6 limit (quote of a 1400-byte UDP)
    for pad in (1100, 1190, 1191, 1192, 1200, 1240, 1300):
        orig = orig6to4_sent(rng, "udp", n=1400)
        add("4to6 icmperr big", ip4(R4[1], orig[12:16], 1, icmp4(3, 3, b"\0" * 4, orig[:pad])))
    for pad in (1000, 1100, 1150):
        add("4to6 icmperr big-rfc4884", c4_icmp_err(rng, 11, 0, qlen=pad, qkind="udp", ext=64))
    # --- IPv6 -> IPv4 plain
    for nh in (17, 6, 33, 58, 132, 47, 59):
        for n in (0, 1, 100):
            add("6to4 nh%d" % nh, c6_plain(rng, nh, n))
    for hl in (0, 1, 2, 255):
        add("6to4 hlim%d" % hl, c6_plain(rng, 17, 20, hlim=hl))
    for tc in (0, 1, 0xb8, 0xff):
        add("6to4 tc", c6_plain(rng, 6, 20, tc=tc, fl=rng.randrange(1 << 20)))
    # the 1260-byte DF rule: IPv4 total 1240 + 20 = 1260 with n = 1232
    for n in (1200, 1231, 1232, 1233, 1240, 1400, 1452):
        add("6to4 size", c6_plain(rng, 17, n))
    hbh = (0, b"\x01\x04\0\0\0\0")
    dst = (60, b"\x01\x04\0\0\0\0")
    rt0 = (43, b"\x00\x00" + b"\0" * 4 + A6("2001:db8::1"))  # type 0, segleft 0
    rt_left = (43, b"\x00\x01" + b"\0" * 4 + A6("2001:db8::1"))
    rt4 = (43, b"\x04\x00" + b"\0" * 4)  # SRH-like with segleft 0
    for name, ex in (("hbh", [hbh]), ("dst", [dst]), ("rt0", [rt0]), ("rt-segleft", [rt_left]),
                     ("hbh-dst-rt", [hbh, dst, rt0]), ("rt4", [rt4]),
                     ("dst-rt-segleft", [dst, rt_left]),
                     ("atomic", [frag6(0, False, 0x12345678)]),
                     ("frag-first", [frag6(0, True, 0xabcd0001)]),
                     ("frag-middle", [frag6(100, True, 0xabcd0002)]),
                     ("frag-last", [frag6(100, False, 0xabcd0003)]),
                     ("hbh-frag", [hbh, frag6(0, True, 0x77)]),
                     ("frag-dst", [frag6(0, True, 0x78), dst]),
                     ("atomic-dst", [frag6(0, False, 0x79), dst]),
                     ("frag-rt-segleft", [frag6(0, True, 0x7a), rt_left])):
        for nh in (17, 6):
            add("6to4 ext-%s" % name, c6_plain(rng, nh, 40, exts=ex))
    add("6to4 ext-atomic-icmp", c6_plain(rng, 58, 40, exts=[frag6(0, False, 0x5)]))
    add("6to4 nh59-hbh", c6_plain(rng, 59, 0, exts=[hbh]))
    add("6to4 src-unmapped", c6_plain(rng, 17, 10, src=UNMAPPED6))
    add("6to4 dst-unmapped", c6_plain(rng, 17, 10, dst=UNMAPPED6))
    add("6to4 src-loopback", c6_plain(rng, 17, 10, src=A6("::1")))
    add("6to4 src-linklocal", c6_plain(rng, 17, 10, src=A6("fe80::1")))
    for src in (A6("::1"), A6("fe80::1")):
        add("6to4 icmperr src-illegal", c6_icmp_err(rng, 1, 4, src=src))
    # ICMPv6 informational
    for t in (128, 129):
        for c in (0, 1):
            s, d = H6[0], p64(R4[0])
            add("6to4 icmp-echo", ip6(s, d, 58, icmp6(s, d, t, c, b"\0\1\0\2", b"hello")))
    for t in (130, 131, 132, 133, 134, 135, 136, 137, 139, 143, 200, 255, 100, 127):
        s, d = H6[0], p64(R4[0])
        add("6to4 icmp-type%d" % t, ip6(s, d, 58, icmp6(s, d, t, 0, b"\0" * 4, b"x" * 16)))
    for c in range(0, 8):
        add("6to4 icmperr 1/%d" % c, c6_icmp_err(rng, 1, c))
    for c in range(0, 3):
        add("6to4 icmperr 3/%d" % c, c6_icmp_err(rng, 3, c))
    for c in range(0, 4):
        for ptr in list(range(0, 42)) + [1000]:
            add("6to4 icmperr 4/%d" % c, c6_icmp_err(rng, 4, c, ptr=ptr))
    for mtu in (0, 1280, 1300, 1400, 1500, 1520, 9000, 65535, 70000):
        add("6to4 icmperr 2/0 mtu", c6_icmp_err(rng, 2, 0, mtu=mtu))
    add("6to4 icmperr 2/0 inner-frag", c6_icmp_err(rng, 2, 0, mtu=1400, qexts=[frag6(0, True, 9)]))
    for src in (ROUTER6, UNMAPPED6):
        add("6to4 icmperr router-unmapped", c6_icmp_err(rng, 1, 0, src=src))
    for qlen in (0, 20, 39, 40, 41, 48, 60):
        add("6to4 icmperr quote%d" % min(qlen, 48), c6_icmp_err(rng, 1, 4, qlen=qlen))
    add("6to4 icmperr hlim1", c6_icmp_err(rng, 1, 4, hlim=1))
    for name, ex in (("hbh", [hbh]), ("frag", [frag6(0, True, 0x99)]), ("atomic", [frag6(0, False, 0x9a)]),
                     ("dst", [dst])):
        add("6to4 icmperr inner-%s" % name, c6_icmp_err(rng, 3, 0, qexts=ex))
    for t, c in ((1, 0), (1, 4), (3, 0), (2, 0), (4, 0), (4, 1)):
        for ext in (4, 16, 100):
            add("6to4 icmperr rfc4884 %d/%d" % (t, c), c6_icmp_err(rng, t, c, ext=ext, ptr=6))
    # originated errors at their size limits (576 for ICMPv4, 1280 for ICMPv6)
    for n in (500, 520, 521, 1000, 1400):
        add("4to6 ttl1-big", c4_plain(rng, 17, n, ttl=1))
        add("6to4 hlim1-big", c6_plain(rng, 17, n + 700, hlim=1))
    # translated ICMPv4 errors around 576 bytes, with and without RFC 4884
    for qlen in (500, 540, 548, 549, 556, 600, 1000):
        add("6to4 icmperr big576", c6_icmp_err(rng, 1, 4, qlen=qlen, qkind="udp"))
        add("6to4 icmperr big576-rfc4884", c6_icmp_err(rng, 3, 0, qlen=qlen, qkind="udp", ext=32))
    for pad in (1000, 1180, 1232):
        orig = orig4to6_sent(rng, "udp", n=1400)
        s, d = ROUTER6, orig[8:24]
        add("6to4 icmperr big", ip6(s, d, 58, icmp6(s, d, 1, 4, b"\0" * 4, orig[:pad])))
    return out


def random_case(rng):
    r = rng.random()
    if r < 0.22:
        return "4to6 rnd-plain", c4_plain(rng, ttl=rng.choice([1, 2, 64]) if rng.random() < 0.1 else None,
                                          zero=rng.random() < 0.05)
    if r < 0.30:
        off = rng.randrange(0, 200)
        return "4to6 rnd-fragment", c4_plain(rng, rng.choice([17, 6, 47]), df=False,
                                             mf=rng.random() < 0.6, off=off)
    if r < 0.45:
        t = rng.choice([3, 3, 3, 11, 12])
        c = rng.randrange(16 if t == 3 else 3)
        ext = rng.choice([None, None, 4, 40])
        return "4to6 rnd-icmperr %d/%d" % (t, c), c4_icmp_err(
            rng, t, c, ptr=rng.randrange(21), mtu=rng.choice([0, 1280, 1400, 1500]),
            qlen=rng.choice([None, None, 28, rng.randrange(20, 300)]), ext=ext)
    if r < 0.67:
        hbh = (0, b"\x01\x04\0\0\0\0")
        exts = rng.choice([(), (), (), [hbh], [(60, b"\x01\x02\0\0")],
                           [frag6(rng.randrange(0, 100), rng.random() < 0.5, rng.randrange(1 << 32))]])
        nh = rng.choice([17, 6, 58, 33, 47]) if not exts or exts[0][0] != 44 else rng.choice([17, 6, 47])
        return "6to4 rnd-plain", c6_plain(rng, nh, hlim=rng.choice([1, 2, 64]) if rng.random() < 0.1 else None,
                                          exts=exts)
    t = rng.choice([1, 1, 2, 3, 4])
    c = rng.randrange({1: 8, 2: 1, 3: 2, 4: 3}[t])
    return "6to4 rnd-icmperr %d/%d" % (t, c), c6_icmp_err(
        rng, t, c, ptr=rng.randrange(45), mtu=rng.choice([1280, 1400, 1500, 65535]),
        qlen=rng.choice([None, None, 48, rng.randrange(40, 300)]),
        ext=rng.choice([None, None, 4, 40]) if t in (1, 3) else None)


def cases(seed, count):
    rng = random.Random(seed)
    out = structured(rng)
    if count < len(out):
        out = rng.sample(out, count)
    while len(out) < count:
        out.append(random_case(rng))
    return out
