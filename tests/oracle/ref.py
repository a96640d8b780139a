# SPDX-License-Identifier: BSD-2-Clause
"""Reference IPv4/IPv6 translator (clean room), written from the RFCs only:
RFC 7915 (SIIT) §4-§5, RFC 6052 (address embedding), RFC 7757 (EAM),
RFC 6791 (ICMP error sources), RFC 4884 (ICMP extensions), RFC 6946
(atomic fragments), RFC 6146 (stateful NAT64, static and learned bindings).

translate(cfg, pkt) returns the list of Out packets the RFCs say a
translator emits for one input packet.  Fields the RFC leaves to the
implementation (the IPv4 Identification of an unfragmented packet, the TTL
of an error the translator originates ...) are listed in Out.free so the
comparison takes the other side's value for them and then recomputes the
checksums that cover them.
"""
import ipaddress
import struct

V4, V6 = 4, 6
PLATEAUS = (65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68)


class Drop(Exception):
    """The packet is dropped; .why names the rule."""

    def __init__(self, why):
        super().__init__(why)
        self.why = why


class Out:
    def __init__(self, data, free=(), why=""):
        self.data = bytes(data)
        self.free = list(free)  # (offset, length) taken from the other side
        self.why = why

    def __repr__(self):
        return "Out(%s, %s)" % (self.why, self.data.hex())


# ---------------------------------------------------------------- checksums
def csum_add(data, s=0):
    if len(data) % 2:
        data = data + b"\0"
    for (w,) in struct.iter_unpack("!H", data):
        s += w
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def csum(data, s=0):
    return ~csum_add(data, s) & 0xFFFF


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def adjust(old, removed, added):
    """RFC 1624 incremental update: a checksum over data from which the
    bytes `removed` left and the bytes `added` came in."""
    s = (~old & 0xFFFF) + (~csum_add(removed) & 0xFFFF) + csum_add(added)
    return ~fold(s) & 0xFFFF


def pseudo4(src, dst, proto, length):
    return src + dst + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, nh, length):
    return src + dst + struct.pack("!IxxxB", length, nh)


# ------------------------------------------------------------------- config
class Config:
    def __init__(self, mode="stateless", prefix="2001:db8:64::/96",
                 ipv4_addr="192.0.2.1", ipv6_addr="2001:db8:ffff::1",
                 maps=(), pool6791_4=None, pool6791_6=None, pool4=(),
                 bibs=(), lowest_ipv6_mtu=1280, mtu=1500):
        self.mode = mode
        self.prefix = ipaddress.IPv6Network(prefix)
        self.ipv4_addr = ipaddress.IPv4Address(ipv4_addr).packed
        self.ipv6_addr = ipaddress.IPv6Address(ipv6_addr).packed
        # map lines: (IPv4Network, IPv6Network), longest match wins (RFC 7757 §3.2)
        self.maps = [(ipaddress.IPv4Network(a), ipaddress.IPv6Network(b))
                     for a, b in maps]
        self.pool6791_4 = pool6791_4
        self.pool6791_6 = pool6791_6
        self.pool4 = [ipaddress.IPv4Network(p) for p in pool4]
        # static bib: (proto, v4addr, v4port, v6addr, v6port)
        self.bibs = list(bibs)
        self.lowest_ipv6_mtu = lowest_ipv6_mtu
        self.mtu = mtu

    def conf_text(self):
        lines = ["mode %s" % self.mode, "prefix %s" % self.prefix,
                 "ipv4-addr %s" % ipaddress.IPv4Address(self.ipv4_addr),
                 "ipv6-addr %s" % ipaddress.IPv6Address(self.ipv6_addr),
                 "mtu %d" % self.mtu,
                 "lowest-ipv6-mtu %d" % self.lowest_ipv6_mtu,
                 # RFC defaults for every knob tun64 has
                 "tos copy", "flow-label zero", "udp-zero-checksum compute",
                 "icmp-unreachable yes", "icmp-error-rate 0",
                 "icmp-error-burst 1000000", "routes no",
                 "filtering endpoint-independent", "offload no",
                 "udp-coalesce no", "wkp-allow-private yes"]
        for p in self.pool4:
            lines.append("pool4 %s" % p)
        if self.pool6791_4:
            lines.append("rfc6791-pool4 %s" % self.pool6791_4)
        if self.pool6791_6:
            lines.append("rfc6791-pool6 %s" % self.pool6791_6)
        for a, b in self.maps:
            lines.append("map %s %s" % (a, b))
        for proto, a4, p4, a6, p6 in self.bibs:
            lines.append("bib %s %s#%d %s#%d" % (proto, a4, p4, a6, p6))
        return "\n".join(lines) + "\n"


# ------------------------------------------------------- address mapping
def _bits(addr_bytes):
    return int.from_bytes(addr_bytes, "big")


def embed6052(cfg, a4):
    """RFC 6052 §2.2: the IPv4 address at the prefix, skipping bits 64-71."""
    plen = cfg.prefix.prefixlen
    p = bytearray(cfg.prefix.network_address.packed)
    n = plen // 8
    v4 = list(a4)
    i = n
    for b in v4:
        if i == 8:
            i += 1  # the u octet stays zero
        p[i] = b
        i += 1
    return bytes(p)


def extract6052(cfg, a6):
    if ipaddress.IPv6Address(a6) not in cfg.prefix:
        return None
    plen = cfg.prefix.prefixlen
    i = plen // 8
    out = []
    while len(out) < 4:
        if i == 8:
            i += 1
            continue
        out.append(a6[i])
        i += 1
    return bytes(out)


def map4to6(cfg, a4):
    """RFC 7757 §3.2 (EAM, longest IPv4 prefix) then RFC 6052."""
    ip = ipaddress.IPv4Address(a4)
    best = None
    for n4, n6 in cfg.maps:
        if ip in n4 and (best is None or n4.prefixlen > best[0].prefixlen):
            best = (n4, n6)
    if best:
        n4, n6 = best
        suffix = _bits(a4) & ((1 << (32 - n4.prefixlen)) - 1)
        shift = 128 - n6.prefixlen - (32 - n4.prefixlen)
        v = _bits(n6.network_address.packed) | (suffix << shift)
        return v.to_bytes(16, "big")
    return embed6052(cfg, a4)


def map6to4(cfg, a6):
    ip = ipaddress.IPv6Address(a6)
    best = None
    for n4, n6 in cfg.maps:
        if ip in n6 and (best is None or n6.prefixlen > best[1].prefixlen):
            best = (n4, n6)
    if best:
        n4, n6 = best
        slen = 32 - n4.prefixlen
        shift = 128 - n6.prefixlen - slen
        suffix = (_bits(a6) >> shift) & ((1 << slen) - 1)
        return (_bits(n4.network_address.packed) | suffix).to_bytes(4, "big")
    return extract6052(cfg, a6)


def illegal4(a):
    """Sources a router never forwards (RFC 1812 §5.3.7, RFC 7915 §4.1),
    link-local ones included (RFC 3927 §7)."""
    return a[0] == 0 or a[0] == 127 or a[0] >= 224 or a[:2] == b"\xa9\xfe"


def illegal6(a):
    """The same for IPv6 (RFC 4291 §2.5.2, §2.5.3, §2.5.6)."""
    ip = ipaddress.IPv6Address(a)
    return ip.is_unspecified or ip.is_loopback or ip.is_multicast or ip.is_link_local


# --------------------------------------------------------------- headers
def parse4(d):
    if len(d) < 20 or d[0] >> 4 != 4:
        raise Drop("bad-ipv4")
    ihl = (d[0] & 15) * 4
    tot = struct.unpack("!H", d[2:4])[0]
    if ihl < 20 or len(d) < ihl:
        raise Drop("bad-ipv4")
    fo = struct.unpack("!H", d[6:8])[0]
    return dict(ihl=ihl, tos=d[1], tot=tot, id=struct.unpack("!H", d[4:6])[0],
                df=bool(fo & 0x4000), mf=bool(fo & 0x2000), off=fo & 0x1FFF,
                ttl=d[8], proto=d[9], src=d[12:16], dst=d[16:20],
                opts=d[20:ihl])


def hdr6(tc, fl, plen, nh, hlim, src, dst):
    return struct.pack("!IHBB", (6 << 28) | (tc << 20) | fl, plen, nh,
                       hlim) + src + dst


def hdr4(tos, tot, ident, df, mf, off, ttl, proto, src, dst):
    fo = (0x4000 if df else 0) | (0x2000 if mf else 0) | off
    h = struct.pack("!BBHHHBBH", 0x45, tos, tot, ident, fo, ttl, proto, 0) + src + dst
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


# IANA's IPv6 extension headers (RFC 7045 §2), ESP (50) left out: what may
# not follow a Fragment header (RFC 7915 §5.1.1).
EXT6_AFTER_FRAG = (0, 43, 44, 51, 60, 135, 139, 140, 253, 254)


def parse6(d):
    """Walks the extension headers (RFC 7915 §5.1).  Returns a dict with the
    upper-layer protocol, its offset, the fragment header if any, and the
    offset of a Routing header's Segments Left when it is non-zero."""
    if len(d) < 40 or d[0] >> 4 != 6:
        raise Drop("bad-ipv6")
    w, plen, nh, hlim = struct.unpack("!IHBB", d[:8])
    r = dict(tc=(w >> 20) & 0xFF, fl=w & 0xFFFFF, plen=plen, hlim=hlim,
             src=d[8:24], dst=d[24:40], frag=None, segleft_at=None)
    off = 40
    while True:
        if nh in (0, 60, 43):
            if len(d) < off + 8:
                raise Drop("truncated-ext")
            if nh == 43 and d[off + 3] != 0 and r["segleft_at"] is None:
                r["segleft_at"] = off + 3
            nxt, ln = d[off], (d[off + 1] + 1) * 8
            nh, off = nxt, off + ln
            if len(d) < off:
                raise Drop("truncated-ext")
        elif nh == 44:
            if len(d) < off + 8:
                raise Drop("truncated-ext")
            nxt = d[off]
            fo = struct.unpack("!H", d[off + 2:off + 4])[0]
            ident = struct.unpack("!I", d[off + 4:off + 8])[0]
            r["frag"] = dict(off=fo >> 3, m=bool(fo & 1), id=ident, nxt=nxt)
            nh, off = nxt, off + 8
            if fo >> 3:
                break  # a later fragment: what follows is data
        else:
            break
    r["nh"], r["l4"] = nh, off
    return r


# ------------------------------------------------------- transport checksums
L4_CSUM = {6: 16, 17: 6, 33: 6}  # TCP, UDP, DCCP: checksum offset (RFC 7915 §4.5/§5.5)


def fix_l4(proto, l4, old_ps, new_ps, first):
    """Updates the transport checksum for the new pseudo-header."""
    at = L4_CSUM.get(proto)
    if at is None or not first or len(l4) < at + 2:
        return l4
    old = struct.unpack("!H", l4[at:at + 2])[0]
    if proto == 17 and old == 0:
        return l4  # caller decides (zero UDP checksum)
    new = adjust(old, old_ps, new_ps)
    if proto == 17 and new == 0:
        new = 0xFFFF
    return l4[:at] + struct.pack("!H", new) + l4[at + 2:]


# ------------------------------------------------------------ ICMP tables
# RFC 7915 §4.2 Figure 3: IPv4 Parameter Problem pointer -> IPv6 pointer
PTR4TO6 = {0: 0, 1: 1, 2: 4, 3: 4, 8: 7, 9: 6, 12: 8, 13: 8, 14: 8, 15: 8,
           16: 24, 17: 24, 18: 24, 19: 24}
# RFC 7915 §5.2 Figure 6: IPv6 pointer -> IPv4 pointer
PTR6TO4 = {0: 0, 1: 1, 4: 2, 5: 2, 6: 9, 7: 8}
PTR6TO4.update({i: 12 for i in range(8, 24)})
PTR6TO4.update({i: 16 for i in range(24, 40)})
# RFC 7915 §4.2, Destination Unreachable codes -> (ICMPv6 type, code)
DU4TO6 = {0: (1, 0), 1: (1, 0), 5: (1, 0), 6: (1, 0), 7: (1, 0), 8: (1, 0),
          11: (1, 0), 12: (1, 0), 9: (1, 1), 10: (1, 1), 13: (1, 1),
          15: (1, 1), 3: (1, 4)}
# RFC 7915 §5.2, Destination Unreachable codes -> ICMPv4 code
DU6TO4 = {0: 1, 1: 10, 2: 1, 3: 1, 4: 3}
EXT4_TYPES = (3, 11, 12)  # RFC 4884 §4.1
EXT6_TYPES = (1, 3)  # RFC 4884 §4.2
ERR4 = (3, 4, 5, 11, 12)
ERR6_MAX = 127


def is_icmp4_error(proto, l4):
    return proto == 1 and len(l4) >= 1 and l4[0] in (3, 4, 5, 11, 12)


def is_icmp6_error(nh, l4):
    return nh == 58 and len(l4) >= 1 and l4[0] <= ERR6_MAX


# ------------------------------------------------------ errors we originate
def err4(cfg, d, t, c, rest=b"\0\0\0\0"):
    """An ICMPv4 error from ipv4-addr back to the sender (RFC 7915 §4.4),
    quoting as much as fits 576 bytes (RFC 1812 §4.3.2.3)."""
    quote = d[:576 - 28]
    msg = bytes([t, c, 0, 0]) + rest + quote
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    h = hdr4(0, 20 + len(msg), 0, False, False, 0, 64, 1, cfg.ipv4_addr, d[12:16])
    # TOS, Identification, DF and TTL are the originator's choice
    return Out(h + msg, free=[(1, 1), (4, 2), (6, 1), (8, 1)],
               why="icmp4-error %d/%d" % (t, c))


def err6(cfg, d, t, c, rest=b"\0\0\0\0"):
    """An ICMPv6 error from ipv6-addr back to the sender (RFC 7915 §5.4),
    no larger than 1280 bytes (RFC 4443 §2.4 (c))."""
    quote = d[:1280 - 48]
    msg = bytes([t, c, 0, 0]) + rest + quote
    src, dst = cfg.ipv6_addr, d[8:24]
    msg = msg[:2] + struct.pack("!H", csum(pseudo6(src, dst, 58, len(msg)) + msg)) + msg[4:]
    h = hdr6(0, 0, len(msg), 58, 64, src, dst)
    return Out(h + msg, free=[(0, 4), (7, 1)], why="icmp6-error %d/%d" % (t, c))


def source_route_unexpired(opts):
    """RFC 7915 §4.1: LSRR/SSRR whose pointer has not passed its length."""
    i = 0
    while i < len(opts):
        t = opts[i]
        if t == 0:
            break
        if t == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            return False
        ln = opts[i + 1]
        if t in (131, 137) and i + 2 < len(opts) and opts[i + 2] <= ln:
            return True
        i += ln
    return False


# ------------------------------------------------- IPv4 -> IPv6 (RFC 7915 §4)
class Mapper:
    """Stateless address mapping; the stateful one subclasses it."""

    def __init__(self, cfg):
        self.cfg = cfg

    def v4src(self, a, proto=None, l4=None):  # IPv4 host -> IPv6 address
        return map4to6(self.cfg, a)

    def v4dst(self, a, proto=None, l4=None):
        return map4to6(self.cfg, a)

    def v6back(self, a):  # IPv4 address of an IPv6-side host -> IPv6
        return map4to6(self.cfg, a)

    def v4back(self, a):  # IPv6 address of an IPv6-side host -> IPv4
        return map6to4(self.cfg, a)

    def v6src(self, a, proto=None, l4=None):
        return map6to4(self.cfg, a)

    def v6dst(self, a):
        return map6to4(self.cfg, a)

    def router4(self, a):
        """Source of an ICMPv6 error translated to IPv4 (RFC 6791)."""
        r = map6to4(self.cfg, a)
        if r is not None:
            return r
        if self.cfg.pool6791_4:
            return ipaddress.IPv4Network(self.cfg.pool6791_4).network_address.packed
        return self.cfg.ipv4_addr


def inner4to6(m, q):
    """RFC 7915 §4.3: the quoted IPv4 packet, translated like the outer one
    but without a TTL change and with the addresses in its own direction
    (its source is the IPv6 side's host)."""
    if len(q) < 20:
        raise Drop("quote-short")
    h = parse4(q)
    if len(q) < h["ihl"]:
        raise Drop("quote-short")
    if h["tot"] >= h["ihl"]:
        q = q[:h["tot"]]
    data = q[h["ihl"]:]
    src6, dst6 = m.v6back(h["src"]), m.v4src(h["dst"])
    if src6 is None or dst6 is None:
        raise Drop("quote-unmapped")
    first = h["off"] == 0
    frag = h["mf"] or h["off"]
    proto = h["proto"]
    ulen = max(h["tot"] - h["ihl"], 0)
    if proto == 1:
        if first and len(data) >= 1:
            t = data[0]
            if t in ERR4:
                raise Drop("quote-nested-error")  # RFC 7915 §4.3
            nt = {8: 128, 0: 129}.get(t)
            if nt is not None:
                data = bytes([nt]) + data[1:]
                if len(data) >= 4:
                    old = struct.unpack("!H", data[2:4])[0]
                    new = adjust(old, bytes([t, 0]),
                                 bytes([nt, 0]) + pseudo6(src6, dst6, 58, ulen))
                    data = data[:2] + struct.pack("!H", new) + data[4:]
        proto = 58
    else:
        data = fix_l4(proto, data, h["src"] + h["dst"], src6 + dst6, first)
    plen = ulen + (8 if frag else 0)
    out = hdr6(h["tos"], 0, plen & 0xFFFF, 44 if frag else proto, h["ttl"], src6, dst6)
    if frag:
        out += struct.pack("!BBHI", proto, 0, (h["off"] << 3) | int(h["mf"]), h["id"])
    return out + data


def plateau(tot):
    for p in PLATEAUS:
        if p < tot:
            return p
    return 68


def icmp4to6(m, l4, src6, dst6):
    cfg = m.cfg
    if len(l4) < 8:
        raise Drop("icmp-short")
    t, c = l4[0], l4[1]
    if t in (8, 0):  # RFC 7915 §4.2 echo
        msg = bytes([128 if t == 8 else 129, c, 0, 0]) + l4[4:]
        return msg[:2] + struct.pack("!H", csum(pseudo6(src6, dst6, 58, len(msg)) + msg)) + msg[4:]
    rest = b"\0\0\0\0"
    if t == 3:
        if c == 2:
            nt, nc, rest = 4, 1, struct.pack("!I", 6)  # pointer to Next Header
        elif c == 4:
            nt, nc = 2, 0
            mtu = struct.unpack("!H", l4[6:8])[0]
            if mtu == 0:  # RFC 1191 plateau below the quoted Total Length
                tot = struct.unpack("!H", l4[10:12])[0] if len(l4) >= 12 else 0
                mtu = plateau(tot)
            rest = struct.pack("!I", min(mtu + 20, cfg.mtu, cfg.mtu + 20))
        elif c in DU4TO6:
            nt, nc = DU4TO6[c]
        else:
            raise Drop("icmp4-du-code")
    elif t == 11:
        nt, nc = 3, c
    elif t == 12:
        if c not in (0, 2) or l4[4] not in PTR4TO6:
            raise Drop("icmp4-pp")
        nt, nc, rest = 4, 0, struct.pack("!I", PTR4TO6[l4[4]])
    else:
        raise Drop("icmp4-type")  # RFC 7915 §4.2: everything else is dropped
    inner = l4[8:]
    quote, ext = inner, None
    if t in EXT4_TYPES and l4[5]:
        ln = l4[5] * 4
        if 128 <= ln <= len(inner):  # RFC 4884 §5.4: else not compliant
            quote, ext = inner[:ln], inner[ln:]
    q6 = inner4to6(m, quote)
    if ext is not None and nt in EXT6_TYPES:
        # RFC 4884 §4.2, RFC 7915 §4.2: pad to 64 bits, at least 128 bytes,
        # the length attribute follows the translated quote
        q6 += b"\0" * (-len(q6) % 8)
        q6 += b"\0" * max(0, 128 - len(q6))
        room = 1280 - 48 - len(ext)
        if len(q6) > room and room >= 128:
            q6 = q6[:room - room % 8]
        rest = bytes([len(q6) // 8]) + rest[1:]
        body = q6 + ext
    else:
        body = q6
    msg = (bytes([nt, nc, 0, 0]) + rest + body)[:1280 - 40]  # RFC 4443 §2.4 (c)
    return msg[:2] + struct.pack("!H", csum(pseudo6(src6, dst6, 58, len(msg)) + msg)) + msg[4:]


def xlat4to6(m, d):
    cfg = m.cfg
    h = parse4(d)
    if csum(d[:h["ihl"]]) != 0 or h["tot"] > len(d) or h["tot"] < h["ihl"]:
        raise Drop("bad-ipv4")
    d = d[:h["tot"]]
    l4 = d[h["ihl"]:]
    proto, first = h["proto"], h["off"] == 0
    frag = h["mf"] or h["off"] != 0
    icmperr = first and is_icmp4_error(proto, l4)
    if proto == 6 and h["off"] == 1:
        raise Drop("tiny-fragment")  # RFC 1858 §4 (RFC 3128): overlaps the TCP header
    # An ICMPv4 error from 0/8 or 127/8 is still translated: the packet it
    # quotes is what the IPv6 sender needs, and RFC 7915 §4.2 maps the outer
    # source like any other (RFC 6052, or RFC 6791 where that cannot map it).
    if illegal4(h["src"]) and not (icmperr and h["src"][0] in (0, 127)):
        raise Drop("illegal-src")  # RFC 7915 §4.1, RFC 1812 §5.3.7
    mayerr = not icmperr and first
    if h["ttl"] <= 1:  # RFC 7915 §4.1 Hop Limit
        if mayerr:
            return [err4(cfg, d, 11, 0)]
        raise Drop("ttl")
    if source_route_unexpired(h["opts"]):  # RFC 7915 §4.1
        if mayerr:
            return [err4(cfg, d, 3, 5)]
        raise Drop("source-route")
    src6 = m.v4src(h["src"], proto, l4)
    dst6 = m.v4dst(h["dst"], proto, l4)
    if isinstance(dst6, Out) or isinstance(dst6, list):
        return dst6 if isinstance(dst6, list) else [dst6]
    if src6 is None or dst6 is None:
        if mayerr:
            return [err4(cfg, d, 3, 13)]  # RFC 7915 §4.4
        raise Drop("unmapped")
    if proto == 1:
        if frag:
            raise Drop("icmp-fragment")
        payload, nh = icmp4to6(m, l4, src6, dst6), 58
    else:
        nh = proto
        payload = l4
        at = L4_CSUM.get(proto)
        if proto == 17 and first and len(l4) >= 8 and l4[6:8] == b"\0\0":
            if frag:
                # RFC 7915 §4.5: dropped, and §4.4 answers a discarded
                # IPv4 packet with Destination Unreachable code 13
                return [err4(cfg, d, 3, 13)]
            c = csum(pseudo6(src6, dst6, 17, len(l4)) + l4) or 0xFFFF
            payload = l4[:6] + struct.pack("!H", c) + l4[8:]
        elif at is not None:
            payload = fix_l4(proto, l4, h["src"] + h["dst"], src6 + dst6, first)
    hl = h["ttl"] - 1
    if not frag and (h["df"] or 40 + len(payload) <= cfg.lowest_ipv6_mtu):
        return [Out(hdr6(h["tos"], 0, len(payload), nh, hl, src6, dst6) + payload,
                    why="4to6")]
    # RFC 7915 §4.1: a fragment keeps its place; DF=0 packets are cut to
    # fit lowest-ipv6-mtu, each piece with a Fragment header
    size = len(payload)
    if not h["df"] and 48 + size > cfg.lowest_ipv6_mtu:
        step = (cfg.lowest_ipv6_mtu - 48) & ~7
    else:
        step = size
    outs = []
    base = h["off"] * 8
    pos = 0
    while True:
        piece = payload[pos:pos + step]
        last = pos + step >= size
        mflag = h["mf"] if last else True
        fh = struct.pack("!BBHI", nh, 0, ((base + pos) // 8) << 3 | int(mflag), h["id"])
        outs.append(Out(hdr6(h["tos"], 0, 8 + len(piece), 44, hl, src6, dst6) + fh + piece,
                        why="4to6-frag"))
        pos += step
        if last:
            break
    return outs


# ------------------------------------------------- IPv6 -> IPv4 (RFC 7915 §5)
def inner6to4(m, q):
    """RFC 7915 §5.3: the quoted IPv6 packet translated like the outer one
    (extension headers dropped, Fragment header to IPv4 fragment fields,
    DF by the 1260-byte rule), without a Hop Limit change.  Returns the
    bytes and the offset of a free Identification (None when fixed)."""
    if len(q) < 40:
        raise Drop("quote-short")
    r = parse6(q)
    src4, dst4 = m.v6dst(r["src"]), m.v4back(r["dst"])
    if src4 is None or dst4 is None:
        raise Drop("quote-unmapped")
    data = q[r["l4"]:]
    ulen = max(r["plen"] - (r["l4"] - 40), 0)
    data = data[:ulen]
    tot = 20 + ulen
    nh, fr = r["nh"], r["frag"]
    first = fr is None or fr["off"] == 0
    if nh == 58:
        if first and len(data) >= 1:
            t = data[0]
            if t <= ERR6_MAX:
                raise Drop("quote-nested-error")  # RFC 7915 §5.3
            nt = {128: 8, 129: 0}.get(t)
            if nt is not None:
                data = bytes([nt]) + data[1:]
                if len(data) >= 4:
                    old = struct.unpack("!H", data[2:4])[0]
                    new = adjust(old, bytes([t, 0]) + pseudo6(r["src"], r["dst"], 58, ulen),
                                 bytes([nt, 0]))
                    data = data[:2] + struct.pack("!H", new) + data[4:]
        proto = 1
    else:
        proto = nh
        data = fix_l4(nh, data, r["src"] + r["dst"], src4 + dst4, first)
    if fr:
        h = hdr4(r["tc"], tot & 0xFFFF, fr["id"] & 0xFFFF, False, fr["m"], fr["off"],
                 r["hlim"], proto, src4, dst4)
        return h + data, None
    h = hdr4(r["tc"], tot & 0xFFFF, 0, tot > 1260, False, 0, r["hlim"], proto, src4, dst4)
    return h + data, 4


def icmp6to4(m, l4, src4, dst4):
    cfg = m.cfg
    if len(l4) < 8:
        raise Drop("icmp-short")
    t, c = l4[0], l4[1]
    if t in (128, 129):  # RFC 7915 §5.2 echo
        msg = bytes([8 if t == 128 else 0, c, 0, 0]) + l4[4:]
        return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:], None
    rest = b"\0\0\0\0"
    inner = l4[8:]
    if t == 1:
        if c not in DU6TO4:
            raise Drop("icmp6-du-code")
        nt, nc = 3, DU6TO4[c]
    elif t == 2:
        nt, nc = 3, 4
        mtu6 = struct.unpack("!I", l4[4:8])[0]
        hasfrag = False
        try:
            hasfrag = len(inner) >= 40 and parse6(inner)["frag"] is not None
        except Drop:
            pass
        mtu = min(mtu6 - 20 - (8 if hasfrag else 0), cfg.mtu, cfg.mtu - 20)
        rest = struct.pack("!HH", 0, max(mtu, 0) & 0xFFFF)
    elif t == 3:
        nt, nc = 11, c
    elif t == 4:
        if c == 0:
            ptr = struct.unpack("!I", l4[4:8])[0]
            if ptr not in PTR6TO4:
                raise Drop("icmp6-pp-pointer")
            nt, nc, rest = 12, 0, bytes([PTR6TO4[ptr], 0, 0, 0])
        elif c == 1:
            nt, nc = 3, 2
        else:
            raise Drop("icmp6-pp-code")
    else:
        raise Drop("icmp6-type")  # RFC 7915 §5.2: ND, MLD, unknown: dropped
    quote, ext = inner, None
    if t in EXT6_TYPES and l4[4]:
        ln = l4[4] * 8
        if 128 <= ln <= len(inner):
            quote, ext = inner[:ln], inner[ln:]
    q4, idat = inner6to4(m, quote)
    if ext is not None and nt in EXT4_TYPES:
        # RFC 4884 §4.1: pad to 32 bits, at least 128 bytes; when the whole
        # is too long the quote is cut, not the extension (RFC 4884 §5.1)
        q4 += b"\0" * (-len(q4) % 4)
        q4 += b"\0" * max(0, 128 - len(q4))
        room = 576 - 28 - len(ext)
        if len(q4) > room and room >= 128:
            q4 = q4[:room - room % 4]
        rest = rest[:1] + bytes([len(q4) // 4]) + rest[2:]
        body = q4 + ext
    else:
        body = q4
    # the translator sends this ICMPv4 error as a router: at most 576
    # bytes (RFC 1812 §4.3.2.3)
    msg = (bytes([nt, nc, 0, 0]) + rest + body)[:576 - 20]
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    return msg, (8 + idat if idat is not None else None)


def xlat6to4(m, d):
    cfg = m.cfg
    r = parse6(d)
    if 40 + r["plen"] > len(d):
        raise Drop("bad-ipv6")
    d = d[:40 + r["plen"]]
    if r["l4"] > len(d):
        raise Drop("truncated-ext")
    if illegal6(r["src"]):
        raise Drop("illegal-src")
    l4 = d[r["l4"]:]
    nh, fr = r["nh"], r["frag"]
    if nh == 6 and fr and fr["off"] == 1:
        raise Drop("tiny-fragment")  # its IPv4 form would overlap the TCP header (RFC 1858 §4)
    first = fr is None or fr["off"] == 0
    icmperr = first and is_icmp6_error(nh, l4)
    # RFC 4443 §2.4 (e) has no rule against errors about later fragments
    # (RFC 1812 §4.3.2.7 is IPv4 only); a later ICMPv6 fragment may be an
    # error message itself, so none for it
    mayerr = not icmperr and (first or nh != 58)
    if r["hlim"] <= 1:  # RFC 7915 §5.1 TTL
        if mayerr:
            return [err6(cfg, d, 3, 0)]
        raise Drop("hlim")
    # RFC 7915 §5.1.1: an extension header (ESP excepted) after the
    # Fragment header: the packet SHOULD be dropped, and §5.4 answers a
    # discarded IPv6 packet with Destination Unreachable code 1
    if fr and fr["nxt"] in EXT6_AFTER_FRAG:
        if mayerr:
            return [err6(cfg, d, 1, 1)]
        raise Drop("ext-after-fragment")
    if r["segleft_at"] is not None:  # RFC 7915 §5.1
        if mayerr:
            return [err6(cfg, d, 4, 0, struct.pack("!I", r["segleft_at"]))]
        raise Drop("routing-header")
    dst4 = m.v6dst(r["dst"])
    if icmperr:
        src4 = m.router4(r["src"])  # RFC 7915 §5.1, RFC 6791
    else:
        src4 = m.v6src(r["src"], nh, l4)
    if isinstance(src4, (Out, list)):
        return src4 if isinstance(src4, list) else [src4]
    if src4 is None or dst4 is None:
        if mayerr:
            return [err6(cfg, d, 1, 1)]  # RFC 7915 §5.4
        raise Drop("unmapped")
    free = []
    if nh == 58:
        if fr and (fr["off"] or fr["m"]):
            raise Drop("icmp-fragment")
        payload, idat = icmp6to4(m, l4, src4, dst4)
        if idat is not None:
            free.append((20 + idat, 2))
        proto = 1
    else:
        proto = nh
        payload = fix_l4(nh, l4, r["src"] + r["dst"], src4 + dst4, first)
    tot = 20 + len(payload)
    ttl = r["hlim"] - 1
    if fr:  # RFC 7915 §5.1.1, RFC 6946: atomic fragments too
        h = hdr4(r["tc"], tot, fr["id"] & 0xFFFF, False, fr["m"], fr["off"], ttl,
                 proto, src4, dst4)
    else:
        h = hdr4(r["tc"], tot, 0, tot > 1260, False, 0, ttl, proto, src4, dst4)
        free.insert(0, (4, 2))  # Identification: the translator's choice
    return [Out(h + payload, free=free, why="6to4")]


def translate(m, d):
    """Returns (list of Out, reason) for one input packet."""
    try:
        if d and d[0] >> 4 == 4:
            return xlat4to6(m, d), ""
        if d and d[0] >> 4 == 6:
            return xlat6to4(m, d), ""
        return [], "not-ip"
    except Drop as e:
        return [], e.why


# -------------------------------------------- refixing after free fields
def refix(data):
    """Recomputes the checksums that cover free fields (IPv4 header, quoted
    IPv4 header, ICMPv4 message) after the other side's values went in."""
    d = bytearray(data)
    if len(d) < 20 or d[0] >> 4 != 4:
        return bytes(d)
    ihl = (d[0] & 15) * 4
    d[10:12] = b"\0\0"
    d[10:12] = struct.pack("!H", csum(bytes(d[:ihl])))
    fo = struct.unpack("!H", d[6:8])[0]
    if d[9] == 1 and not fo & 0x3FFF and len(d) >= ihl + 8:
        if d[ihl] in (3, 11, 12) and len(d) >= ihl + 28:
            q = ihl + 8
            qihl = (d[q] & 15) * 4
            if d[q] >> 4 == 4 and len(d) >= q + qihl >= q + 20:
                d[q + 10:q + 12] = b"\0\0"
                d[q + 10:q + 12] = struct.pack("!H", csum(bytes(d[q:q + qihl])))
        d[ihl + 2:ihl + 4] = b"\0\0"
        d[ihl + 2:ihl + 4] = struct.pack("!H", csum(bytes(d[ihl:])))
    return bytes(d)
