#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Read one `iperf3 -J` result and print the number the benchmark table wants.

Usage: iperf_json.py tcp|udp|udpsent FILE
  tcp: receiver-side throughput in Gbit/s (end.sum_received).
  udp: packets per second the *server* received, in kpps: the server's own
       report, packets minus lost packets over its measured seconds, so
       packets dropped on the way are not counted.
  udpsent: packets per second the *client* sent (handed to its socket without
       error), in kpps, over the client's measured seconds: the top of the
       UDP64 loss table in bench.sh.
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


def udp_sent_kpps(doc):
    # end.sum_sent (3.9 and later) is the sender's own account. end.sum mixes
    # both sides for UDP (lost_packets is the receiver's), so it is only the
    # fallback for older iperf3; its "packets" is the sender's count there.
    try:
        end = doc["end"]
        total = end["sum_sent"] if "sum_sent" in end else end["sum"]
        sent = total["packets"]
        seconds = total["seconds"]
    except (KeyError, TypeError):
        fail("no end.sum_sent or end.sum in iperf3 output")
    if seconds <= 0:
        fail("client measured no time")
    return "%.1f" % (sent / seconds / 1e3)


MODES = {"tcp": tcp_gbits, "udp": udp_kpps, "udpsent": udp_sent_kpps}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in MODES:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    doc = load(sys.argv[2])
    if doc.get("error"):
        fail("iperf3: " + doc["error"])
    print(MODES[sys.argv[1]](doc))


if __name__ == "__main__":
    main()
