#!/usr/bin/python3
"""Read one `iperf3 -J` result and print the number the benchmark table wants.

Usage: iperf_json.py tcp|udp FILE
  tcp: receiver-side throughput in Gbit/s (end.sum_received).
  udp: packets per second the *server* received, in kpps: the server's own
       report, packets minus lost packets over its measured seconds, so
       packets dropped on the way are not counted.
On failure prints "n/a: REASON" and exits 1.
"""
import json
import sys


def fail(reason):
    print("n/a: " + " ".join(str(reason).split())[:160])
    sys.exit(1)


def load(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        fail(e)
    try:
        return json.loads(text)
    except ValueError:
        first = text.strip().splitlines()[:1]
        fail("iperf3 gave no JSON (" + (first[0] if first else "no output, timed out?") + ")")


def tcp_gbits(doc):
    try:
        bps = doc["end"]["sum_received"]["bits_per_second"]
    except (KeyError, TypeError):
        fail("no end.sum_received in iperf3 output")
    return "%.2f" % (bps / 1e9)


def udp_kpps(doc):
    # For UDP, iperf3 (3.9 and later) fills end.sum_received from the
    # server's own report: "packets" is the highest sequence number seen and
    # "lost_packets" the gaps, so their difference is what actually arrived.
    try:
        total = doc["end"]["sum_received"]
        received = total["packets"] - total["lost_packets"]
        seconds = total["seconds"]
    except (KeyError, TypeError):
        fail("no end.sum_received in iperf3 output")
    if seconds <= 0:
        fail("server measured no time")
    return "%.1f" % (received / seconds / 1e3)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("tcp", "udp"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    doc = load(sys.argv[2])
    if doc.get("error"):
        fail("iperf3: " + doc["error"])
    print(tcp_gbits(doc) if sys.argv[1] == "tcp" else udp_kpps(doc))


if __name__ == "__main__":
    main()
