# SPDX-License-Identifier: BSD-2-Clause
"""Shared by the outer-packet generators (atomic.py, ext_after_frag.py, ...):
the fixture's addresses (tests/vectors/README.md) and the .vec writer.
Every expected packet is built field by field with scapy from the RFC rule
its generator cites, never by running tun64."""
import os

PREFIX = "2001:db8:64::"          # pool6, /96
OWN4_SL, OWN6_SL = "192.0.2.1", "2001:db8:64::c000:201"
OWN4_SF, OWN6_SF = "198.51.100.1", "2001:db8:64::c633:6401"
C4 = "198.51.100.2"                # an IPv6 client, stateless: pool6 + C4
S4 = "203.0.113.5"                 # an IPv4 server
C6 = PREFIX + "c633:6402"
S6 = PREFIX + "cb00:7105"
CLIENT6_SF = "2001:db8:6::2"       # stateful: any IPv6 client outside pool6
HERE = os.path.dirname(os.path.abspath(__file__))


def hexlines(b, indent):
    h = bytes(b).hex()
    rows = [h[i:i + 64] for i in range(0, len(h), 64)]
    return ("\n" + " " * indent).join(rows)


def case(name, why, inp, outs=(), counters="", mode=None, sets=(), at=None):
    s = ["case " + name, "  why " + why]
    if mode:
        s.append("  mode " + mode)
    for kv in sets:
        s.append("  set " + kv)
    s.append("  in  " + hexlines(inp, 6))
    for o in outs:
        s.append("  out " + hexlines(o, 6))
    if at:
        s.append("  at " + at)
    s.append("  counters " + counters)
    return "\n".join(s) + "\n"


def write(relpath, header, cases):
    path = os.path.join(HERE, "..", relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("# %s: see tests/vectors/README.md. Made by tests/vectors/gen/%s;\n"
                "# expected bytes from the RFC text, never from tun64.\n\n"
                % (relpath, header))
        f.write("\n".join(cases))
