#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""tests/vectors/rfc7915/4.2-err-src.vec: ICMPv4 errors whose outer source
is 0.0.0.0 or 127.0.0.1.

RFC 7915 §4.2 translates every Time Exceeded / Destination Unreachable; the
quoted packet is what the IPv6 sender needs. §4.1 maps the source like any
other: RFC 6052 §2.2 under the fixture's network-specific prefix
2001:db8:64::/96 (§3.1 restricts only the well-known prefix), so 127.0.0.1
-> 2001:db8:64::7f00:1 and 0.0.0.0 -> 2001:db8:64::. Outer: Hop Limit =
TTL - 1, Traffic Class = TOS; ICMPv4 11/0 -> ICMPv6 3/0; the quoted header
by §4.3 (TTL kept). Anything else from those sources (an echo request) is
still dropped as drop-bad-src, as is an error from a multicast source.
Run: gen/rfc7915_4.2_src.py > tests/vectors/rfc7915/4.2-err-src.vec
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vecgen import *  # noqa: E402,F401,F403

NODE4, SRV4 = "192.0.2.33", "203.0.113.5"


def main():
    f = VecFile("rfc7915/4.2-err-src", "rfc7915_4.2_src.py")
    data = payload(24, 5)
    seg4 = udp(5353, 53, data, lambda s: udp_sum4(NODE4, SRV4, s))
    q4 = ip4(NODE4, SRV4, 17, seg4, ttl=1)
    n6, s6 = embed(NODE4), embed(SRV4)
    seg6 = udp(5353, 53, data, lambda s: udp_sum6(n6, s6, s))
    q6 = ip6(n6, s6, 17, seg6, hlim=1)
    for name, src in (("sl_err_src_loopback", "127.0.0.1"), ("sl_err_src_this_host", "0.0.0.0")):
        e4 = ip4(src, NODE4, 1, icmp4(11, 0, 0, q4), ttl=64)
        src6, dst6 = embed(src), embed(NODE4)
        out = ip6(src6, dst6, 58, icmp6(src6, dst6, 3, 0, 0, q6), hlim=63)
        f.case(name, "RFC 7915 §4.2/§4.1: Time Exceeded from %s is translated, source %s "
               "(RFC 6052 §2.2)" % (src, src6), e4, [out], "4to6 rx translated")
    echo = ip4("127.0.0.1", NODE4, 1, icmp4(8, 0, 0x12340001, b"ping"), ttl=64)
    f.case("sl_echo_src_loopback", "RFC 1122 §3.2.1.3: an echo request from 127.0.0.1 is "
           "still dropped", echo, [], "4to6 rx drop-bad-source")
    mc = ip4("224.0.0.9", NODE4, 1, icmp4(11, 0, 0, q4), ttl=64)
    f.case("sl_err_src_multicast", "RFC 1812 §4.3.2.7: an error from a multicast source is "
           "dropped", mc, [], "4to6 rx drop-bad-source")
    sys.stdout.writelines(f.lines)


if __name__ == "__main__":
    main()
