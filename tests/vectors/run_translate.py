#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""The .vec cases (README.md here) through `tun64d -c CONF --translate`.

For each case: a tun64.conf with the settings of the unit fixture
(tests/unit/xlat_fixture.c) plus the case's `set` lines, a one-packet
raw-IP capture, then tun64d. Checks the exit status, the verdict line
(direction, translated / icmp-error / dropped and the drop reasons, from the
case's counters line), and the output capture byte for byte with the input's
timestamp. Cases marked only-unit are skipped (counted).

Usage: run_translate.py PATH/TO/tun64d VECTOR-DIR
"""
import glob
import os
import struct
import subprocess
import sys
import tempfile

# The fixture's configuration (tests/unit/xlat_fixture.c, test_vectors.c).
BASE = {
    "stateless": ["mode stateless", "ipv4-addr 192.0.2.1",
                  "ipv6-addr 2001:db8:64::c000:201"],
    "stateful": ["mode stateful", "ipv4-addr 198.51.100.1",
                 "ipv6-addr 2001:db8:64::c633:6401", "pool4 198.51.100.0/28",
                 "max-sessions 1000"],
}
# The fixture leaves these zero: no rate limit, no unreachable for drops.
COMMON = ["prefix 2001:db8:64::/96", "mtu 1500", "lowest-ipv6-mtu 1280",
          "icmp-error-rate 0", "icmp-unreachable no"]
PASSIVE = ("rx", "translated", "icmp-error-sent", "echo-reply-sent")
TS = (1000, 250000)  # the input packet's timestamp


def parse(path):
    cases, c, cont = [], None, None
    for no, raw in enumerate(open(path), 1):
        s = raw.strip()
        if not s or s.startswith("#"):
            cont = None
            continue
        word, _, rest = s.partition(" ")
        rest = rest.strip()
        if raw[0] in " \t" and cont is not None and all(ch in "0123456789abcdefABCDEF" for ch in word) and not rest:
            c[cont][-1] += word
            continue
        cont = None
        if word == "case":
            c = {"name": rest.split()[0], "where": "%s:%d" % (path, no), "mode": "stateless",
                 "set": [], "in": [], "out": [], "counters": None, "only_unit": False}
            cases.append(c)
        elif word in ("in", "out"):
            c[word].append(rest.replace(" ", ""))
            cont = word
        elif word == "mode":
            c["mode"] = rest
        elif word == "set":
            c["set"].append(rest)
        elif word == "counters":
            c["counters"] = rest.split()
        elif word == "only-unit":
            c["only_unit"] = True
        elif word not in ("why", "at"):
            sys.exit("%s:%d: bad line" % (path, no))
    return cases


def write_pcap(path, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        for p in pkts:
            f.write(struct.pack("<IIII", TS[0], TS[1], len(p), len(p)) + p)


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0xA1B2C3D4 else ">"
    pkts, off = [], 24
    while off < len(data):
        sec, usec, cap, _ = struct.unpack(end + "IIII", data[off:off + 16])
        pkts.append(((sec, usec), data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return pkts


def expected_verdict(c):
    dirn, ctrs = c["counters"][0], c["counters"][1:]
    reasons = sorted(x for x in ctrs if x not in PASSIVE)
    if "icmp-error-sent" in ctrs:
        kind = "icmp-error"
    elif "translated" in ctrs or "echo-reply-sent" in ctrs:
        kind = "translated fragmented" if len(c["out"]) > 1 else "translated"
    else:
        kind = "dropped"
    return dirn, kind, reasons


def got_verdict(line):
    f = line.split("  ")
    dirn, what = f[1], f[2].split()
    if what[0] in ("icmp-error", "dropped"):
        return dirn, what[0], sorted(what[1].split(",")) if len(what) > 1 else []
    return dirn, " ".join(what), []


def run_case(tun64d, c, tmp):
    conf = os.path.join(tmp, "tun64.conf")
    with open(conf, "w") as f:
        f.write("\n".join(COMMON + BASE[c["mode"]] + c["set"]) + "\n")
    inp, outp = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
    write_pcap(inp, [bytes.fromhex(c["in"][0])])
    r = subprocess.run([tun64d, "-c", conf, "--translate", inp, outp],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "exit status %d: %s" % (r.returncode, r.stderr.strip())
    lines = r.stdout.splitlines()
    if len(lines) != 1:
        return "verdict lines: %r" % lines
    want, got = expected_verdict(c), got_verdict(lines[0])
    if want != got:
        return "verdict %r, want %r (%s)" % (got, want, lines[0])
    outs = read_pcap(outp)
    exp = [bytes.fromhex(h) for h in c["out"]]
    if [p for _, p in outs] != exp:
        return "output differs:\n  got  %s\n  want %s" % (
            " ".join(p.hex() for _, p in outs), " ".join(e.hex() for e in exp))
    if any(ts != TS for ts, _ in outs):
        return "output timestamps %r, want the input's %r" % ([ts for ts, _ in outs], TS)
    return None


def main():
    tun64d, vdir = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(vdir, "**", "*.vec"), recursive=True))
    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            for c in parse(path):
                if c["only_unit"]:
                    skipped += 1
                    continue
                err = run_case(tun64d, c, tmp)
                if err:
                    failed += 1
                    print("FAIL %s %s: %s" % (c["where"], c["name"], err))
                else:
                    passed += 1
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
