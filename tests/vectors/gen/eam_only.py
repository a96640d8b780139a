#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""tests/vectors/rfc7757/eam-only.vec: stateless translation with EAM
entries only and no RFC 6052 prefix (`prefix none`, RFC 7757 §3).

Table: 192.0.2.6 <-> 2001:db8:6::2 (an IPv6 node) and 203.0.113.2 <->
2001:db8:cafe::2 (an IPv4 server). RFC 7757 §3.2: an address is translated
by its EAM entry; with no RFC 6052 prefix, an address no entry covers is
not translatable. So:
- UDP between the two mapped hosts crosses both ways, §5.1 / §4.1 headers:
  TTL/Hop Limit - 1, Identification from the fixture's generator (0), DF 0
  below 1260 bytes, UDP checksum recomputed over the new pseudo-header.
- A packet whose destination or source has no entry is dropped (RFC 7915
  §5.1 / §4.1: not translatable); with icmp-unreachable yes, §5.4 sends
  ICMPv6 1/1 from ipv6-addr quoting it (RFC 4443 §2.4(c), Hop Limit 64).
- An ICMPv4 error from an IPv4 router with no entry: RFC 6791 §4, its
  source is an rfc6791-pool6 address, else the translator's own ipv6-addr
  (the pool here is a /128, so the choice is that address). Outer Hop
  Limit = TTL - 1; 11/0 -> 3/0 (§4.2); the quote by §4.3 (TTL kept).
- An ICMPv6 error from an IPv6 router with no entry: RFC 6791 §4, its
  source is an rfc6791-pool4 address (a /32 here), else ipv4-addr. 3/0 ->
  11/0 (§5.2); the quote by §5.3 (Hop Limit kept, ID 0, DF 0).
Never 2001:db8:64:: (the fixture's prefix) or 64:ff9b:: addresses.
Run: gen/eam_only.py > tests/vectors/rfc7757/eam-only.vec
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vecgen import *  # noqa: E402,F401,F403

NODE6, NODE4 = "2001:db8:6::2", "192.0.2.6"
SRV6, SRV4 = "2001:db8:cafe::2", "203.0.113.2"
OWN4, OWN6 = "192.0.2.1", "2001:db8:ff::1"
ROUTER4, ROUTER6 = "198.51.100.9", "2001:db8:99::1"
POOL6, POOL4 = "2001:db8:6791::1", "198.51.100.99"
SETS = ("prefix none", "map %s %s" % (NODE4, NODE6), "map %s %s" % (SRV4, SRV6),
        "ipv6-addr " + OWN6)


def udp6(src, dst, sport, dport, data, hlim):
    return ip6(src, dst, 17, udp(sport, dport, data, lambda s: udp_sum6(src, dst, s)), hlim=hlim)


def udp4(src, dst, sport, dport, data, ttl, ident=0):
    return ip4(src, dst, 17, udp(sport, dport, data, lambda s: udp_sum4(src, dst, s)), ttl=ttl,
               ident=ident)


def main():
    f = VecFile("rfc7757/eam-only", "eam_only.py")
    data = payload(32, 9)

    def case(name, why, inp, outs, counters, extra=(), at=None):
        f.case(name, why, inp, outs, counters, sets=SETS + tuple(extra), at=at)

    case("sl_eam_only_udp_6to4", "RFC 7757 §3.2: both addresses by their EAM entries, no prefix",
         udp6(NODE6, SRV6, 5000, 53, data, 64), [udp4(NODE4, SRV4, 5000, 53, data, 63)],
         "6to4 rx translated", at="inplace")
    case("sl_eam_only_udp_4to6", "RFC 7757 §3.2: both addresses by their EAM entries, no prefix",
         udp4(SRV4, NODE4, 53, 5000, data, 64, ident=7), [udp6(SRV6, NODE6, 53, 5000, data, 63)],
         "4to6 rx translated", at="inplace")

    # the RFC 6052 form of 203.0.113.5 under the fixture's former prefix
    unmapped6 = "2001:db8:64::cb00:7105"
    pkt = udp6(NODE6, unmapped6, 5000, 53, data, 64)
    case("sl_eam_only_unmapped_dst_6to4", "RFC 7757 §3.2: no EAM entry and no prefix: the "
         "destination is not translatable", pkt, [], "6to4 rx drop-dst-not-translatable")
    err = ip6(OWN6, NODE6, 58, icmp6(OWN6, NODE6, 1, 1, 0, pkt), hlim=64)
    case("sl_eam_only_unmapped_dst_6to4_unreach", "RFC 7915 §5.4: the dropped packet gets "
         "ICMPv6 1/1 from ipv6-addr", pkt, [err],
         "6to4 rx drop-dst-not-translatable icmp-error-sent", extra=("icmp-unreachable yes",),
         at="scratch")
    case("sl_eam_only_unmapped_src_6to4", "RFC 7757 §3.2: a source no entry covers is not "
         "translatable", udp6("2001:db8:6::77", SRV6, 5000, 53, data, 64), [],
         "6to4 rx drop-src-not-translatable")
    case("sl_eam_only_unmapped_dst_4to6", "RFC 7757 §3.2: an IPv4 destination no entry covers "
         "is not translatable", udp4(SRV4, "192.0.2.99", 53, 5000, data, 64), [],
         "4to6 rx drop-dst-not-translatable")
    case("sl_eam_only_unmapped_src_4to6", "RFC 7757 §3.2: an IPv4 source no entry covers is "
         "not translatable", udp4("203.0.113.5", NODE4, 53, 5000, data, 64), [],
         "4to6 rx drop-src-not-translatable")

    # ICMPv4 Time Exceeded from an unmapped IPv4 router about the node's packet
    q4 = udp4(NODE4, SRV4, 5000, 53, data, 1)
    q6 = udp6(NODE6, SRV6, 5000, 53, data, 1)
    e4 = ip4(ROUTER4, NODE4, 1, icmp4(11, 0, 0, q4), ttl=64)
    for name, extra, src6, why in (
            ("sl_eam_only_icmp4_err_own6", (), OWN6, "no rfc6791-pool6: ipv6-addr"),
            ("sl_eam_only_icmp4_err_pool6", ("rfc6791-pool6 %s/128" % POOL6,), POOL6,
             "an rfc6791-pool6 address")):
        out = ip6(src6, NODE6, 58, icmp6(src6, NODE6, 3, 0, 0, q6), hlim=63)
        case(name, "RFC 6791 §4: an ICMPv4 error from an unmapped router gets " + why,
             e4, [out], "4to6 rx translated", extra=extra)

    # ICMPv6 Time Exceeded from an unmapped IPv6 router about the server's packet
    q6 = udp6(SRV6, NODE6, 53, 5000, data, 1)
    q4 = udp4(SRV4, NODE4, 53, 5000, data, 1)
    e6 = ip6(ROUTER6, SRV6, 58, icmp6(ROUTER6, SRV6, 3, 0, 0, q6), hlim=64)
    for name, extra, src4, why in (
            ("sl_eam_only_icmp6_err_own4", (), OWN4, "no rfc6791-pool4: ipv4-addr"),
            ("sl_eam_only_icmp6_err_pool4", ("rfc6791-pool4 %s/32" % POOL4,), POOL4,
             "an rfc6791-pool4 address")):
        out = ip4(src4, SRV4, 1, icmp4(11, 0, 0, q4), ttl=63)
        case(name, "RFC 6791 §4: an ICMPv6 error from an unmapped router gets " + why,
             e6, [out], "6to4 rx translated", extra=extra)
    sys.stdout.writelines(f.lines)


if __name__ == "__main__":
    main()
