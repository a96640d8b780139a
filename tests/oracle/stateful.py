# SPDX-License-Identifier: BSD-2-Clause
"""Stateful NAT64 reference (RFC 6146) on top of ref.py.

A packet is translated in two steps: the NAPT step rewrites the port (or
ICMP echo identifier) that the binding changes, with its checksum, in the
outer packet or in the packet an ICMP error quotes; then the stateless
algorithm of RFC 7915 runs with an address mapping that sends pool4
addresses to the bound IPv6 host and everything else through the prefix
(RFC 6052).  Dynamic bindings are the translator's choice (RFC 6146
§3.5.1.1): the pool4 address and port of a new binding are free fields,
checked to lie in pool4 and the port range, and learned from tun64d's
output so later packets of the flow are predicted exactly.
"""
import ipaddress
import random
import struct

import gen
import ref
from gen import A4, A6, p64
from ref import Drop, Out

CONF = dict(
    mode="stateful", prefix="2001:db8:64::/96", ipv4_addr="192.0.2.1",
    ipv6_addr="2001:db8:ffff::1", pool4=["198.51.100.8/30"], pool6791_4="192.0.2.100/32",
    bibs=[("udp", "198.51.100.9", 5353, "2001:db8:aaaa::53", 53),
          ("tcp", "198.51.100.9", 8080, "2001:db8:aaaa::80", 80),
          ("icmp", "198.51.100.10", 777, "2001:db8:aaaa::7", 777)])
EXTRA_CONF = ("timeout-udp 2592000\ntimeout-icmp 2592000\ntimeout-tcp-est 2592000\n"
              "timeout-tcp-trans 2592000\n")
PNAME = {"udp": 17, "tcp": 6, "icmp": 1}
PORT_LO, PORT_HI = 1024, 65535
V6HOSTS = [A6("2001:db8:aaaa::%x" % i) for i in (0x11, 0x12, 0x13)]
STATIC = {17: (A6("2001:db8:aaaa::53"), 53, A4("198.51.100.9"), 5353),
          6: (A6("2001:db8:aaaa::80"), 80, A4("198.51.100.9"), 8080),
          1: (A6("2001:db8:aaaa::7"), 777, A4("198.51.100.10"), 777)}


def port_at(proto, l4, dst):
    """Offset of the port (or echo identifier) in the transport header."""
    if proto == 1 or proto == 58:
        return 4
    return 2 if dst else 0


def set_port(proto, l4, at, new):
    """Rewrites a port/identifier and updates the transport checksum."""
    if len(l4) < at + 2:
        return l4
    old = l4[at:at + 2]
    newb = struct.pack("!H", new)
    l4 = l4[:at] + newb + l4[at + 2:]
    ca = {6: 16, 17: 6, 33: 6, 1: 2, 58: 2}.get(proto)
    if ca is not None and len(l4) >= ca + 2:
        c = struct.unpack("!H", l4[ca:ca + 2])[0]
        if not (proto == 17 and c == 0):
            c = ref.adjust(c, old, newb)
            if proto == 17 and c == 0:
                c = 0xFFFF
            l4 = l4[:ca] + struct.pack("!H", c) + l4[ca + 2:]
    return l4


class StatefulMapper(ref.Mapper):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.b6 = {}  # (proto, v6addr, v6port) -> (v4addr, v4port)
        self.b4 = {}  # (proto, v4addr, v4port) -> (v6addr, v6port)
        for name, a4, p4, a6, p6 in cfg.bibs:
            self.bind(PNAME[name], A6(a6), p6, A4(a4), p4)
        self.pool = [ipaddress.IPv4Network(p) for p in cfg.pool4]
        self.host6 = None
        self.pool4addr = None
        self.pending = None
        self.frags = {}  # (src, dst, proto, id) -> (host6 or pool4 address, time)
        self.now = 0

    def bind(self, proto, a6, p6, a4, p4):
        self.b6[(proto, a6, p6)] = (a4, p4)
        self.b4[(proto, a4, p4)] = (a6, p6)

    def in_pool(self, a4):
        return any(ipaddress.IPv4Address(a4) in n for n in self.pool)

    # address mapping for the stateless step
    def v4src(self, a, proto=None, l4=None):
        return ref.embed6052(self.cfg, a)

    def v4dst(self, a, proto=None, l4=None):
        return self.host6 if self.in_pool(a) else None

    def v6back(self, a):
        return self.host6 if self.in_pool(a) else None

    def v6src(self, a, proto=None, l4=None):
        return self.pool4addr if a == self.host6 else None

    def v6dst(self, a):
        return ref.extract6052(self.cfg, a)

    def v4back(self, a):
        return self.pool4addr if a == self.host6 else None

    def router4(self, a):
        if a == self.host6:  # an error from the bound host itself
            return self.pool4addr
        r = ref.extract6052(self.cfg, a)
        if r is not None:
            return r
        return ipaddress.IPv4Network(self.cfg.pool6791_4).network_address.packed

    def learn(self, refs, tuns):
        """Takes the binding tun64d chose for a new flow (RFC 6146 §3.5.1.1)."""
        p, self.pending = self.pending, None
        if p is None or len(refs) != 1 or len(tuns) != 1:
            return
        proto, a6, p6, off = p
        t = tuns[0]
        if len(t) < off + 2 or t[0] >> 4 != 4:
            return
        a4, p4 = t[12:16], struct.unpack("!H", t[off:off + 2])[0]
        if self.in_pool(a4) and (proto == 1 or PORT_LO <= p4 <= PORT_HI):
            self.bind(proto, a6, p6, a4, p4)


def napt4to6(m, d):
    """IPv4 -> IPv6: the port of the pool4 side goes back to the IPv6 host's."""
    h = ref.parse4(d)
    ihl, proto = h["ihl"], h["proto"]
    l4 = d[ihl:h["tot"]]
    fkey = (h["src"], h["dst"], proto, h["id"])
    if h["off"]:
        # a later fragment follows its first one's binding; tun64d keeps it
        # 2 s (RFC 6146 §3.4 leaves how long to the implementation)
        got = m.frags.get(fkey)
        if proto not in (6, 17) or got is None or m.now - got[1] > 2:
            raise Drop("fragment-no-state")
        m.host6 = got[0]
        return d, None
    if proto == 1 and len(l4) >= 8 and l4[0] in ref.ERR4:
        q = l4[8:]
        if len(q) < 20:
            raise Drop("quote-short")
        qh = ref.parse4(q)
        qp, ql4 = qh["proto"], q[qh["ihl"]:]
        if qp not in (1, 6, 17) or len(ql4) < (8 if qp == 1 else 4):
            raise Drop("quote-no-ports")
        at = port_at(qp, ql4, False)
        key = (qp, qh["src"], struct.unpack("!H", ql4[at:at + 2])[0])
        if key not in m.b4:
            raise Drop("no-binding")
        a6, p6 = m.b4[key]
        ql4 = set_port(qp, ql4, at, p6)
        q = q[:qh["ihl"]] + ql4
        l4 = l4[:8] + q
        l4 = l4[:2] + b"\0\0" + l4[4:]
        l4 = l4[:2] + struct.pack("!H", ref.csum(l4)) + l4[4:]
    elif proto in (1, 6, 17):
        if proto == 1 and (len(l4) < 8 or l4[0] not in (0, 8)):
            raise Drop("icmp-type")
        at = port_at(proto, l4, True)
        key = (proto, h["dst"], struct.unpack("!H", l4[at:at + 2])[0])
        if key not in m.b4:
            # RFC 6146 §3.5.1 (UDP): Port Unreachable; §3.5.3 (ICMP): Host
            # Unreachable; §3.5.2: TCP without state is dropped
            if proto == 17:
                return None, ref.err4(m.cfg, d, 3, 3)
            if proto == 1:
                return None, ref.err4(m.cfg, d, 3, 1)
            raise Drop("no-binding")
        a6, p6 = m.b4[key]
        l4 = set_port(proto, l4, at, p6)
        if h["mf"]:
            m.frags[fkey] = (a6, m.now)
    else:
        raise Drop("stateful-protocol")
    m.host6 = a6
    return d[:ihl] + l4, None


def napt6to4(m, d):
    r = ref.parse6(d)
    nh, l4 = r["nh"], d[r["l4"]:40 + r["plen"]]
    pre = d[:r["l4"]]
    m.pending = None
    fr = r["frag"]
    if fr is not None:
        fkey = (r["src"], r["dst"], nh, fr["id"])
        if fr["off"]:
            got = m.frags.get(fkey)
            if nh not in (6, 17) or got is None or m.now - got[1] > 2:
                raise Drop("fragment-no-state")
            m.host6, m.pool4addr = r["src"], got[0]
            return d, None
        key = (nh, r["src"], struct.unpack("!H", l4[0:2])[0]) if len(l4) >= 2 else None
        if nh not in (6, 17) or key not in m.b6:
            raise Drop("fragment-no-binding")  # not generated: a new binding from a fragment
        a4, p4 = m.b6[key]
        m.host6, m.pool4addr = r["src"], a4
        if fr["m"]:
            m.frags[fkey] = (a4, m.now)
        return pre + set_port(nh, l4, 0, p4), None
    if nh == 58 and len(l4) >= 8 and l4[0] <= ref.ERR6_MAX:
        q = l4[8:]
        if len(q) < 40:
            raise Drop("quote-short")
        qr = ref.parse6(q)
        qp, ql4 = qr["nh"], q[qr["l4"]:]
        if qp not in (58, 6, 17) or len(ql4) < (8 if qp == 58 else 4):
            raise Drop("quote-no-ports")
        p = 1 if qp == 58 else qp
        at = port_at(qp, ql4, False)
        key = (p, qr["dst"], struct.unpack("!H", ql4[at + (2 if qp != 58 else 0):at + (4 if qp != 58 else 2)])[0])
        if key not in m.b6:
            raise Drop("no-binding")
        a4, p4 = m.b6[key]
        pat = at + 2 if qp != 58 else at
        ql4 = set_port(qp, ql4, pat, p4)
        q = q[:qr["l4"]] + ql4
        body = l4[:2] + b"\0\0" + l4[4:8] + q
        l4 = body[:2] + struct.pack("!H", ref.csum(ref.pseudo6(r["src"], r["dst"], 58, len(body)) + body)) + body[4:]
        m.host6, m.pool4addr = qr["dst"], a4
        return pre + l4, None
    if nh not in (58, 6, 17):
        raise Drop("stateful-protocol")
    if nh == 58 and l4[0] not in (128, 129):
        raise Drop("icmp-type")
    p = 1 if nh == 58 else nh
    at = port_at(nh, l4, False)
    port = struct.unpack("!H", l4[at:at + 2])[0]
    key = (p, r["src"], port)
    m.host6 = r["src"]
    if key in m.b6:
        a4, p4 = m.b6[key]
        m.pool4addr = a4
        return pre + set_port(nh, l4, at, p4), None
    if nh == 6 and not l4[13] & 0x02:
        raise Drop("tcp-no-session")  # RFC 6146 §3.5.2.2: only a SYN opens
    # a new binding: the translator picks; placeholders marked free
    m.pool4addr = m.pool[0].network_address.packed
    m.pending = (p, r["src"], port, 20 + at)
    return pre + l4, ("new", 20 + at, nh)


def translate(m, d):
    """ref.translate for stateful mode."""
    try:
        if d and d[0] >> 4 == 4:
            d2, err = napt4to6(m, d)
            if err is not None:
                return [err], ""
            return requote(m, ref.xlat4to6, d, d2), ""
        if d and d[0] >> 4 == 6:
            d2, new = napt6to4(m, d)
            outs = requote(m, ref.xlat6to4, d, d2)
            if new and outs and outs[0].why == "6to4":
                o = outs[0]
                _, at, nh = new
                o.free += [(12, 4), (at, 2)]
                o.fix = lambda b, nh=nh: fix_l4_full(b)
                o.check = lambda t, m=m, at=at, nh=nh: valid_binding(m, t, at, nh)
            return outs, ""
        return [], "not-ip"
    except Drop as e:
        return [], e.why


def requote(m, xlat, d, d2):
    """An error the translator originates (Time Exceeded ...) quotes the
    packet as it came in, not as the NAPT step rewrote it."""
    outs = xlat(m, d2)
    if outs and outs[0].why.startswith("icmp"):
        m.pending = None
        return xlat(m, d)
    return outs


def valid_binding(m, t, at, nh):
    if len(t) < at + 2:
        return False
    p4 = struct.unpack("!H", t[at:at + 2])[0]
    return m.in_pool(t[12:16]) and (nh == 58 or PORT_LO <= p4 <= PORT_HI)


def fix_l4_full(b):
    """Recomputes the TCP/UDP checksum of an unfragmented IPv4 packet."""
    ihl = (b[0] & 15) * 4
    proto = b[9]
    ca = {6: 16, 17: 6}.get(proto)
    if ca is None:
        return b
    l4 = b[ihl:]
    if proto == 17 and l4[6:8] == b"\0\0":
        return b
    l4 = l4[:ca] + b"\0\0" + l4[ca + 2:]
    c = ref.csum(ref.pseudo4(b[12:16], b[16:20], proto, len(l4)) + l4)
    if proto == 17 and c == 0:
        c = 0xFFFF
    return b[:ihl] + l4[:ca] + struct.pack("!H", c) + l4[ca + 2:]


# ------------------------------------------------------------ generation
class Flow:
    def __init__(self, rng, proto, static=False):
        self.proto = proto
        self.remote = rng.choice(gen.R4)
        self.rport = rng.choice([53, 80, 443, 7000])
        if static:
            self.h6, self.p6 = STATIC[proto][0], STATIC[proto][1]
        else:
            self.h6, self.p6 = rng.choice(V6HOSTS), rng.randrange(1024, 65536)

    def v6(self, rng, n=None, syn=False, hlim=64):
        s, d = self.h6, p64(self.remote)
        n = rng.randrange(0, 300) if n is None else n
        if self.proto == 17:
            pl, nh = gen.udp(s, d, self.p6, self.rport, gen.data(rng, n)), 17
        elif self.proto == 6:
            pl, nh = gen.tcp(s, d, self.p6, self.rport, gen.data(rng, 0 if syn else n),
                             flags=0x02 if syn else 0x18), 6
        else:
            pl, nh = gen.icmp6(s, d, 128, 0, struct.pack("!HH", self.p6, rng.randrange(65536)),
                               gen.data(rng, n)), 58
        return gen.ip6(s, d, nh, pl, hlim=hlim, tc=rng.choice([0, 0xb8]))

    def v4(self, rng, a4, p4, n=None, syn=False):
        s = self.remote
        n = rng.randrange(0, 300) if n is None else n
        if self.proto == 17:
            pl = gen.udp(s, a4, self.rport, p4, gen.data(rng, n), zero=rng.random() < 0.05)
        elif self.proto == 6:
            pl = gen.tcp(s, a4, self.rport, p4, gen.data(rng, 0 if syn else n),
                         flags=0x12 if syn else 0x18)
        else:
            pl = gen.icmp4(0, 0, struct.pack("!HH", p4, rng.randrange(65536)), gen.data(rng, n))
        return gen.ip4(s, a4, self.proto, pl, ttl=rng.choice([2, 64]), tos=rng.choice([0, 0xb8]),
                       df=rng.random() < 0.5, ident=rng.randrange(65536))


def cases(seed, count, mappings=None):
    """Pass 1 (mappings None): the IPv6-initiated packets and IPv4 traffic
    to static bindings.  Pass 2: the same with the IPv4 replies and ICMP
    errors for the bindings pass 1 learned, each right after its flow."""
    rng = random.Random(seed)
    rng2 = random.Random(seed ^ 0x5EED)
    out = []
    flows = []
    for _ in range(count):
        r = rng.random()
        proto = rng.choice([17, 17, 6, 1])
        if r < 0.15:  # to a static binding from IPv4
            f = Flow(rng, proto, static=True)
            a6, p6, a4, p4 = STATIC[proto]
            out.append(("v4-static", f.v4(rng, a4, p4, syn=True)))
            out.append(("v6-static", f.v6(rng)))
            out.append(("v4-static-err", err4_about(rng, f, a4, p4)))
        elif r < 0.22:  # IPv4 to pool4 with no binding
            f = Flow(rng, proto)
            out.append(("v4-unbound", f.v4(rng, A4("198.51.100.11"), rng.randrange(1024, 65536), syn=True)))
        else:
            f = Flow(rng, proto)
            flows.append(f)
            key = (f.proto, f.h6, f.p6)
            out.append(("v6-new", f.v6(rng, syn=True)))
            if mappings is not None and key in mappings:
                # a second generator, so pass 2 keeps pass 1's flows
                a4, p4 = mappings[key]
                out.append(("v4-reply", f.v4(rng2, a4, p4, syn=True)))
                out.append(("v6-more", f.v6(rng2, hlim=rng2.choice([1, 64, 64]))))
                out.append(("v4-reply", f.v4(rng2, a4, p4)))
                out.append(("v4-err", err4_about(rng2, f, a4, p4)))
                out.append(("v6-err", err6_about(rng2, f, a4, p4)))
                if f.proto == 17 and rng2.random() < 0.3:
                    out.extend(frag_pair(rng2, f, a4, p4))
    return out


def err4_about(rng, f, a4, p4):
    """An ICMPv4 error from an IPv4 router about a packet the pool4 side sent."""
    orig = f.v4(rng, a4, p4)
    # the original went from the binding to the remote: swap the roles
    s, d = a4, f.remote
    n = rng.randrange(0, 100)
    if f.proto == 17:
        pl = gen.udp(s, d, p4, f.rport, gen.data(rng, n))
    elif f.proto == 6:
        pl = gen.tcp(s, d, p4, f.rport, gen.data(rng, n))
    else:
        pl = gen.icmp4(8, 0, struct.pack("!HH", p4, 1), gen.data(rng, n))
    orig = gen.ip4(s, d, f.proto, pl, ttl=rng.randrange(1, 30))
    t, c = rng.choice([(3, 1), (3, 3), (3, 4), (11, 0), (3, 13)])
    rest = struct.pack("!BBH", 0, 0, 1400 if (t, c) == (3, 4) else 0)
    router = rng.choice([f.remote, A4("203.0.113.1")])
    return gen.ip4(router, a4, 1, gen.icmp4(t, c, rest, orig[:rng.choice([28, 100, len(orig)])]))


def err6_about(rng, f, a4, p4):
    """An ICMPv6 error from an IPv6 router about a packet the remote sent to the host."""
    s, d = p64(f.remote), f.h6
    n = rng.randrange(0, 100)
    if f.proto == 17:
        pl, nh = gen.udp(s, d, f.rport, f.p6, gen.data(rng, n)), 17
    elif f.proto == 6:
        pl, nh = gen.tcp(s, d, f.rport, f.p6, gen.data(rng, n)), 6
    else:
        pl, nh = gen.icmp6(s, d, 129, 0, struct.pack("!HH", f.p6, 1), gen.data(rng, n)), 58
    orig = gen.ip6(s, d, nh, pl, hlim=rng.randrange(1, 30))
    t, c = rng.choice([(1, 0), (1, 4), (3, 0), (2, 0), (1, 1)])
    rest = struct.pack("!I", 1400) if t == 2 else b"\0" * 4
    router = rng.choice([gen.ROUTER6, f.h6])
    return gen.ip6(router, f.h6, 58, gen.icmp6(router, f.h6, t, c, rest, orig[:rng.choice([48, 100, len(orig)])]))


def frag_pair(rng, f, a4, p4):
    """A UDP datagram in two fragments each way, back to back."""
    n = rng.randrange(40, 600)
    cut = rng.randrange(1, (8 + n) // 8) * 8
    s6, d6 = f.h6, p64(f.remote)
    seg = gen.udp(s6, d6, f.p6, f.rport, gen.data(rng, n))
    ident = rng.randrange(1 << 32)
    out = [("v6-frag", gen.ip6(s6, d6, 17, seg[:cut], exts=[gen.frag6(0, True, ident)])),
           ("v6-frag", gen.ip6(s6, d6, 17, seg[cut:], exts=[gen.frag6(cut // 8, False, ident)]))]
    seg = gen.udp(f.remote, a4, f.rport, p4, gen.data(rng, n))
    ident = rng.randrange(1 << 16)
    out += [("v4-frag", gen.ip4(f.remote, a4, 17, seg[:cut], mf=True, ident=ident)),
            ("v4-frag", gen.ip4(f.remote, a4, 17, seg[cut:], off=cut // 8, ident=ident))]
    return out
