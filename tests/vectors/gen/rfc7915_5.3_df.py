#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""tests/vectors/rfc7915/5.3-inner-df.vec: the IPv4 header inside a
translated ICMPv6 error (RFC 7915 §5.3, "as in §5.1").

§5.1 Flags: MF 0; DF 0 when the translated IPv4 packet is 1260 bytes or
less (the IPv6 packet was 1280 or less), else 1. For a quoted packet the
size is the packet the node sent: 20 + its Payload Length (no extension
headers here), not the bytes quoted. Identification: the ID the datagram
got when it was translated is not known to the error's translation; 0.
TTL = the quoted Hop Limit (§5.3). Outer header by §5.1 (TTL - 1, ID from
the generator, which starts at 0; DF 0 for these <= 576-byte errors), ICMP
by §5.2 (PTB -> 3/4 with MTU min(MTU-20, 1500-20); Time Exceeded 3 -> 11),
quote cut to 576 bytes in all (RFC 1812 §4.3.2.3).
Run: gen/rfc7915_5.3_df.py > tests/vectors/rfc7915/5.3-inner-df.vec
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vecgen import *  # noqa: E402,F401,F403

ROUTER4, SRV4, NODE4 = "192.0.2.254", "203.0.113.5", "192.0.2.33"
ROUTER6, SRV6, NODE6 = embed(ROUTER4), embed(SRV4), embed(NODE4)


def case(f, name, why, size6, t6, c6, rest6, t4, c4, rest4):
    """The IPv4 server sent size6-20 bytes to the IPv6 node; as IPv6 it is
    size6 bytes. An IPv6 router reports it with t6/c6."""
    data = payload(size6 - 48, seed=size6)
    q6 = ip6(SRV6, NODE6, 17, udp(53, 5353, data, lambda s: udp_sum6(SRV6, NODE6, s)), hlim=50)
    q6 = q6[:1280 - 48]  # RFC 4443 §2.4(c)
    err6 = ip6(ROUTER6, SRV6, 58, icmp6(ROUTER6, SRV6, t6, c6, rest6, q6), hlim=64)
    total4 = 20 + (size6 - 40)
    df = 0x4000 if total4 > 1260 else 0
    q4 = ip4(SRV4, NODE4, 17, udp(53, 5353, data, lambda s: udp_sum4(SRV4, NODE4, s)), ttl=50,
             flags_off=df)
    q4 = q4[:576 - 28]
    err4 = ip4(ROUTER4, SRV4, 1, icmp4(t4, c4, rest4, q4), ttl=63)
    f.case(name, why, err6, [err4], "6to4 rx translated")


def main():
    f = VecFile("rfc7915/5.3-inner-df", "rfc7915_5.3_df.py")
    te = "RFC 7915 §5.3/§5.1: Time Exceeded quoting a %d-byte IPv6 packet: inner DF=%d"
    case(f, "sl_df_time_exceeded_small", te % (100, 0), 100, 3, 0, 0, 11, 0, 0)
    case(f, "sl_df_time_exceeded_1280", te % (1280, 0) + " (1260 after translation)", 1280, 3, 0,
         0, 11, 0, 0)
    case(f, "sl_df_time_exceeded_1281", te % (1281, 1) + " (1261 after translation)", 1281, 3, 0,
         0, 11, 0, 0)
    case(f, "sl_df_unreach_port_small", "RFC 7915 §5.3/§5.1: Port Unreachable 1/4 -> 3/3 quoting "
         "300 bytes: inner DF=0", 300, 1, 4, 0, 3, 3, 0)
    ptb = "RFC 7915 §5.3/§5.1: Packet Too Big -> Fragmentation Needed, MTU %d -> %d, quoting %d bytes: inner DF=%d"
    case(f, "sl_df_ptb_1280", ptb % (1280, 1260, 1280, 0), 1280, 2, 0, 1280, 3, 4, 1260)
    case(f, "sl_df_ptb_1400", ptb % (1300, 1280, 1400, 1), 1400, 2, 0, 1300, 3, 4, 1280)
    sys.stdout.writelines(f.lines)


if __name__ == "__main__":
    main()
