#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""tests/vectors/rfc4884/ext-translate.vec: RFC 4884 extension structures
carried through the translation of ICMP errors (RFC 7915 §4.2-4.3, §5.2-5.3).

Input (RFC 4884 §5): with a non-zero length attribute (ICMPv4 byte 5, 32-bit
words; ICMPv6 byte 4, 64-bit words) the original datagram field is that
long and an extension structure (§7: version 2) follows. The 128-byte
minimum of §4 binds the sender; a shorter field is taken as given. With a
zero attribute, an ICMPv4 message may carry a legacy structure at offset
128 (§5.4), recognised by version 2 and a valid checksum; ICMPv6 has no
such legacy. ICMPv4 Destination Unreachable, Time Exceeded and Parameter
Problem have the attribute; ICMPv6 Destination Unreachable and Time
Exceeded only (§4.4-4.5), so an error that becomes ICMPv6 Packet Too Big or
Parameter Problem loses its extension.
Output (§4): the translated quote (§4.3/§5.3) zero-padded to whole units of
the output family and to at least 128 bytes, the length attribute set, the
structure appended unchanged (its checksum covers only itself, §7). The
size limit (ICMPv6 1280 in all, RFC 4443 §2.4(c); ICMPv4 576, RFC 1812
§4.3.2.3) cuts the quote, in whole units, before it drops the structure;
when fewer than 128 bytes of quote would be left, the structure is dropped
and the message is a plain RFC 4443 / RFC 792 one (attribute 0). The ICMP
checksum covers the whole message. Outer headers as in §4.1/§5.1 with the
fixture (TTL/Hop Limit - 1, IPv4 ID 0 from the generator, DF 0).
Run: gen/rfc4884_ext.py > tests/vectors/rfc4884/ext-translate.vec
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vecgen import *  # noqa: E402,F401,F403

ROUTER4, NODE4, SRV4 = "203.0.113.254", "192.0.2.33", "203.0.113.5"
R6, N6, S6 = embed(ROUTER4), embed(NODE4), embed(SRV4)


def up(n, unit):
    return (n + unit - 1) // unit * unit


def mpls(labels):
    """RFC 4950: MPLS Label Stack object, class 1, c-type 1."""
    return ext_object(1, 1, b"".join(struct.pack("!I", l << 12 | 1 << 8 | 255) for l in labels))


def ifinfo(ifindex, name):
    """RFC 5837: Interface Information object (class 2), ifIndex + name."""
    n = bytes([len(name) + 1 + (-(len(name) + 1)) % 4]) + name
    n += b"\0" * (n[0] - len(n))
    return ext_object(2, 0x0a, struct.pack("!I", ifindex) + n)


def orig_pair(size4, seed):
    """The node's UDP datagram to the server, as IPv4 (sent) and IPv6
    (translated, §4.1 with the TTL kept as §4.3 asks)."""
    data = payload(size4 - 28, seed)
    v4 = ip4(NODE4, SRV4, 17, udp(5353, 53, data, lambda s: udp_sum4(NODE4, SRV4, s)), ttl=1)
    v6 = ip6(N6, S6, 17, udp(5353, 53, data, lambda s: udp_sum6(N6, S6, s)), hlim=1)
    return v4, v6


def body_with_ext(quote, unit, ext, pad_to=None):
    q = quote + b"\0" * ((pad_to or up(len(quote), unit)) - len(quote))
    return q, len(q) // unit


def out6(t, c, rest, tq, ext, has_attr=True):
    """ICMPv6 error from R6 to N6 with the translated quote tq."""
    if ext and has_attr and 1232 - len(ext) >= 128:
        q = tq[:(1232 - len(ext)) // 8 * 8]
        q += b"\0" * (max(128, up(len(q), 8)) - len(q))
        rest |= len(q) // 8 << 24
        body = q + ext
    else:
        body = tq[:1232]
    return ip6(R6, N6, 58, icmp6(R6, N6, t, c, rest, body), hlim=63)


def case4to6(f, name, why, t4, c4, rest4, body4, t6, c6, rest6, tq, ext, has_attr=True):
    e4 = ip4(ROUTER4, NODE4, 1, icmp4(t4, c4, rest4, body4), ttl=64)
    f.case(name, why, e4, [out6(t6, c6, rest6, tq, ext, has_attr)], "4to6 rx translated")


# 6to4: an IPv6 router (192.0.2.254 by RFC 6052) reports the server's packet
# to the node back to the server.
RT4 = "192.0.2.254"
RT6 = embed(RT4)


def orig_pair6(size6, seed):
    data = payload(size6 - 48, seed)
    v6 = ip6(S6, N6, 17, udp(53, 5353, data, lambda s: udp_sum6(S6, N6, s)), hlim=50)
    # RFC 7915 §5.3 -> §5.1: DF when the translated datagram exceeds 1260 bytes
    v4 = ip4(SRV4, NODE4, 17, udp(53, 5353, data, lambda s: udp_sum4(SRV4, NODE4, s)), ttl=50,
             flags_off=0x4000 if size6 - 20 > 1260 else 0)
    return v6, v4


def out4(t, c, rest, tq, ext):
    if ext and 548 - len(ext) >= 128:
        q = tq[:(548 - len(ext)) // 4 * 4]
        q += b"\0" * (max(128, up(len(q), 4)) - len(q))
        rest |= len(q) // 4 << 16
        body = q + ext
    else:
        body = tq[:548]
    return ip4(RT4, SRV4, 1, icmp4(t, c, rest, body), ttl=63)


def case6to4(f, name, why, t6, c6, rest6, body6, t4, c4, rest4, tq, ext):
    e6 = ip6(RT6, S6, 58, icmp6(RT6, S6, t6, c6, rest6, body6), hlim=64)
    f.case(name, why, e6, [out4(t4, c4, rest4, tq, ext)], "6to4 rx translated")


def main():
    f = VecFile("rfc4884/ext-translate", "rfc4884_ext.py")
    E1 = ext_struct(mpls([16001]))                      # 12 bytes
    E2 = ext_struct(mpls([16001, 24005]) + ifinfo(7, b"ge-0/0/1"))
    EBIG = ext_struct(ext_object(3, 1, payload(300, 1)))  # 308 bytes
    EHUGE = ext_struct(ext_object(3, 1, payload(1146, 2)))  # 1154 bytes
    bad = bytearray(E1)
    bad[2] ^= 0xff
    EBAD = bytes(bad)

    # ---- ICMPv4 -> ICMPv6 ----
    v4, v6 = orig_pair(228, 1)
    tx = "RFC 4884 §4.2 -> §4.5, RFC 7915 §4.2: Time Exceeded, "

    def te(name, why, n4, ext, pad_to=None, rest_attr=None, t4=11, c4=0, t6=3, c6=0, rest4=0,
           rest6=0, has_attr=True, src=(v4, v6)):
        a, b = src
        q, la = body_with_ext(a[:n4], 4, ext, pad_to)
        la = la if rest_attr is None else rest_attr
        tq = b[:40 + min(n4, len(a)) - 20]
        case4to6(f, name, why, t4, c4, rest4 | la << 16, q + ext, t6, c6, rest6, tq, ext, has_attr)

    te("te_4to6_orig128_pad8", tx + "128-byte field -> 148 translated, padded to 152 (19 words)", 128, E1)
    te("te_4to6_orig132_nopad", tx + "132 -> 152, a whole number of 64-bit words", 132, E1)
    te("te_4to6_orig136_pad4", tx + "136 -> 156, padded to 160", 136, E1)
    te("te_4to6_orig256_two_objects", tx + "256 -> 276 padded to 280; MPLS and interface objects", 256, E2)
    te("te_4to6_ext_bad_checksum_kept", tx + "an attribute-delimited structure goes on unchanged, "
       "its own checksum (§7) not the translator's business", 128, EBAD)
    small4, small6 = orig_pair(60, 3)
    te("te_4to6_small_padded_input", tx + "a 60-byte datagram padded to 128 by the sender: 80 "
       "translated, padded to 128 again", 60, E1, pad_to=128, src=(small4, small6))
    te("te_4to6_small_unpadded_input", tx + "a 60-byte field (attribute 15) taken as given; the "
       "output is padded to the 128 §4 requires", 60, E1, src=(small4, small6))
    big4, big6 = orig_pair(1100, 4)
    te("te_4to6_orig1020_ext308_cut", tx + "1020-byte field and 308-byte structure: 1040 + 308 "
       "exceed 1280, the quote is cut to 924 -> 920 (115 words)", 1020, EBIG, src=(big4, big6))
    te("te_4to6_ext_too_big_dropped", tx + "a 1154-byte structure leaves under 128 bytes of "
       "quote in 1280: dropped, attribute 0", 128, EHUGE)
    te("du_4to6_port_orig128", "RFC 4884 §4.1 -> §4.4, RFC 7915 §4.2: Port Unreachable 3/3 -> "
       "1/4 keeps the structure", 128, E2, t4=3, c4=3, t6=1, c6=4)
    te("pp_4to6_no_attr_out", "RFC 4884 §4.3, RFC 4443 §3.4: Parameter Problem -> ICMPv6 "
       "Parameter Problem, which has no length attribute: structure dropped, quote = the field",
       128, E1, t4=12, c4=0, rest4=8 << 24, t6=4, c6=0, rest6=7, has_attr=False)
    te("fn_4to6_ptb_no_attr_out", "RFC 4884 §4.1, RFC 4443 §3.2: Fragmentation Needed (MTU 1400) "
       "-> Packet Too Big (MTU 1420, RFC 7915 §4.2), which has no length attribute: structure "
       "dropped", 128, E1, t4=3, c4=4, rest4=1400, t6=2, c6=0, rest6=1420, has_attr=False)
    # §5.4 legacy: attribute 0, 128-byte field, valid structure at 128
    q = v4[:128]
    case4to6(f, "te_4to6_legacy_at_128", "RFC 4884 §5.4: attribute 0, a valid version-2 structure "
             "at offset 128: carried, output with an attribute (152 bytes)", 11, 0, 0, q + E2, 3, 0,
             0, v6[:40 + 108], E2)
    # the same with a bad checksum: no structure, everything is quote
    q = v4[:128] + EBAD
    old, new = words(a4(NODE4) + a4(SRV4)), words(a6(N6) + a6(S6))
    t = bytearray(v6[:40]) + q[20:]
    t[40 + 6:40 + 8] = struct.pack("!H", csum_update(struct.unpack("!H", q[26:28])[0], old, new))
    case4to6(f, "te_4to6_legacy_bad_checksum_is_quote", "RFC 4884 §5.4: attribute 0 and a bad "
             "checksum at 128: no structure, all of it is the original datagram (RFC 792)",
             11, 0, 0, q, 3, 0, 0, bytes(t), None)

    # ---- ICMPv6 -> ICMPv4 ----
    w6, w4 = orig_pair6(248, 5)
    tx6 = "RFC 4884 §4.5 -> §4.2, RFC 7915 §5.2: Time Exceeded, "

    def te6(name, why, n6, ext, pad_to=None, t6=3, c6=0, t4=11, c4=0, src=(w6, w4)):
        a, b = src
        q, la = body_with_ext(a[:n6], 8, ext, pad_to)
        tq = b[:20 + min(n6, len(a)) - 40]
        case6to4(f, name, why, t6, c6, la << 24, q + ext, t4, c4, 0, tq, ext)

    te6("te_6to4_orig128", tx6 + "128-byte field -> 108 translated, padded to 128 (32 words)", 128, E1)
    te6("te_6to4_orig248", tx6 + "248 -> 228 (57 words), no padding", 248, E2)
    te6("du_6to4_orig136", "RFC 4884 §4.4 -> §4.1: Address Unreachable 1/3 -> 3/1, 136 -> 116, "
        "padded to 128", 136, E1, t6=1, c6=3, t4=3, c4=1)
    s6, s4 = orig_pair6(56, 6)
    te6("te_6to4_small_unpadded", tx6 + "a 56-byte field (7 words) taken as given: 36 translated, "
        "padded to 128", 56, E1, src=(s6, s4))
    l6, l4 = orig_pair6(1400, 7)
    te6("te_6to4_orig1000_cut", tx6 + "1000 -> 980 with a 12-byte structure: cut to 536 "
        "(548 - 12) in 576 bytes", 1000, E1, src=(l6, l4))
    te6("te_6to4_orig1000_two_objects_cut", tx6 + "1000 -> 980 with a 40-byte structure: cut to "
        "508", 1000, E2, src=(l6, l4))
    EMID = ext_struct(ext_object(3, 1, payload(444, 3)))  # 452 bytes
    te6("te_6to4_ext_too_big_dropped", tx6 + "a 452-byte structure leaves under 128 bytes in "
        "576: dropped, attribute 0, the quote = the field", 248, EMID)
    # ICMPv6 has no legacy form: attribute 0, all of it is quote
    q = w6[:128] + E1
    old, new = words(a6(S6) + a6(N6)), words(a4(SRV4) + a4(NODE4))
    t = bytearray(w4[:20]) + q[40:]
    t[20 + 6:20 + 8] = struct.pack("!H", csum_update(struct.unpack("!H", q[46:48])[0], old, new))
    case6to4(f, "te_6to4_attr0_is_quote", "RFC 4884 §5.4 is an ICMPv4 matter: an ICMPv6 error with "
             "attribute 0 is all original datagram", 3, 0, 0, q, 11, 0, 0, bytes(t), None)
    sys.stdout.writelines(f.lines)


if __name__ == "__main__":
    main()
