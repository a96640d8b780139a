# SPDX-License-Identifier: BSD-2-Clause
"""RFC 7915 §4.4: an IPv4 packet the translator discards gets ICMPv4
Destination Unreachable, code 13 (Communication Administratively
Prohibited) back, here for the UDP datagrams without checksum that §4.5
lets it drop: whole ones under udp-zero-checksum drop, first fragments
always. The error (icmp-unreachable yes) comes from ipv4-addr, TTL 64,
Identification 0 with DF (RFC 6864 §4.1), quoting the datagram (RFC 1812
§4.3.2.3: up to 576 bytes). Run: /usr/bin/python3 tests/vectors/gen/udp_zero_csum.py"""
from scapy.all import IP, UDP, ICMP, raw
from outer_common import C4, S4, OWN4_SL, case, write

data = b"no checksum here"
whole = IP(src=S4, dst=C4, ttl=64, id=0x4242) / UDP(sport=53, dport=4000, chksum=0) / data
first = IP(src=S4, dst=C4, ttl=64, id=0x4343, flags="MF") / \
    UDP(sport=53, dport=4000, len=8 + 2 * len(data), chksum=0) / data


def unreach(p):
    return IP(src=OWN4_SL, dst=S4, ttl=64, id=0, flags="DF", proto=1) / \
        ICMP(type=3, code=13) / raw(p)


cases = [
    case("sl_udp_zero_csum_drop_unreachable",
         "RFC 7915 §4.4, §4.5: UDP without checksum refused (udp-zero-checksum drop): 3/13 back",
         raw(whole), [raw(unreach(whole))], "4to6 rx drop-udp-zero-checksum icmp-error-sent",
         sets=["udp-zero-checksum drop", "icmp-unreachable yes"], at="scratch"),
    case("sl_udp_zero_csum_drop_silent",
         "RFC 7915 §4.5: udp-zero-checksum drop under icmp-unreachable no: dropped, nothing sent",
         raw(whole), [], "4to6 rx drop-udp-zero-checksum",
         sets=["udp-zero-checksum drop"]),
    case("sl_udp_zero_csum_first_fragment_unreachable",
         "RFC 7915 §4.4, §4.5: a first UDP fragment without checksum is refused: 3/13 back",
         raw(first), [raw(unreach(first))], "4to6 rx drop-fragment icmp-error-sent",
         sets=["icmp-unreachable yes"], at="scratch"),
]
write("rfc7915/4.4-udp-zero-checksum.vec", "udp_zero_csum.py", cases)
