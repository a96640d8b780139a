#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""tests/vectors/rfc7915/4.3-5.3-quotes.vec: ICMP errors whose quote has no
(whole) transport header, and errors quoting a fragment.

RFC 7915 §4.3 / §5.3: the quoted IP header is translated as the outer one
(§4.1 / §5.1; TTL and Hop Limit kept), the transport header "where
present". Stateless: every such error is translated; the bytes after the
IP header are copied as they are, a quoted TCP/UDP checksum is updated for
the address change (RFC 1624 incremental update; the length and protocol
terms are the same in both pseudo-headers), a checksum not in the quote is
left alone. A quoted IPv4 fragment gets a Fragment header (§4.1: ID
zero-extended, offset and M copied); a quoted IPv6 fragment gives the IPv4
ID (low 16 bits), MF and offset (§5.1.1), DF 0. Stateful (RFC 6146 §3.4):
the session is found by the quoted ports or identifier; a later fragment or
a quote without them finds none: dropped, drop-icmp-inner.
Outer headers as in §4.1/§5.1 with the fixture: TTL/Hop Limit - 1, Traffic
Class = TOS, IPv4 ID from the generator (0), DF 0 (<= 1260 bytes).
Run: gen/rfc7915_4.3_5.3_quotes.py > tests/vectors/rfc7915/4.3-5.3-quotes.vec
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vecgen import *  # noqa: E402,F401,F403

ROUTER4, SRV4, NODE4 = "203.0.113.254", "203.0.113.5", "192.0.2.33"
DATA = b"tun64 udp test!"


def err4to6(f, name, why, q4, inner6, mode=None, counters="4to6 rx translated", icmp=(3, 1, 1, 0),
            node=NODE4):
    """ICMPv4 3/1 (-> ICMPv6 1/0, RFC 7915 §4.2) from ROUTER4 to node."""
    t4, c4, t6, c6 = icmp
    e4 = ip4(ROUTER4, node, 1, icmp4(t4, c4, 0, q4), ttl=64)
    outs = []
    if inner6 is not None:
        src, dst = embed(ROUTER4), embed(NODE4)
        outs = [ip6(src, dst, 58, icmp6(src, dst, t6, c6, 0, inner6), hlim=63)]
    f.case(name, why, e4, outs, counters, mode=mode)


def q4_hdr(total, proto=17, flags_off=0, ident=0, tos=0xb8, ttl=63, node=NODE4):
    h = ip4(node, SRV4, proto, b"", ttl=ttl, tos=tos, ident=ident, flags_off=flags_off)
    return h[:2] + struct.pack("!H", total) + h[4:]


def fix4(h):
    h = bytearray(h)
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h[:20])))
    return bytes(h)


def v4to6_pseudo_words():
    old = words(a4(NODE4) + a4(SRV4))
    new = words(a6(embed(NODE4)) + a6(embed(SRV4)))
    return old, new


def main():
    f = VecFile("rfc7915/4.3-5.3-quotes", "rfc7915_4.3_5.3_quotes.py")
    seg = udp(5353, 53, DATA, lambda s: udp_sum4(NODE4, SRV4, s))  # 23 bytes
    old, new = v4to6_pseudo_words()
    seg6 = seg[:6] + struct.pack("!H", csum_update(struct.unpack("!H", seg[6:8])[0], old, new)) + seg[8:]

    # ---- ICMPv4 -> ICMPv6 ----
    h = fix4(q4_hdr(20 + len(seg)))
    err4to6(f, "sl_err_bad_quote_dropped_2",
            "RFC 7915 §4.3: 4 quoted transport bytes: header translated, the ports copied",
            h + seg[:4],
            ip6(embed(NODE4), embed(SRV4), 17, seg[:4], hlim=63, tclass=0xb8, plen=len(seg)))
    err4to6(f, "sl_err_quote_header_only",
            "RFC 7915 §4.3: only the quoted IPv4 header: translated, nothing after it",
            h, ip6(embed(NODE4), embed(SRV4), 17, b"", hlim=63, tclass=0xb8, plen=len(seg)))
    h0 = fix4(q4_hdr(20))
    err4to6(f, "sl_err_quote_empty_datagram",
            "RFC 7915 §4.3: a quoted datagram with nothing after its IP header",
            h0, ip6(embed(NODE4), embed(SRV4), 17, b"", hlim=63, tclass=0xb8, plen=0))
    hf = fix4(q4_hdr(20 + len(seg), flags_off=0x2000, ident=0x1234))
    err4to6(f, "sl_err_bad_quote_dropped_3",
            "RFC 7915 §4.3/§4.1: a quoted first fragment (MF): Fragment header, UDP checksum updated",
            hf + seg,
            ip6(embed(NODE4), embed(SRV4), 44, frag6(17, 0, True, 0x1234) + seg6, hlim=63,
                tclass=0xb8))
    hl = fix4(q4_hdr(20 + 16, flags_off=185, ident=0x1234))
    later = payload(16, 3)
    err4to6(f, "sl_err_quote_later_fragment",
            "RFC 7915 §4.3/§4.1: a quoted later fragment: Fragment header, payload copied",
            hl + later,
            ip6(embed(NODE4), embed(SRV4), 44, frag6(17, 185, False, 0x1234) + later, hlim=63,
                tclass=0xb8))
    T = "198.51.100.5"  # in pool4
    err4to6(f, "sf_err_quote_later_fragment",
            "RFC 6146 §3.4: a quoted later fragment has no ports to find the session: dropped",
            fix4(q4_hdr(20 + 16, flags_off=185, ident=0x1234, node=T)) + later, None,
            mode="stateful", counters="4to6 rx drop-icmp-inner", node=T)
    err4to6(f, "sf_err_quote_header_only",
            "RFC 6146 §3.4: a quote without the ports finds no session: dropped",
            fix4(q4_hdr(20 + len(seg), node=T)), None, mode="stateful",
            counters="4to6 rx drop-icmp-inner", node=T)

    # a quoted echo request cut inside its header: the type (and what is
    # quoted of code and checksum) translated, as the prefix of the whole
    # translated message (§4.2 echo 8 -> 128, checksum with pseudo-header)
    echo4 = icmp4(8, 0, 0x42420001, payload(24, 8))
    echo6 = icmp6(embed(NODE4), embed(SRV4), 128, 0, 0x42420001, payload(24, 8))
    he = fix4(q4_hdr(20 + len(echo4), proto=1))
    for n in (1, 4):
        err4to6(f, "sl_err_quote_echo_cut_%d" % n,
                "RFC 7915 §4.3: a quoted echo request cut to %d byte(s): translated as far as quoted"
                % n, he + echo4[:n],
                ip6(embed(NODE4), embed(SRV4), 58, echo6[:n], hlim=63, tclass=0xb8,
                    plen=len(echo6)))

    # ---- ICMPv6 -> ICMPv4 ----
    R6 = "2001:db8:6::1"  # not in pool6: the error leaves from own4 (RFC 6791 §4)
    S6, N6 = embed(SRV4), embed(NODE4)
    seg6b = udp(53, 5353, DATA[:16], lambda s: udp_sum6(S6, N6, s))  # 24 bytes

    def err6to4(name, why, q6, inner4, mode=None, counters="6to4 rx translated"):
        e6 = ip6(R6, S6, 58, icmp6(R6, S6, 1, 0, 0, q6), hlim=64)
        outs = []
        if inner4 is not None:
            outs = [ip4("192.0.2.1", SRV4, 1, icmp4(3, 1, 0, inner4), ttl=63)]
        f.case(name, why, e6, outs, counters, mode=mode)

    def q4of(total, proto=17, flags_off=0, ident=0):
        return fix4(ip4(SRV4, NODE4, proto, b"", ttl=50, tos=0x28, ident=ident,
                        flags_off=flags_off)[:2] + struct.pack("!H", total) +
                    ip4(SRV4, NODE4, proto, b"", ttl=50, tos=0x28, ident=ident,
                        flags_off=flags_off)[4:])

    err6to4("sl_err_6to4_bad_quote_dropped_2",
            "RFC 7915 §5.3: 4 quoted transport bytes: header translated, the ports copied",
            ip6(S6, N6, 17, seg6b[:4], hlim=50, tclass=0x28, plen=len(seg6b)),
            q4of(20 + len(seg6b)) + seg6b[:4])
    err6to4("sl_err_6to4_quote_header_only",
            "RFC 7915 §5.3: only the quoted IPv6 header: translated, nothing after it",
            ip6(S6, N6, 17, b"", hlim=50, tclass=0x28, plen=len(seg6b)),
            q4of(20 + len(seg6b)))
    old6, new4 = words(a6(S6) + a6(N6)), words(a4(SRV4) + a4(NODE4))
    seg4b = seg6b[:6] + struct.pack("!H", csum_update(struct.unpack("!H", seg6b[6:8])[0], old6,
                                                     new4)) + seg6b[8:]
    err6to4("sl_err_6to4_quote_first_fragment",
            "RFC 7915 §5.3/§5.1.1: a quoted first fragment: ID, MF from the Fragment header, DF 0",
            ip6(S6, N6, 44, frag6(17, 0, True, 0xabcd1234) + seg6b, hlim=50, tclass=0x28),
            q4of(20 + len(seg6b), flags_off=0x2000, ident=0x1234) + seg4b)
    later = payload(16, 9)
    err6to4("sl_err_6to4_quote_later_fragment",
            "RFC 7915 §5.3/§5.1.1: a quoted later fragment: fragment fields, payload copied",
            ip6(S6, N6, 44, frag6(17, 3, False, 0xabcd1234) + later, hlim=50, tclass=0x28),
            q4of(20 + 16, flags_off=3, ident=0x1234) + later)
    # §5.2: PTB MTU "taking into account whether or not the packet in error
    # includes a Fragment Header": 1400 - 20 - 8 = 1372
    q6 = ip6(S6, N6, 44, frag6(17, 0, True, 0xabcd1234) + seg6b, hlim=50, tclass=0x28)
    e6 = ip6(R6, S6, 58, icmp6(R6, S6, 2, 0, 1400, q6), hlim=64)
    o4 = ip4("192.0.2.1", SRV4, 1,
             icmp4(3, 4, 1372, q4of(20 + len(seg6b), flags_off=0x2000, ident=0x1234) + seg4b),
             ttl=63)
    f.case("sl_err_6to4_ptb_quoting_fragment", "RFC 7915 §5.2: Packet Too Big 1400 about a "
           "fragment -> Fragmentation Needed 1372 (20 + the Fragment Header)", e6, [o4],
           "6to4 rx translated")
    sys.stdout.writelines(f.lines)


if __name__ == "__main__":
    main()
