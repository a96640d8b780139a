# SPDX-License-Identifier: BSD-2-Clause
"""One IPv4 address table for every packet, outer and quoted
(addr4_never_forwarded): RFC 3927 §7, a router must not forward a packet
with a link-local (169.254/16) source or destination; RFC 1812 §5.3.7 the
same for 127/8 and 0/8, so no ICMP error's quote may carry them across
either (RFC 7915 §4.3/§5.3 translate the quote like the outer packet).
Run: /usr/bin/python3 tests/vectors/gen/address_table.py"""
from scapy.all import IP, IPv6, UDP, ICMP, ICMPv6DestUnreach, raw
from outer_common import C4, S4, C6, S6, PREFIX, case, write

LL4 = "169.254.10.20"
LL6 = PREFIX + "a9fe:a14"          # pool6 + 169.254.10.20
LO6 = PREFIX + "7f00:1"            # pool6 + 127.0.0.1
u = UDP(sport=5000, dport=53) / b"link-local"
cases = [
    case("sl_link_local4_source_4to6", "RFC 3927 §7: a link-local IPv4 source is not forwarded",
         raw(IP(src=LL4, dst=C4, ttl=64) / u), [], "4to6 rx drop-bad-source"),
    case("sl_link_local4_dest_4to6", "RFC 3927 §7: a link-local IPv4 destination is not forwarded",
         raw(IP(src=S4, dst=LL4, ttl=64) / u), [], "4to6 rx drop-dst-not-translatable"),
    case("sl_link_local4_dest_6to4",
         "RFC 3927 §7: an IPv6 destination that maps to 169.254/16 is not forwarded",
         raw(IPv6(src=C6, dst=LL6, hlim=64) / u), [], "6to4 rx drop-dst-not-translatable"),
    case("sl_link_local4_source_6to4",
         "RFC 3927 §7: an IPv6 source that maps to 169.254/16 is not forwarded",
         raw(IPv6(src=LL6, dst=S6, hlim=64) / u), [], "6to4 rx drop-bad-source"),
]
# ICMPv4 Port Unreachable from S4 to C4 about C4 -> 127.0.0.1 (and
# 169.254.10.20): the quote cannot be translated, so neither is the error.
for name, bad in (("loopback", "127.0.0.1"), ("link_local", LL4)):
    q = IP(src=C4, dst=bad, ttl=64, id=1) / u
    e = IP(src=S4, dst=C4, ttl=64, id=2) / ICMP(type=3, code=3) / raw(q)
    cases.append(case("sl_inner4_%s_refused" % name,
                      "RFC 7915 §4.3, RFC 1812 §5.3.7, RFC 3927 §7: a quote with %s is not translated" % bad,
                      raw(e), [], "4to6 rx drop-icmp-inner"))
# ICMPv6 Port Unreachable from C6 to S6 about pool6::127.0.0.1 -> C6.
q6 = IPv6(src=LO6, dst=C6, hlim=64) / u
e6 = IPv6(src=C6, dst=S6, hlim=64) / ICMPv6DestUnreach(code=4) / raw(q6)
cases.append(case("sl_inner6_loopback_refused",
                  "RFC 7915 §5.3, RFC 1812 §5.3.7: a quote whose source maps to 127.0.0.1 is not translated",
                  raw(e6), [], "6to4 rx drop-icmp-inner"))
write("rfc7915/address-table.vec", "address_table.py", cases)
