# SPDX-License-Identifier: BSD-2-Clause
"""Packets for the translator's own ipv4-addr / ipv6-addr are never
translated (the other address is routed into the tun too: a loop). The
translator answers as a host: echo request -> echo reply (RFC 4443 §4.2,
RFC 792 / RFC 1122 §3.2.2.6: identifier, sequence and data unchanged),
from the address asked, Hop Limit / TTL 64 as its errors, IPv4
Identification 0 with DF (RFC 6864 §4.1); TCP/UDP -> Port Unreachable
(RFC 1122 §4.1.3.1, RFC 4443 §3.1 code 4); another protocol -> Protocol
Unreachable (RFC 1122 §3.2.2.1) or Parameter Problem code 1 pointing at the
Next Header (RFC 8200 §4, RFC 4443 §3.4). Errors quote the packet
(RFC 4443 §2.4(c), RFC 1812 §4.3.2.3).
Run: /usr/bin/python3 tests/vectors/gen/own_address.py"""
from scapy.all import IP, IPv6, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, \
    ICMPv6DestUnreach, ICMPv6ParamProblem, Raw, raw
from outer_common import C6, S4, OWN4_SL, OWN6_SL, OWN4_SF, OWN6_SF, CLIENT6_SF, case, write

data = b"are you there?"
cases = []
for mode, own4, own6, c6 in (("stateless", OWN4_SL, OWN6_SL, C6),
                             ("stateful", OWN4_SF, OWN6_SF, CLIENT6_SF)):
    m = "sl" if mode == "stateless" else "sf"
    req6 = IPv6(src=c6, dst=own6, hlim=64) / ICMPv6EchoRequest(id=0x77, seq=3, data=data)
    rep6 = IPv6(src=own6, dst=c6, hlim=64) / ICMPv6EchoReply(id=0x77, seq=3, data=data)
    cases.append(case(m + "_own6_echo", "RFC 4443 §4.2: an echo request to ipv6-addr is answered",
                      raw(req6), [raw(rep6)], "6to4 rx echo-reply-sent", mode=mode, at="scratch"))
    req4 = IP(src=S4, dst=own4, ttl=64, id=0x55) / ICMP(type=8, id=0x99, seq=4) / data
    rep4 = IP(src=own4, dst=S4, ttl=64, id=0, flags="DF") / ICMP(type=0, id=0x99, seq=4) / data
    cases.append(case(m + "_own4_echo", "RFC 1122 §3.2.2.6: an echo request to ipv4-addr is answered",
                      raw(req4), [raw(rep4)], "4to6 rx echo-reply-sent", mode=mode, at="scratch"))
    udp6 = IPv6(src=c6, dst=own6, hlim=64) / UDP(sport=5000, dport=53) / data
    err6 = IPv6(src=own6, dst=c6, hlim=64) / ICMPv6DestUnreach(code=4) / raw(udp6)
    cases.append(case(m + "_own6_udp", "RFC 4443 §3.1: UDP to ipv6-addr: Port Unreachable, not translated",
                      raw(udp6), [raw(err6)], "6to4 rx drop-own-address icmp-error-sent",
                      mode=mode, at="scratch"))
    gre6 = IPv6(src=c6, dst=own6, hlim=64, nh=47) / Raw(b"\0\0\x08\0" + data)
    pp6 = IPv6(src=own6, dst=c6, hlim=64) / ICMPv6ParamProblem(code=1, ptr=6) / raw(gre6)
    cases.append(case(m + "_own6_other_protocol",
                      "RFC 8200 §4: another protocol to ipv6-addr: Parameter Problem code 1",
                      raw(gre6), [raw(pp6)], "6to4 rx drop-own-address icmp-error-sent",
                      mode=mode, at="scratch"))
# Stateless: all of ipv4-addr is the translator's.
udp4 = IP(src=S4, dst=OWN4_SL, ttl=64, id=0x56) / UDP(sport=5000, dport=53) / data
err4 = IP(src=OWN4_SL, dst=S4, ttl=64, id=0, flags="DF") / ICMP(type=3, code=3) / raw(udp4)
cases.append(case("sl_own4_udp", "RFC 1122 §4.1.3.1: UDP to ipv4-addr: Port Unreachable, not translated",
                  raw(udp4), [raw(err4)], "4to6 rx drop-own-address icmp-error-sent", at="scratch"))
gre4 = IP(src=S4, dst=OWN4_SL, ttl=64, id=0x57, proto=47) / Raw(b"\0\0\x08\0" + data)
err4 = IP(src=OWN4_SL, dst=S4, ttl=64, id=0, flags="DF") / ICMP(type=3, code=2) / raw(gre4)
cases.append(case("sl_own4_other_protocol",
                  "RFC 1122 §3.2.2.1: another protocol to ipv4-addr: Protocol Unreachable",
                  raw(gre4), [raw(err4)], "4to6 rx drop-own-address icmp-error-sent", at="scratch"))
write("rfc7915/own-address.vec", "own_address.py", cases)
