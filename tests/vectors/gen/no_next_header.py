# SPDX-License-Identifier: BSD-2-Clause
"""RFC 7915 §5.1 (Protocol: copied from Next Header) and §4.5 ("a stateless
translator MUST forward all transport protocols"): No Next Header (59)
crosses unchanged; RFC 8200 §4.7 passes any bytes after it on unchanged.
§4.1 copies Protocol 59 into Next Header the other way.
IPv4 Identification: the fixture's generator starts at 0; DF=0 below 1260
bytes (§5.1). Run: /usr/bin/python3 tests/vectors/gen/no_next_header.py"""
from scapy.all import IP, IPv6, Raw, raw
from outer_common import C4, S4, C6, S6, case, write

tail = b"ignored by IPv6"
in1 = IPv6(src=C6, dst=S6, hlim=64, nh=59, plen=0)
out1 = IP(src=C4, dst=S4, ttl=63, id=0, flags=0, proto=59)
in2 = IPv6(src=C6, dst=S6, hlim=64, nh=59) / Raw(tail)
out2 = IP(src=C4, dst=S4, ttl=63, id=0, flags=0, proto=59) / Raw(tail)
in3 = IP(src=S4, dst=C4, ttl=64, id=7, proto=59)
out3 = IPv6(src=S6, dst=C6, hlim=63, nh=59, plen=0)
cases = [
    case("sl_no_next_header_6to4",
         "RFC 7915 §5.1, §4.5: Next Header 59 becomes Protocol 59 with an empty payload",
         raw(in1), [raw(out1)], "6to4 rx translated", at="inplace"),
    case("sl_no_next_header_6to4_trailing",
         "RFC 7915 §5.1, RFC 8200 §4.7: bytes after No Next Header pass unchanged",
         raw(in2), [raw(out2)], "6to4 rx translated", at="inplace"),
    case("sl_no_next_header_4to6",
         "RFC 7915 §4.1, §4.5: Protocol 59 becomes Next Header 59",
         raw(in3), [raw(out3)], "4to6 rx translated", at="inplace"),
]
write("rfc7915/5.1-no-next-header.vec", "no_next_header.py", cases)
