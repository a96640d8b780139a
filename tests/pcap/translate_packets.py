#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Input capture, expected output and expected verdicts for test_translate.sh.

Every packet, the expected ones included, is built here by hand with struct,
and every checksum comes from csum() below, not from tun64. Usage:

  translate_packets.py first DIR            DIR/first.pcap: the dynamic UDP flow alone
  translate_packets.py build DIR ADDR PORT  DIR/in.pcap, DIR/in-eth.pcap, DIR/expected.pcap,
                                            DIR/expected.txt, DIR/expected-eth.txt; ADDR.PORT
                                            is what the dynamic flow got in the first run
  translate_packets.py compare OUT EXPECTED exact records, timestamps and link type
"""
import ipaddress
import struct
import sys

CLIENT = "2001:db8:6::2"
SERVER4 = "203.0.113.2"
SERVER6 = "2001:db8:64::cb00:7102"  # 203.0.113.2 in 2001:db8:64::/96 (RFC 6052)
POOL4 = "198.51.100.3"  # the static bib entries of the test's config
OWN4 = "198.51.100.1"  # ipv4-addr: the first pool4 address
OWN6 = "2001:db8:64::c633:6401"  # ipv6-addr: ipv4-addr 198.51.100.1 mapped
T0 = 1700000000

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101


def a6(s):
    return ipaddress.IPv6Address(s).packed


def a4(s):
    return ipaddress.IPv4Address(s).packed


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def pseudo6(src, dst, nh, length):
    return a6(src) + a6(dst) + struct.pack("!IxxxB", length, nh)


def pseudo4(src, dst, proto, length):
    return a4(src) + a4(dst) + struct.pack("!xBH", proto, length)


def with_csum(seg, at, pseudo):
    c = csum(pseudo + seg)
    return seg[:at] + struct.pack("!H", c) + seg[at + 2:]


def tcp(src, dst, sport, dport, seq, ack, flags, v6):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    ps = pseudo6(src, dst, 6, len(seg)) if v6 else pseudo4(src, dst, 6, len(seg))
    return with_csum(seg, 16, ps)


def udp(src, dst, sport, dport, data, v6):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ps = pseudo6(src, dst, 17, len(seg)) if v6 else pseudo4(src, dst, 17, len(seg))
    return with_csum(seg, 6, ps)


def icmp6(src, dst, typ, code, rest, body):
    msg = struct.pack("!BBH", typ, code, 0) + rest + body
    return with_csum(msg, 2, pseudo6(src, dst, 58, len(msg)))


def icmp4(typ, code, rest, body):
    msg = struct.pack("!BBH", typ, code, 0) + rest + body
    return with_csum(msg, 2, b"")


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hlim) + a6(src) + a6(dst) + payload


def ip4(src, dst, proto, payload, ttl=64, ident=0, df=False):
    hdr = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(payload), ident, 0x4000 if df else 0, ttl,
                      proto, 0)
    hdr += a4(src) + a4(dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


SYN, ACK = 0x02, 0x10
DNS_QUERY = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
PING = b"tun64 ping data!"


def dynamic_udp():
    """The flow whose pool4 address and port tun64 chooses (a fixed seed in
    --translate mode, so the first run tells the second)."""
    return ip6(CLIENT, SERVER6, 17, udp(CLIENT, SERVER6, 50000, 7, b"hello", True))


def cases(dyn_addr, dyn_port):
    """(time offset s, input packet, expected output or None, verdict text)."""
    syn6 = ip6(CLIENT, SERVER6, 6, tcp(CLIENT, SERVER6, 40000, 80, 1000, 0, SYN, True))
    syn4 = ip4(POOL4, SERVER4, 6, tcp(POOL4, SERVER4, 61234, 80, 1000, 0, SYN, False),
               ttl=63, ident=1)
    synack4 = ip4(SERVER4, POOL4, 6,
                  tcp(SERVER4, POOL4, 80, 61234, 5000, 1001, SYN | ACK, False))
    synack6 = ip6(SERVER6, CLIENT, 6,
                  tcp(SERVER6, CLIENT, 80, 40000, 5000, 1001, SYN | ACK, True), hlim=63)
    dns6 = ip6(CLIENT, SERVER6, 17, udp(CLIENT, SERVER6, 40001, 53, DNS_QUERY, True))
    dns4 = ip4(POOL4, SERVER4, 17, udp(POOL4, SERVER4, 61235, 53, DNS_QUERY, False),
               ttl=63, ident=2)
    echo6 = ip6(CLIENT, SERVER6, 58,
                icmp6(CLIENT, SERVER6, 128, 0, struct.pack("!HH", 7, 1), PING))
    echo4 = ip4(POOL4, SERVER4, 1, icmp4(8, 0, struct.pack("!HH", 7, 1), PING),
                ttl=63, ident=3)
    stray4 = ip4("203.0.113.9", "198.51.100.5", 17,
                 udp("203.0.113.9", "198.51.100.5", 53, 1234, b"x", False))
    # RFC 6146 §3.5.1, RFC 7915 §4.4: no session for a UDP datagram from
    # IPv4: Destination Unreachable, Port Unreachable (RFC 1122 §4.1.3.1), quoting it, from
    # ipv4-addr (Identification 0 with DF, RFC 6864 §4.1).
    stray_unreach = ip4(OWN4, "203.0.113.9", 1, icmp4(3, 3, b"\0" * 4, stray4), df=True)
    cut6 = ip6(CLIENT, SERVER6, 6, tcp(CLIENT, SERVER6, 40002, 80, 1, 0, SYN, True)[:10])
    hlim1 = ip6(CLIENT, SERVER6, 17, udp(CLIENT, SERVER6, 40003, 53, b"ttl", True), hlim=1)
    # RFC 4443 §3.3: Time Exceeded, code 0, quoting the packet, from ipv6-addr.
    exceeded = ip6(OWN6, CLIENT, 58, icmp6(OWN6, CLIENT, 3, 0, b"\0" * 4, hlim1))
    dyn = dynamic_udp()
    dyn4 = ip4(dyn_addr, SERVER4, 17, udp(dyn_addr, SERVER4, dyn_port, 7, b"hello", False),
               ttl=63, ident=0)
    reply4 = ip4(SERVER4, dyn_addr, 17, udp(SERVER4, dyn_addr, 7, dyn_port, b"olleh", False))
    reply6 = ip6(SERVER6, CLIENT, 17, udp(SERVER6, CLIENT, 7, 50000, b"olleh", True), hlim=63)
    late4 = ip4(SERVER4, dyn_addr, 17, udp(SERVER4, dyn_addr, 7, dyn_port, b"late", False))
    late_unreach = ip4(OWN4, SERVER4, 1, icmp4(3, 3, b"\0" * 4, late4), df=True)
    d = "%s.%d" % (dyn_addr, dyn_port)
    c6 = CLIENT + ".%d"
    s6 = SERVER6 + ".%d"
    return [
        (0, dyn, dyn4, "6to4  translated  %s > %s -> %s > %s udp"
         % (c6 % 50000, s6 % 7, d, SERVER4 + ".7")),
        (1, syn6, syn4, "6to4  translated  %s > %s -> %s > %s tcp"
         % (c6 % 40000, s6 % 80, POOL4 + ".61234", SERVER4 + ".80")),
        (1, synack4, synack6, "4to6  translated  %s > %s -> %s > %s tcp"
         % (SERVER4 + ".80", POOL4 + ".61234", s6 % 80, c6 % 40000)),
        (2, dns6, dns4, "6to4  translated  %s > %s -> %s > %s udp"
         % (c6 % 40001, s6 % 53, POOL4 + ".61235", SERVER4 + ".53")),
        (3, echo6, echo4, "6to4  translated  %s > %s -> %s > %s icmp echo-request id 7"
         % (CLIENT, SERVER6, POOL4, SERVER4)),
        (4, stray4, stray_unreach, "4to6  icmp-error drop-no-state  203.0.113.9.53 > "
         "198.51.100.5.1234 udp -> %s > 203.0.113.9 icmp dest-unreachable code 3" % OWN4),
        (5, cut6, None, "6to4  dropped drop-truncated  %s > %s tcp" % (c6 % 40002, s6 % 80)),
        (6, hlim1, exceeded, "6to4  icmp-error drop-ttl-expired  %s > %s udp -> %s > %s "
         "icmp6 time-exceeded code 0" % (c6 % 40003, s6 % 53, OWN6, CLIENT)),
        # timeout-udp is 300 s: the capture's clock, not the wall clock, expires it.
        (10, reply4, reply6, "4to6  translated  %s > %s -> %s > %s udp"
         % (SERVER4 + ".7", d, s6 % 7, c6 % 50000)),
        (400, late4, late_unreach, "4to6  icmp-error drop-no-state  %s > %s udp -> %s > %s "
         "icmp dest-unreachable code 3" % (SERVER4 + ".7", d, OWN4, SERVER4)),
    ]


def pcap_bytes(linktype, records):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for (sec, usec), data in records:
        out += struct.pack("<IIII", sec, usec, len(data), len(data)) + data
    return out


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4, "%s: not a little-endian microsecond pcap" % path
    records, off = [], 24
    while off < len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        records.append(((sec, usec), data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, records


def ether(payload, ethertype):
    return b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + struct.pack("!H", ethertype) + payload


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def build(outdir, dyn_addr, dyn_port):
    cs = cases(dyn_addr, dyn_port)
    stamp = [(T0 + t, 1000 * i) for i, (t, _, _, _) in enumerate(cs)]
    raw_in = [(ts, c[1]) for ts, c in zip(stamp, cs)]
    expected = [(ts, c[2]) for ts, c in zip(stamp, cs) if c[2] is not None]
    write(outdir + "/in.pcap", pcap_bytes(LINKTYPE_RAW, raw_in))
    write(outdir + "/expected.pcap", pcap_bytes(LINKTYPE_RAW, expected))
    lines = ["%d  %s" % (i + 1, c[3]) for i, c in enumerate(cs)]
    write(outdir + "/expected.txt", ("\n".join(lines) + "\n").encode())
    # The same packets over Ethernet, after an ARP frame the translator skips.
    arp = ether(b"\0\x01\x08\0\x06\x04\0\x01" + b"\0" * 20, 0x0806)
    eth_in = [((T0, 0), arp)] + [
        (ts, ether(p, 0x86DD if p[0] >> 4 == 6 else 0x0800)) for ts, p in raw_in]
    write(outdir + "/in-eth.pcap", pcap_bytes(LINKTYPE_ETHERNET, eth_in))
    eth_lines = ["1  -  skipped not-ip  %d bytes" % len(arp)]
    eth_lines += ["%d  %s" % (i + 2, c[3]) for i, c in enumerate(cs)]
    write(outdir + "/expected-eth.txt", ("\n".join(eth_lines) + "\n").encode())


def compare(out_path, expected_path):
    lt_out, got = read_pcap(out_path)
    lt_exp, want = read_pcap(expected_path)
    ok = lt_out == lt_exp
    if not ok:
        print("link type %d, expected %d" % (lt_out, lt_exp))
    if len(got) != len(want):
        print("%d packets, expected %d" % (len(got), len(want)))
        ok = False
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            print("packet %d differs:\n  got      %s %s\n  expected %s %s"
                  % (i + 1, g[0], g[1].hex(), w[0], w[1].hex()))
            ok = False
    return 0 if ok else 1


def main(argv):
    if argv[1] == "first":
        write(argv[2] + "/first.pcap", pcap_bytes(LINKTYPE_RAW, [((T0, 0), dynamic_udp())]))
        return 0
    if argv[1] == "build":
        build(argv[2], argv[3], int(argv[4]))
        return 0
    if argv[1] == "compare":
        return compare(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
