# SPDX-License-Identifier: BSD-2-Clause
"""Send one UDP datagram from each of COUNT source ports (FIRST.. FIRST+COUNT-1)
to ADDR PORT: COUNT flows, i.e. COUNT NAT64 mappings from one client. Paced
in batches so the tun queue (txqueuelen 500) is not overrun.

Usage: udp_flows.py ADDR PORT FIRST COUNT"""
import socket
import sys
import time


def main():
    addr, port, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    if count > 20000 or first + count > 65536:
        sys.exit("udp_flows.py: at most 20000 flows below port 65536")
    sent = 0
    for sport in range(first, first + count):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", sport))
        s.sendto(b"flow", (addr, port))
        s.close()
        sent += 1
        if sent % 100 == 0:
            time.sleep(0.02)
    print(sent)


main()
