#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write the seed corpus of the fuzz targets in tests/fuzz/corpus/<target>/.

Run from anywhere: /usr/bin/python3 tests/fuzz/make-corpus.py
Needs scapy (Debian: python3-scapy) only to regenerate; the output is
committed, so building and fuzzing do not need it. The output is
deterministic: running it again gives the same files.

Formats (see the comment at the top of each target):
  fuzz_xlat:   [flags:1] then [len:2 big-endian][packet] records
  fuzz_icmp:   [mode:1][kind:1][code:1][rest:4][inner packet]
  fuzz_config: configuration file text

Addresses are those of the fuzz targets (tests/fuzz/fuzz_common.c):
prefix 2001:db8:64::/96, pool4 198.51.100.0/28, IPv6 client 2001:db8:6::2
(stateless: 2001:db8:64::c000:202 = 192.0.2.2), IPv4 server 203.0.113.2.
"""
import os
import shutil
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_NOP, IPOption_RR, IPOption_LSRR
from scapy.layers.inet6 import (
    ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6PacketTooBig,
    ICMPv6ParamProblem, ICMPv6TimeExceeded, IPv6, IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
from scapy.packet import Raw

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

SERVER4 = "203.0.113.2"
ROUTER4 = "203.0.113.1"
SERVER6 = "2001:db8:64::cb00:7102"
POOL4_T = "198.51.100.1"  # a pool4 address (the port t is for the fuzzer to find)
CLIENT6 = {0: "2001:db8:6::2", 1: "2001:db8:64::c000:202"}
CLIENT4 = {0: POOL4_T, 1: "192.0.2.2"}
ROUTER6 = {0: "2001:db8:6::1", 1: "2001:db8:64::c000:201"}
PAYLOAD = b"tun64 fuzz seed."


def v6_packets(m):
    """Packets an IPv6 client sends towards the IPv4 server (6 -> 4)."""
    src, dst = CLIENT6[m], SERVER6
    base = IPv6(src=src, dst=dst, hlim=64)
    big = PAYLOAD * 100
    return {
        "v6-tcp-syn": base / TCP(sport=4001, dport=80, flags="S", seq=1000),
        "v6-tcp-ack-data": base / TCP(sport=4001, dport=80, flags="PA", seq=1001, ack=5) / PAYLOAD,
        "v6-tcp-fin": base / TCP(sport=4001, dport=80, flags="FA", seq=1001, ack=5),
        "v6-tcp-rst": base / TCP(sport=4001, dport=80, flags="R", seq=1001),
        "v6-udp": base / UDP(sport=4000, dport=53) / PAYLOAD,
        "v6-udp-big": base / UDP(sport=4000, dport=53) / big,
        "v6-udp-short": base / UDP(sport=4000, dport=53) / PAYLOAD[:5],
        "v6-icmp-echo": base / ICMPv6EchoRequest(id=0x1234, seq=1) / PAYLOAD,
        "v6-icmp-echo-reply": base / ICMPv6EchoReply(id=0x1234, seq=1),
        "v6-hlim1-udp": IPv6(src=src, dst=dst, hlim=1) / UDP(sport=4000, dport=53) / PAYLOAD,
        "v6-hbh-udp": base / IPv6ExtHdrHopByHop() / UDP(sport=4000, dport=53) / PAYLOAD,
        "v6-dstopt-tcp": base / IPv6ExtHdrDestOpt() / TCP(sport=4001, dport=80, flags="S"),
        "v6-hbh-dstopt-routing-udp": base / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
        IPv6ExtHdrRouting(addresses=[], segleft=0) / UDP(sport=4000, dport=53),
        "v6-routing-segleft1": base / IPv6ExtHdrRouting(addresses=["2001:db8:6::9"], segleft=1) /
        UDP(sport=4000, dport=53),
        "v6-frag-first-udp": base / IPv6ExtHdrFragment(id=7, m=1, offset=0) /
        UDP(sport=4000, dport=53, len=8 + 64) / (PAYLOAD * 2),
        "v6-frag-last": base / IPv6ExtHdrFragment(id=7, m=0, offset=4, nh=17) / (PAYLOAD * 2),
        "v6-atomic-frag-icmp": base / IPv6ExtHdrFragment(id=8, m=0, offset=0) /
        ICMPv6EchoRequest(id=0x1234, seq=2),
        "v6-udp-zero-csum": base / UDP(sport=4000, dport=53, chksum=0) / PAYLOAD,
        # stateless: other protocols pass; DCCP's checksum is updated
        "v6-dccp": IPv6(src=src, dst=dst, hlim=64, nh=33) /
        Raw(struct.pack(">HHBBH", 4002, 5001, 3, 0, 0x1234) + PAYLOAD),
        "v6-gre": IPv6(src=src, dst=dst, hlim=64, nh=47) / Raw(PAYLOAD),
        "v6-err-port-unreach": IPv6(src=ROUTER6[m], dst=dst) / ICMPv6DestUnreach(code=4) /
        IPv6(src=dst, dst=src) / UDP(sport=53, dport=4000) / PAYLOAD,
        "v6-err-too-big": IPv6(src=ROUTER6[m], dst=dst) / ICMPv6PacketTooBig(mtu=1280) /
        IPv6(src=dst, dst=src) / TCP(sport=80, dport=4001, flags="A") / PAYLOAD,
        "v6-err-time-exceeded": IPv6(src=ROUTER6[m], dst=dst) / ICMPv6TimeExceeded() /
        IPv6(src=dst, dst=src) / ICMPv6EchoReply(id=0x1234, seq=1),
        "v6-err-param-problem": IPv6(src=ROUTER6[m], dst=dst) / ICMPv6ParamProblem(code=0, ptr=6) /
        IPv6(src=dst, dst=src) / UDP(sport=53, dport=4000),
    }


def v4_packets(m):
    """Packets from the IPv4 side towards the client's IPv4 identity (4 -> 6)."""
    src, dst = SERVER4, CLIENT4[m]
    base = IP(src=src, dst=dst, ttl=64, id=1)
    return {
        "v4-tcp-syn-ack": base / TCP(sport=80, dport=1024, flags="SA", seq=5, ack=1001),
        "v4-tcp-syn": base / TCP(sport=5555, dport=1024, flags="S", seq=5),
        "v4-udp": base / UDP(sport=53, dport=1024) / PAYLOAD,
        "v4-udp-no-csum": base / UDP(sport=53, dport=1024, chksum=0) / PAYLOAD,
        "v4-udplite": IP(src=src, dst=dst, ttl=64, id=1, proto=136) /
        Raw(struct.pack(">HHHH", 53, 1024, 8, 0x4321) + PAYLOAD),
        "v4-icmp-echo": base / ICMP(type=8, id=0x1234, seq=1) / PAYLOAD,
        "v4-icmp-echo-reply": base / ICMP(type=0, id=1024, seq=1) / PAYLOAD,
        "v4-ttl1-udp": IP(src=src, dst=dst, ttl=1) / UDP(sport=53, dport=1024),
        "v4-df-too-big": IP(src=src, dst=dst, flags="DF") / UDP(sport=53, dport=1024) /
        (PAYLOAD * 93),
        "v4-nodf-big": IP(src=src, dst=dst) / UDP(sport=53, dport=1024) / (PAYLOAD * 93),
        "v4-options-nop-rr": IP(src=src, dst=dst, options=[IPOption_NOP(), IPOption_RR()]) /
        UDP(sport=53, dport=1024),
        "v4-options-lsrr": IP(src=src, dst=dst, options=[IPOption_LSRR(routers=["203.0.113.9"])]) /
        UDP(sport=53, dport=1024),
        "v4-frag-first": IP(src=src, dst=dst, flags="MF", id=9) /
        UDP(sport=53, dport=1024, len=8 + 64) / (PAYLOAD * 2),
        "v4-frag-last": IP(src=src, dst=dst, frag=5, id=9, proto=17) / (PAYLOAD * 2),
        "v4-err-port-unreach": IP(src=ROUTER4, dst=dst) / ICMP(type=3, code=3) /
        IP(src=dst, dst=src) / UDP(sport=1024, dport=53) / PAYLOAD,
        "v4-err-frag-needed": IP(src=ROUTER4, dst=dst) / ICMP(type=3, code=4, nexthopmtu=1400) /
        IP(src=dst, dst=src, flags="DF") / TCP(sport=1024, dport=80, flags="A"),
        "v4-err-time-exceeded": IP(src=ROUTER4, dst=dst) / ICMP(type=11, code=0) /
        IP(src=dst, dst=src, ttl=1) / ICMP(type=8, id=1024, seq=1),
        "v4-err-param-problem": IP(src=ROUTER4, dst=dst) / ICMP(type=12, code=0, ptr=8) /
        IP(src=dst, dst=src) / UDP(sport=1024, dport=53),
        "v4-err-truncated-inner": IP(src=ROUTER4, dst=dst) / ICMP(type=3, code=1) /
        Raw(bytes(IP(src=dst, dst=src) / TCP(sport=1024, dport=80))[:28]),
    }


def record(pkt):
    b = bytes(pkt)
    return struct.pack(">H", len(b)) + b


def xlat_corpus():
    seeds = {}
    for m, mode in ((0, "stateful"), (1, "stateless")):
        pk6, pk4 = v6_packets(m), v4_packets(m)
        for name, p in list(pk6.items()) + list(pk4.items()):
            seeds["%s-%s" % (mode, name)] = bytes([m]) + record(p)
        # Sequences: a flow opened from IPv6, answered from IPv4, closed;
        # flags bits 1..3 advance the clock (expiry) between packets.
        for clock in (0, 2):
            flags = m | (clock << 1)
            seeds["%s-seq-tcp-clock%d" % (mode, clock)] = bytes([flags]) + b"".join(
                record(pk6[n]) for n in ("v6-tcp-syn",)) + record(pk4["v4-tcp-syn-ack"]) + \
                record(pk6["v6-tcp-ack-data"]) + record(pk6["v6-tcp-fin"]) + \
                record(pk4["v4-tcp-syn-ack"])
            seeds["%s-seq-udp-icmp-clock%d" % (mode, clock)] = bytes([flags]) + \
                record(pk6["v6-udp"]) + record(pk4["v4-udp"]) + record(pk6["v6-icmp-echo"]) + \
                record(pk4["v4-icmp-echo-reply"]) + record(pk4["v4-err-port-unreach"]) + \
                record(pk6["v6-err-port-unreach"])
        # A train of one UDP flow each way, the last datagram shorter: what
        # the coalescer merges into USO super-packets (coalesce.h).
        seeds["%s-seq-udp-train" % mode] = bytes([m]) + \
            record(pk6["v6-udp"]) * 4 + record(pk6["v6-udp-short"]) + record(pk4["v4-udp"]) * 3
    seeds["garbage-version"] = b"\x00" + record(b"\x50" + bytes(39))
    seeds["empty-record"] = b"\x00" + record(b"")
    return seeds


ICMP4_KIND = {3: 0, 11: 1, 12: 2, 4: 3, 5: 4}  # index into icmp4_types, times 2
ICMP6_KIND = {1: 0, 2: 1, 3: 2, 4: 3}


def icmp_seed(mode, family6, itype, code, rest, inner):
    kinds = ICMP6_KIND if family6 else ICMP4_KIND
    kind = kinds[itype] << 1 | (1 if family6 else 0)
    return bytes([mode, kind, code]) + rest + bytes(inner)


def icmp_corpus():
    seeds = {}
    for m, mode in ((0, "stateful"), (1, "stateless")):
        c4, c6 = CLIENT4[m], CLIENT6[m]
        inner4 = {
            "udp": IP(src=c4, dst=SERVER4) / UDP(sport=1024, dport=53) / PAYLOAD,
            "tcp": IP(src=c4, dst=SERVER4, flags="DF") / TCP(sport=1024, dport=80, flags="S"),
            "icmp": IP(src=c4, dst=SERVER4) / ICMP(type=8, id=1024, seq=1) / PAYLOAD,
            "opts": IP(src=c4, dst=SERVER4, options=[IPOption_NOP(), IPOption_RR()]) /
            UDP(sport=1024, dport=53),
            "frag": IP(src=c4, dst=SERVER4, flags="MF", id=3) / UDP(sport=1024, dport=53, len=80),
        }
        inner6 = {
            "udp": IPv6(src=SERVER6, dst=c6) / UDP(sport=53, dport=4000) / PAYLOAD,
            "tcp": IPv6(src=SERVER6, dst=c6) / TCP(sport=80, dport=4001, flags="SA"),
            "icmp": IPv6(src=SERVER6, dst=c6) / ICMPv6EchoReply(id=0x1234, seq=1) / PAYLOAD,
            "hbh": IPv6(src=SERVER6, dst=c6) / IPv6ExtHdrHopByHop() / UDP(sport=53, dport=4000),
            "frag": IPv6(src=SERVER6, dst=c6) / IPv6ExtHdrFragment(id=3, m=1) /
            UDP(sport=53, dport=4000, len=80),
        }
        for patch in (0, 2):
            pm = m | patch
            for iname, inner in inner4.items():
                for itype, code, rest in ((3, 3, bytes(4)), (3, 4, b"\x00\x00\x05\x78"),
                                          (11, 0, bytes(4)), (12, 0, b"\x08\x00\x00\x00")):
                    seeds["%s-p%d-icmp4-%d-%d-%s" % (mode, patch, itype, code, iname)] = \
                        icmp_seed(pm, False, itype, code, rest, inner)
                seeds["%s-p%d-icmp4-3-1-%s-28b" % (mode, patch, iname)] = \
                    icmp_seed(pm, False, 3, 1, bytes(4), bytes(inner)[:28])
            for iname, inner in inner6.items():
                for itype, code, rest in ((1, 4, bytes(4)), (1, 0, bytes(4)),
                                          (2, 0, b"\x00\x00\x05\x00"), (3, 0, bytes(4)),
                                          (4, 0, b"\x00\x00\x00\x06"), (4, 1, b"\x00\x00\x00\x28")):
                    seeds["%s-p%d-icmp6-%d-%d-%s" % (mode, patch, itype, code, iname)] = \
                        icmp_seed(pm, True, itype, code, rest, inner)
        # RFC 4884: 128 bytes of original datagram (zero-padded), then an
        # extension structure (version 2, checksum, one object header).
        ext = b"\x20\x00\x00\x00" + b"\x00\x08\x01\x01" + b"\x00\x01\x2c\x01"
        for patch in (0, 2):
            pm = m | patch
            seeds["%s-p%d-icmp4-11-0-udp-ext" % (mode, patch)] = icmp_seed(
                pm, False, 11, 0, b"\x00\x20\x00\x00", bytes(inner4["udp"]).ljust(128, b"\0") + ext)
            seeds["%s-p%d-icmp6-3-0-udp-ext" % (mode, patch)] = icmp_seed(
                pm, True, 3, 0, b"\x10\x00\x00\x00", bytes(inner6["udp"]).ljust(128, b"\0") + ext)
        seeds["%s-ttl1-icmp4" % mode] = icmp_seed(m | 6, False, 11, 0, bytes(4), inner4["udp"])
        seeds["%s-hlim1-icmp6" % mode] = icmp_seed(m | 6, True, 3, 0, bytes(4), inner6["udp"])
    return seeds


CONFIGS = {
    "readme": """# Translation prefix
prefix 2001:db8:64::/96
pool4 198.51.100.0/28
tun-device nat64
""",
    "stateful-full": """tun-device nat64
mode stateful
prefix 2001:db8:64::/96
pool4 198.51.100.0/28
pool4 198.51.100.16/28 ports 2000-3000
ipv4-addr 198.51.100.1
ipv6-addr 2001:db8:64::c633:6401
bib tcp 198.51.100.2#80 2001:db8:6::80#80
bib udp 198.51.100.2#53 2001:db8:6::53#53
bib icmp 198.51.100.2#7 2001:db8:6::7#7
allow6 2001:db8:6::/64
mtu 1500
lowest-ipv6-mtu 1280
workers 2
max-sessions 10000
timeout-udp 300
timeout-tcp-est 7440
timeout-tcp-trans 240
timeout-icmp 60
routes yes
persist no
state-file /var/lib/tun64/state
control-socket /run/tun64/tun64.sock
user nobody
group nogroup
log-level debug
""",
    "stateless-eam": """mode stateless
prefix 2001:db8:64::/64
pool4 192.0.2.0/24
map 192.0.2.0/28 2001:db8:6::/124
map 198.51.100.7 2001:db8:6::7
routes no
""",
    "stateless-eam-unequal": """mode stateless
prefix 2001:db8:64::/96
map 192.0.2.0/24 2001:db8:aaaa::/64
map 192.0.2.128/26 2001:db8:1:8::/61
map 0.0.0.0/0 2001:db8:ff00::/40
map 198.51.100.7 2001:db8:6:7::/64
""",
    "prefix-lengths": "prefix 2001:db8::/32\nprefix 2001:db8:6400::/40\nprefix 2001:db8:64::/48\n"
                      "prefix 2001:db8:64::/56\nprefix 2001:db8:64::/64\n",
    "wkp": "prefix 64:ff9b::/96\npool4 203.0.113.0/24\nwkp-allow-private yes\n",
    "short-timeouts": "timeout-udp 1\ntimeout-tcp-est 2\ntimeout-tcp-trans 3\ntimeout-icmp 4\n",
    "bad-key": "prefix 2001:db8:64::/96\nno-such-key 1\n",
    "bad-prefix-len": "prefix 2001:db8:64::/80\n",
    "overlap-pool4": "pool4 198.51.100.0/28\npool4 198.51.100.8/29\n",
    "comments-blank": "\n# only a comment\n   \n\tprefix 2001:db8:64::/96   # trailing\n",
}


def write(target, seeds):
    d = os.path.join(OUT, target)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for name, data in sorted(seeds.items()):
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print("%s: %d seeds in %s" % (target, len(seeds), os.path.relpath(d)), file=sys.stderr)


def main():
    write("fuzz_xlat", xlat_corpus())
    write("fuzz_icmp", icmp_corpus())
    write("fuzz_config", CONFIGS)


if __name__ == "__main__":
    main()
