# SPDX-License-Identifier: BSD-2-Clause
"""Shared helpers of the generators here: RFC 1071 checksums, ICMP
messages packed field by field, and the .vec case writer. The expected
bytes are built from the RFC rules each generator states; nothing here
runs tun64."""
import socket
import struct

PREFIX = "2001:db8:64::"  # the fixture's pool6 (tests/vectors/README.md)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def a4(s):
    return socket.inet_aton(s)


def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def embed(v4):
    """RFC 6052 §2.2, /96: the IPv4 address in the last 32 bits."""
    return socket.inet_ntop(socket.AF_INET6, a6(PREFIX) [:12] + a4(v4))


def ip4(src, dst, proto, payload, ttl=64, tos=0, ident=0, flags_off=0, options=b""):
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, 4 * ihl + len(payload), ident, flags_off,
                    ttl, proto, 0, a4(src), a4(dst)) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload, hlim=64, tclass=0, plen=None):
    return struct.pack("!IHBB16s16s", 6 << 28 | tclass << 20, len(payload) if plen is None else plen,
                       nh, hlim, a6(src), a6(dst)) + payload


def udp_sum4(src, dst, seg):
    return csum(a4(src) + a4(dst) + struct.pack("!BBH", 0, 17, len(seg)) + seg)


def udp_sum6(src, dst, seg):
    return csum(a6(src) + a6(dst) + struct.pack("!IxxxB", len(seg), 17) + seg)


def udp(sport, dport, payload, sum_fn=None):
    """A UDP segment; sum_fn(seg) gives its checksum (0 -> 0xffff, RFC 768)."""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if sum_fn:
        s = sum_fn(seg) or 0xffff
        seg = seg[:6] + struct.pack("!H", s) + seg[8:]
    return seg


def icmp4(t, c, rest, body):
    m = struct.pack("!BBHI", t, c, 0, rest) + body
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def icmp6(src, dst, t, c, rest, body):
    m = struct.pack("!BBHI", t, c, 0, rest) + body
    ph = a6(src) + a6(dst) + struct.pack("!IxxxB", len(m), 58)
    return m[:2] + struct.pack("!H", csum(ph + m)) + m[4:]


def ext_struct(objects):
    """RFC 4884 §7: version 2, reserved 0, checksum over the structure."""
    h = bytes([0x20, 0, 0, 0]) + objects
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def ext_object(cls, ctype, data):
    """RFC 4884 §8: length (header included), class-num, c-type, data."""
    return struct.pack("!HBB", 4 + len(data), cls, ctype) + data


def payload(n, seed=0):
    return bytes((seed + 7 * i) & 0xff for i in range(n))


class VecFile:
    def __init__(self, title, gen):
        self.lines = ["# %s: see tests/vectors/README.md. Bytes from\n" % title,
                      "# tests/vectors/gen/%s (fields packed by the RFC rules), never from tun64.\n" % gen]

    def case(self, name, why, inp, outs, counters, mode=None, sets=(), at=None):
        self.lines.append("\ncase %s\n" % name)
        self.lines.append("  why %s\n" % why)
        if mode:
            self.lines.append("  mode %s\n" % mode)
        for s in sets:
            self.lines.append("  set %s\n" % s)
        self._hex("in ", inp)
        for o in outs:
            self._hex("out", o)
        if at:
            self.lines.append("  at %s\n" % at)
        self.lines.append("  counters %s\n" % counters)

    def _hex(self, word, b):
        h = b.hex()
        self.lines.append("  %s %s\n" % (word, h[:64]))
        for i in range(64, len(h), 64):
            self.lines.append("      %s\n" % h[i:i + 64])

    def write(self, path):
        open(path, "w").writelines(self.lines)


def csum_update(old, old_words, new_words):
    """RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over 16-bit words."""
    s = ~old & 0xffff
    for w in old_words:
        s += ~w & 0xffff
    for w in new_words:
        s += w
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def words(b):
    return list(struct.unpack("!%dH" % (len(b) // 2), b))


def frag6(nh, offset_units, more, ident):
    """RFC 8200 §4.5 Fragment header."""
    return struct.pack("!BBHI", nh, 0, offset_units << 3 | (1 if more else 0), ident)
