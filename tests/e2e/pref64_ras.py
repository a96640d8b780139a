#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Router Advertisements in a pcap file (tcpdump -w, Ethernet), one line each,
for e2e_pref64.sh:

    ra t=SECONDS src=ADDR dst=ADDR hlim=N ok=yes|no lifetime=S plc=N prefix=ADDR

ok=yes when the ICMPv6 body is exactly the PREF64-only RA tun64d sends (RFC
4861 §4.2 header all zero but the type: router lifetime 0, hop limit and timers
unspecified, no flags; then one RFC 8781 option, type 38, length 2, and
nothing more). lifetime is the Scaled Lifetime x 8 in seconds.

Usage: pref64_ras.py FILE.pcap
"""
import ipaddress
import struct
import sys

ETH_LEN = 14
IP6_LEN = 40
ICMP6 = 58
RA = 134


def packets(path):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack("<I", head[:4])[0]
        end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _ = struct.unpack(end + "IIII", rec)
            data = f.read(incl)
            yield sec + frac / (1e9 if nano else 1e6), data


def main():
    for t, pkt in packets(sys.argv[1]):
        if len(pkt) < ETH_LEN + IP6_LEN + 1 or pkt[12:14] != b"\x86\xdd":
            continue
        ip6 = pkt[ETH_LEN:ETH_LEN + IP6_LEN]
        plen, nxt, hlim = struct.unpack("!HBB", ip6[4:8])
        body = pkt[ETH_LEN + IP6_LEN:ETH_LEN + IP6_LEN + plen]
        if nxt != ICMP6 or not body or body[0] != RA:
            continue
        src = ipaddress.IPv6Address(ip6[8:24])
        dst = ipaddress.IPv6Address(ip6[24:40])
        # everything but the checksum (bytes 2-3) is zero in the header
        ok = (len(body) == 32 and body[1] == 0 and body[4:16] == bytes(12)
              and body[16] == 38 and body[17] == 2)
        word = struct.unpack("!H", body[18:20])[0] if len(body) >= 20 else 0
        prefix = ipaddress.IPv6Address(body[20:32] + bytes(4)) if len(body) >= 32 else "-"
        print(f"ra t={t:.3f} src={src} dst={dst} hlim={hlim} ok={'yes' if ok else 'no'} "
              f"lifetime={(word >> 3) * 8} plc={word & 7} prefix={prefix}")


if __name__ == "__main__":
    main()
