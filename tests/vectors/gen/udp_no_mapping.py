# SPDX-License-Identifier: BSD-2-Clause
"""Stateful: an IPv4 UDP datagram to a pool4 transport address (T,t) with no
mapping. RFC 6146 §3.5.1 discards it; the translator answers as the host
owning (T,t) with that port closed: RFC 1122 §4.1.3.1 / RFC 792
Destination Unreachable code 3 (Port Unreachable), from ipv4-addr, TTL 64,
Identification 0 with DF (RFC 6864 §4.1), quoting the datagram.
Run: /usr/bin/python3 tests/vectors/gen/udp_no_mapping.py"""
from scapy.all import IP, UDP, ICMP, raw
from outer_common import S4, OWN4_SF, case, write

p = IP(src=S4, dst="198.51.100.5", ttl=64, id=0x99) / UDP(sport=53, dport=4000) / b"stray"
err = IP(src=OWN4_SF, dst=S4, ttl=64, id=0, flags="DF", proto=1) / ICMP(type=3, code=3) / raw(p)
cases = [
    case("sf_udp_no_mapping_port_unreachable",
         "RFC 6146 §3.5.1, RFC 1122 §4.1.3.1: UDP to a pool4 port with no mapping: Port Unreachable",
         raw(p), [raw(err)], "4to6 rx drop-no-state icmp-error-sent", mode="stateful",
         sets=["icmp-unreachable yes"], at="scratch"),
]
write("rfc6146/3.5.1-udp-no-mapping.vec", "udp_no_mapping.py", cases)
