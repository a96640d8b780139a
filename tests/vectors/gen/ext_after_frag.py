# SPDX-License-Identifier: BSD-2-Clause
"""RFC 7915 §5.1 (Total Length): "If a Fragment Header is present in the
IPv6 packet and the Next Header field of the Fragment Header is an extension
header (other than ESP), then the packet SHOULD be dropped and logged";
§5.4: ICMPv6 Destination Unreachable code 1 back to the sender (under
icmp-unreachable yes; RFC 4443 §2.4(c) quote: the whole packet, as it fits
1280 bytes), from ipv6-addr with Hop Limit 64.
Run: /usr/bin/python3 tests/vectors/gen/ext_after_frag.py"""
from scapy.all import IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, \
    IPv6ExtHdrRouting, UDP, ICMPv6DestUnreach, raw
from outer_common import C6, S6, OWN6_SL, case, write

data = b"after-frag" * 2
udp = UDP(sport=5000, dport=53) / data


def frag(nh, offset=0, m=0):
    return IPv6ExtHdrFragment(nh=nh, offset=offset, m=m, id=0x11223344)


pkts = {
    "hbh": IPv6(src=C6, dst=S6, hlim=64) / frag(0) / IPv6ExtHdrHopByHop(nh=17) / udp,
    "dstopts": IPv6(src=C6, dst=S6, hlim=64) / frag(60) / IPv6ExtHdrDestOpt(nh=17) / udp,
    "routing": IPv6(src=C6, dst=S6, hlim=64) / frag(43) /
    IPv6ExtHdrRouting(nh=17, type=0, segleft=0, addresses=[]) / udp,
    "both_sides": IPv6(src=C6, dst=S6, hlim=64) / IPv6ExtHdrHopByHop(nh=44) / frag(60) /
    IPv6ExtHdrDestOpt(nh=17) / udp,
    "first_of_many": IPv6(src=C6, dst=S6, hlim=64) / frag(60, m=1) /
    IPv6ExtHdrDestOpt(nh=17) / udp,
    # Headers are refused in the order they come: the Fragment header
    # first, so a Routing header after it with Segments Left 1 is refused
    # as an extension header after the Fragment header, not as a Routing
    # header (§5.1 would send Parameter Problem for that one).
    "routing_segleft": IPv6(src=C6, dst=S6, hlim=64) / frag(43) /
    IPv6ExtHdrRouting(nh=17, type=0, segleft=1, addresses=["2001:db8:64::cb00:7106"]) / udp,
    # §5.1.1 names no fragment offset: a later fragment whose Fragment
    # header says an extension header follows (in the first fragment) too.
    "later_fragment": IPv6(src=C6, dst=S6, hlim=64) / frag(60, offset=2) / raw(udp),
}
cases = []
for name, p in pkts.items():
    b = raw(p)
    cases.append(case("sl_ext_after_frag_" + name,
                      "RFC 7915 §5.1: an extension header after the Fragment header: dropped",
                      b, [], "6to4 rx drop-extension-header"))
b = raw(pkts["dstopts"])
err = IPv6(src=OWN6_SL, dst=C6, hlim=64) / ICMPv6DestUnreach(code=1) / b
cases.append(case("sl_ext_after_frag_dstopts_unreachable",
                  "RFC 7915 §5.1, §5.4: dropped, and Destination Unreachable code 1 sent back",
                  b, [raw(err)], "6to4 rx drop-extension-header icmp-error-sent",
                  sets=["icmp-unreachable yes"], at="scratch"))
b = raw(pkts["both_sides"])
err = IPv6(src=OWN6_SL, dst=C6, hlim=64) / ICMPv6DestUnreach(code=1) / b
cases.append(case("sl_ext_after_frag_both_sides_unreachable",
                  "RFC 7915 §5.1, §5.4: dropped, and Destination Unreachable code 1 sent back",
                  b, [raw(err)], "6to4 rx drop-extension-header icmp-error-sent",
                  sets=["icmp-unreachable yes"], at="scratch"))
write("rfc7915/5.1-ext-after-frag.vec", "ext_after_frag.py", cases)
