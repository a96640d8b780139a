# SPDX-License-Identifier: BSD-2-Clause
"""RFC 6946 §4 / RFC 7915 §5.1, §5.1.1: atomic fragments (Fragment header,
offset 0, M=0) are translated as whole packets; the IPv4 header takes
Identification = low 16 bits of the Fragment header's, MF = M = 0, DF = 0,
offset 0. Run: /usr/bin/python3 tests/vectors/gen/atomic.py"""
from scapy.all import IP, IPv6, IPv6ExtHdrFragment, ICMPv6EchoRequest, ICMP, UDP, \
    ICMPv6DestUnreach, raw
from outer_common import C4, S4, C6, S6, case, write

FID = 0x12345678
data = bytes(range(32))

# ICMPv6 echo request in an atomic fragment -> ICMPv4 echo (§5.2 type 128 -> 8).
in1 = IPv6(src=C6, dst=S6, hlim=64) / IPv6ExtHdrFragment(nh=58, offset=0, m=0, id=FID) / \
    ICMPv6EchoRequest(id=0x1234, seq=1, data=data)
out1 = IP(src=C4, dst=S4, ttl=63, id=FID & 0xffff, flags=0, frag=0, proto=1, tos=0) / \
    ICMP(type=8, code=0, id=0x1234, seq=1) / data

# ICMPv6 Port Unreachable about a UDP datagram S6 -> C6 (1300 bytes of
# payload, so that its IPv4 form is over 1260 bytes and keeps DF=1 under
# §5.1 in the quote either way), in an atomic fragment -> ICMPv4 3/3.
# The quote is the first 88 bytes of the original; its translation is the
# first 20 + 48 bytes of the original translated whole (§5.3).
big = bytes((i * 7) & 0xff for i in range(1292))
orig6 = IPv6(src=S6, dst=C6, hlim=60) / UDP(sport=53, dport=4000) / big
orig4 = IP(src=S4, dst=C4, ttl=60, id=0, flags="DF", proto=17) / UDP(sport=53, dport=4000) / big
q6 = raw(orig6)[:88]
q4 = raw(orig4)[:68]
in2 = IPv6(src=C6, dst=S6, hlim=64) / IPv6ExtHdrFragment(nh=58, offset=0, m=0, id=FID) / \
    ICMPv6DestUnreach(code=4) / q6
out2 = IP(src=C4, dst=S4, ttl=63, id=FID & 0xffff, flags=0, proto=1) / \
    ICMP(type=3, code=3) / q4

# UDP in an atomic fragment (the older 5.1.1.vec case is UDP too): here with
# a UDP length that the packet holds exactly, through §5.1.1.
in3 = IPv6(src=C6, dst=S6, hlim=64) / IPv6ExtHdrFragment(nh=17, offset=0, m=0, id=0xabcd0102) / \
    UDP(sport=5000, dport=53) / data
out3 = IP(src=C4, dst=S4, ttl=63, id=0x0102, flags=0, proto=17) / UDP(sport=5000, dport=53) / data

cases = [
    case("sl_atomic_icmp6_echo",
         "RFC 6946 §4, RFC 7915 §5.1.1: an ICMPv6 echo in an atomic fragment is translated; ID = low 16 bits, DF=0",
         raw(in1), [raw(out1)], "6to4 rx translated", at="inplace"),
    case("sl_atomic_icmp6_error",
         "RFC 6946 §4, RFC 7915 §5.1.1, §5.2: an ICMPv6 error in an atomic fragment is translated",
         raw(in2), [raw(out2)], "6to4 rx translated", at="scratch"),
    case("sl_atomic_udp",
         "RFC 6946 §4, RFC 7915 §5.1.1: UDP in an atomic fragment is a whole datagram",
         raw(in3), [raw(out3)], "6to4 rx translated", at="inplace"),
]
write("rfc6946/atomic.vec", "atomic.py", cases)
