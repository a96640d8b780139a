#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Differential test of tun64d against the clean-room reference (ref.py).

Generates packets (gen.py), writes them to one pcap (the i-th at i
seconds), runs `tun64d -c CONF --translate in.pcap out.pcap`, groups the
outputs by timestamp and compares them byte for byte with what the
reference says the RFCs require.  Exits 1 on a disagreement whose category
is not listed in known.txt.
"""
import argparse
import collections
import fnmatch
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import logging  # noqa: E402

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, RawPcapReader, RawPcapWriter  # noqa: E402

import gen  # noqa: E402
import ref  # noqa: E402
import stateful  # noqa: E402

CONF_STATELESS = dict(
    mode="stateless", prefix="2001:db8:64::/96", ipv4_addr="192.0.2.1",
    ipv6_addr="2001:db8:ffff::1", pool4=["192.0.2.0/24"],
    maps=[("198.51.100.0/24", "2001:db8:aaaa::/120"),
          ("192.0.2.128/25", "2001:db8:bbbb::/64")],
    pool6791_4="192.0.2.100/32")


def dissect(data):
    """(name, value) for every header field, outer to inner (scapy)."""
    try:
        p = IPv6(data) if data and data[0] >> 4 == 6 else IP(data)
    except Exception:  # noqa: BLE001
        return [("raw", data.hex())]
    out = []
    layer, depth = p, 0
    while layer is not None and layer.__class__.__name__ != "NoPayload":
        name = layer.__class__.__name__
        for f in layer.fields_desc:
            try:
                v = layer.getfieldval(f.name)
            except Exception:  # noqa: BLE001
                v = "?"
            out.append(("%d:%s.%s" % (depth, name, f.name), repr(v)))
        layer, depth = layer.payload, depth + 1
    return out


CSUM_FIELDS = ("chksum", "cksum")


def field_diff(a, b):
    """Differing fields of two packets, checksums last."""
    fa, fb = dissect(a), dissect(b)
    diffs = []
    for i in range(max(len(fa), len(fb))):
        x = fa[i] if i < len(fa) else ("-", "-")
        y = fb[i] if i < len(fb) else ("-", "-")
        if x != y:
            diffs.append((x[0] if x[0] != "-" else y[0], x[1], y[1]))
    diffs.sort(key=lambda d: d[0].split(".")[-1] in CSUM_FIELDS)
    return diffs


def short_field(name):
    """0:IPv6.hlim -> IPv6.hlim (the depth stays out of the category)."""
    return name.split(":", 1)[-1]


def apply_free(refo, tun):
    """Takes the other side's value for every field the RFC leaves free,
    then recomputes the checksums that cover them."""
    d = bytearray(refo.data)
    check = getattr(refo, "check", None)
    if check and not check(tun):
        return refo.data  # the translator's choice is not allowed: compare as is
    for off, ln in refo.free:
        if off + ln <= len(d) and off + ln <= len(tun):
            if off == 0 and ln == 4 and d[0] >> 4 == 6:  # keep the version nibble
                d[0:4] = bytes([0x60 | (tun[0] & 15)]) + tun[1:4]
            else:
                d[off:off + ln] = tun[off:off + ln]
    if refo.free:
        d = bytearray(ref.refix(bytes(d)))
        if getattr(refo, "fix", None):
            d = bytearray(refo.fix(bytes(d)))
    return bytes(d)


def run_tun64d(binary, conf_text, pkts, workdir):
    conf = os.path.join(workdir, "oracle.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    os.chmod(conf, 0o600)
    pin, pout = os.path.join(workdir, "in.pcap"), os.path.join(workdir, "out.pcap")
    w = RawPcapWriter(pin, linktype=101, sync=True)
    w._write_header(None)
    for i, p in enumerate(pkts):
        w._write_packet(p, sec=i, usec=0)
    w.close()
    r = subprocess.run([binary, "-c", conf, "--translate", pin, pout],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit("tun64d --translate failed with %d" % r.returncode)
    verdicts = {}
    for line in r.stdout.splitlines():
        parts = line.split(None, 1)
        if parts and parts[0].isdigit():
            verdicts[int(parts[0]) - 1] = line
    outs = collections.defaultdict(list)
    if os.path.getsize(pout) > 0:
        for data, meta in RawPcapReader(pout):
            outs[meta.sec].append(bytes(data))
    return outs, verdicts


def load_known(path):
    known = []
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#", 1)[0].strip()
            if line:
                known.append(line)
    return known


def is_known(cat, known):
    return any(fnmatch.fnmatchcase(cat, k) for k in known)


def klass(kind):
    """The category's kind: random and structured cases of the same sort
    together, the ICMP type/code left to the example."""
    words = [w[4:] if w.startswith("rnd-") else w for w in kind.split()]
    return " ".join(w for w in words if not re.fullmatch(r"\d+/\d+", w))


def compare(kind, refs, tuns):
    """Returns None when they agree, else (category, detail lines)."""
    same = len(refs) == len(tuns) and all(
        describe(r.data) == describe(t) for r, t in zip(refs, tuns))
    if not same and (len(refs) != len(tuns) or any(
            describe(r.data).split()[0] != describe(t).split()[0] or "icmp" in describe(t)
            for r, t in zip(refs, tuns))):
        what = lambda lst: "+".join(sorted(set(describe(p) for p in lst))) or "nothing"  # noqa: E731
        return ("%s: ref=%s tun64d=%s" % (kind, what([o.data for o in refs]), what(tuns)), [])
    for ro, t in zip(refs, tuns):
        r = apply_free(ro, t)
        if r != t:
            diffs = field_diff(r, t)
            names = []
            for f, _, _ in diffs:  # every differing field, checksums only alone
                n = short_field(f)
                if n not in names and (not names or n.split(".")[-1] not in CSUM_FIELDS):
                    names.append(n)
            name = "+".join(names[:3]) if names else "bytes"
            return ("%s: %s" % (kind, name), [(ro, r, t, diffs)])
    return None


def describe(p):
    """What a packet is, for categories: 'v6 udp', 'v4 icmp 3/1' ..."""
    if p[0] >> 4 == 6:
        try:
            r = ref.parse6(p)
            nh, l4 = r["nh"], p[r["l4"]:]
        except ref.Drop:
            return "v6 ?"
        if r["frag"] is not None:
            return "v6 frag"
        if nh == 58 and len(l4) >= 2:
            return "v6 icmp %d/%d" % (l4[0], l4[1]) if l4[0] < 128 else "v6 icmp-info"
        return "v6 proto%d" % nh
    ihl = (p[0] & 15) * 4
    if p[6:8] != b"\0\0" and p[6:8] != b"\x40\0":
        return "v4 frag"
    if p[9] == 1 and len(p) >= ihl + 2:
        t = p[ihl]
        return "v4 icmp %d/%d" % (t, p[ihl + 1]) if t not in (0, 8) else "v4 icmp-info"
    return "v4 proto%d" % p[9]


def is_icmp(p):
    if p[0] >> 4 == 6:
        return len(p) > 6 and p[6] == 58
    return len(p) > 9 and p[9] == 1


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--mode", choices=["stateless", "stateful", "both"], default="stateless")
    ap.add_argument("--tun64d", default=os.path.join(HERE, "..", "..", "build", "tun64d"))
    ap.add_argument("--known", default=os.path.join(HERE, "known.txt"))
    ap.add_argument("--show", type=int, default=5, help="disagreements to print in full")
    ap.add_argument("--prefix", default="2001:db8:64::/96",
                    help="translation prefix, any RFC 6052 length (32, 40, 48, 56, 64, 96)")
    ap.add_argument("--only", help="show only categories matching this glob")
    ap.add_argument("--keep", help="directory to keep the pcaps and config in")
    args = ap.parse_args()
    modes = ["stateless", "stateful"] if args.mode == "both" else [args.mode]
    known = load_known(args.known)
    CONF_STATELESS["prefix"] = stateful.CONF["prefix"] = args.prefix
    gen.PREFIX = ref.Config(prefix=args.prefix)
    bad = 0
    for mode in modes:
        bad += run_mode(args, mode, known)
    return 1 if bad else 0


def run_pass(args, conf_text, mapper, xlat, cases, workdir):
    outs, verdicts = run_tun64d(args.tun64d, conf_text, [p for _, p in cases], workdir)
    cats = collections.Counter()
    examples = {}
    agree = 0
    for i, (kind, p) in enumerate(cases):
        mapper.now = i
        refs, why = xlat(mapper, p)
        tuns = outs.get(i, [])
        res = compare(klass(kind), refs, tuns)
        if hasattr(mapper, "learn"):
            mapper.learn(refs, tuns)
        if res is None:
            agree += 1
            continue
        cat, detail = res
        cats[cat] += 1
        if cat not in examples:
            examples[cat] = (i, p, why, refs, tuns, detail)
    return cats, examples, agree, verdicts


def run_mode(args, mode, known):
    workdir = args.keep or tempfile.mkdtemp(prefix="oracle-")
    os.makedirs(workdir, exist_ok=True)
    if mode == "stateless":
        cfg = ref.Config(**CONF_STATELESS)
        cases = gen.cases(args.seed, args.count)
        cats, examples, agree, verdicts = run_pass(
            args, cfg.conf_text(), ref.Mapper(cfg), ref.translate, cases, workdir)
    else:
        cfg = ref.Config(**stateful.CONF)
        conf_text = cfg.conf_text() + stateful.EXTRA_CONF
        # pass 1 learns the bindings tun64d picks for new flows; pass 2
        # (the one reported) adds the IPv4 replies and errors for them
        first = stateful.cases(args.seed, max(1, args.count // 4))
        m1 = stateful.StatefulMapper(cfg)
        run_pass(args, conf_text, m1, stateful.translate, first, workdir)
        cases = stateful.cases(args.seed, max(1, args.count // 4), m1.b6)[:args.count]
        cats, examples, agree, verdicts = run_pass(
            args, conf_text, stateful.StatefulMapper(cfg), stateful.translate, cases, workdir)
    n = len(cases)
    unknown = {c: k for c, k in cats.items() if not is_known(c, known)}
    print("oracle %s: seed %d: %d packets, %d agree, %d disagree (%d categories, %d not in known.txt)"
          % (mode, args.seed, n, agree, n - agree, len(cats), len(unknown)))
    for cat, k in sorted(cats.items(), key=lambda x: (-x[1], x[0])):
        print("  %5d  %s%s" % (k, cat, "" if cat in unknown else "   [known]"))
    shown = 0
    for cat in sorted(cats, key=lambda c: (c not in unknown, -cats[c])):
        if args.only and not fnmatch.fnmatchcase(cat, args.only):
            continue
        if shown >= args.show:
            break
        shown += 1
        i, p, why, refs, tuns, detail = examples[cat]
        print("\n--- %s\n    input #%d (t=%ds): %s" % (cat, i + 1, i, p.hex()))
        print("    tun64d: %s" % verdicts.get(i, "(no verdict line)").strip())
        print("    reference: %s" % (", ".join(o.why for o in refs) or "drop (%s)" % why))
        if detail:
            ro, r, t, diffs = detail[0]
            print("    ref   : %s\n    tun64d: %s" % (r.hex(), t.hex()))
            for name, a, b in diffs[:8]:
                print("      %-32s ref=%s tun64d=%s" % (short_field(name), a, b))
        else:
            for o in refs:
                print("    ref   : %s" % o.data.hex())
            for t in tuns:
                print("    tun64d: %s" % t.hex())
    return len(unknown)


if __name__ == "__main__":
    sys.exit(main())
