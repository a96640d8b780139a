#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""One-off migration of the existing .vec expectations to RFC 7915 §5.3.

§5.3 translates the IPv4 header inside an ICMPv6 error "as in §5.1", and
§5.1 sets DF only when the translated packet exceeds 1260 bytes (an IPv6
sender sized it for the 1280 minimum MTU). The old expectations had DF=1 in
every quoted header. For each expected ICMPv4 error a case of direction 6to4
produces (outer IPv4, ICMP type 3/11/12), when the quoted IPv4 header says
ID 0, DF and Total Length <= 1260: clear DF, recompute that header's
checksum (RFC 1071) and the ICMP checksum over the whole message. Nothing
here runs tun64.

Usage: rfc7915_5.3_inner_df.py FILE.vec...  (rewrites the files)
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def fix(p):
    p = bytearray(p)
    if p[0] >> 4 != 4 or p[9] != 1:
        return bytes(p)
    ih = (p[0] & 15) * 4
    icmp = p[ih:]
    if icmp[0] not in (3, 11, 12) or len(icmp) < 28:
        return bytes(p)
    q = ih + 8  # the quoted header
    total, ident, off = struct.unpack("!HHH", p[q + 2:q + 8])
    if off != 0x4000 or ident != 0 or total > 1260:
        return bytes(p)
    p[q + 6:q + 8] = b"\0\0"
    p[q + 10:q + 12] = b"\0\0"
    p[q + 10:q + 12] = struct.pack("!H", csum(bytes(p[q:q + (p[q] & 15) * 4])))
    p[ih + 2:ih + 4] = b"\0\0"
    p[ih + 2:ih + 4] = struct.pack("!H", csum(bytes(p[ih:])))
    return bytes(p)


def emit(word, h):
    lines = ["  %-3s %s" % (word, h[:64])]
    lines += ["      " + h[i:i + 64] for i in range(64, len(h), 64)]
    return [l + "\n" for l in lines]


def rewrite(path):
    src = open(path).readlines()
    out, i, dirn, changed = [], 0, None, 0
    # the direction comes from the case's counters line, after its outs
    cases, cur = [], []
    for l in src:
        if l.startswith("case "):
            cases.append(cur)
            cur = []
        cur.append(l)
    cases.append(cur)
    for c in cases:
        dirn = next((l.split()[1] for l in c if l.strip().startswith("counters ")), None)
        i = 0
        while i < len(c):
            l = c[i]
            if l.startswith("  out ") and dirn == "6to4":
                h = l.split()[1]
                j = i + 1
                while j < len(c) and c[j].startswith("      ") and c[j].strip() and \
                        all(ch in "0123456789abcdef" for ch in c[j].strip()):
                    h += c[j].strip()
                    j += 1
                n = fix(bytes.fromhex(h)).hex()
                if n != h:
                    changed += 1
                    out += emit("out", n)
                else:
                    out += c[i:j]
                i = j
                continue
            out.append(l)
            i += 1
    open(path, "w").writelines(out)
    return changed


if __name__ == "__main__":
    for f in sys.argv[1:]:
        print(f, rewrite(f))
