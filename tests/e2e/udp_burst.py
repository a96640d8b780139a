#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Both ends of the UDP burst test (e2e_udp_burst.sh).

  udp_burst.py server BIND PORT N SIZE GO_FILE SENT_FILE OUT_JSON
  udp_burst.py client ADDR PORT N SIZE READY_FILE GO_FILE SENT_FILE OUT_JSON

The client says hello (that makes the NAT64 binding; the server answers so
the client knows the path works), then creates READY_FILE. Once its GO_FILE
exists each side sends N datagrams of SIZE bytes to the other as fast as it
can, creates its SENT_FILE, and receives the other's N for up to 10 s. Datagram i carries i and
bytes derived from i, so a receiver checks each one for loss, order and
content. Each side writes {"sent", "received", "in_order", "corrupt"}.
"""
import json
import os
import socket
import sys
import time


def payload(i, size):
    head = i.to_bytes(4, "big")
    return head + bytes((i * 7 + j) & 0xFF for j in range(size - 4))


def wait_file(path, secs):
    end = time.monotonic() + secs
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.exit("udp_burst: %s did not appear" % path)
        time.sleep(0.01)


def exchange(sock, peer, n, size, go_file, sent_file, out):
    wait_file(go_file, 20)
    for i in range(n):
        sock.sendto(payload(i, size), peer)
    open(sent_file, "w").close()
    received, in_order, corrupt, last = 0, True, 0, -1
    sock.settimeout(0.5)
    end = time.monotonic() + 10
    while received + corrupt < n and time.monotonic() < end:
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            continue
        if data in (b"hello", b"hello-ack"):
            continue
        i = int.from_bytes(data[:4], "big")
        if i >= n or data != payload(i, size):
            corrupt += 1
            continue
        received += 1
        if i <= last:
            in_order = False
        last = i
    with open(out, "w") as f:
        json.dump({"sent": n, "received": received, "in_order": in_order,
                   "corrupt": corrupt}, f)


def big_rcvbuf(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)


def server(bind, port, n, size, go_file, sent_file, out):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_rcvbuf(sock)
    sock.bind((bind, port))
    sock.settimeout(20)
    data, peer = sock.recvfrom(65535)
    while data != b"hello":
        data, peer = sock.recvfrom(65535)
    sock.sendto(b"hello-ack", peer)
    exchange(sock, peer, n, size, go_file, sent_file, out)


def client(addr, port, n, size, ready_file, go_file, sent_file, out):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    big_rcvbuf(sock)
    peer = (addr, port)
    sock.settimeout(0.5)
    for _ in range(20):
        sock.sendto(b"hello", peer)
        try:
            if sock.recvfrom(65535)[0] == b"hello-ack":
                break
        except socket.timeout:
            pass
    else:
        sys.exit("udp_burst: no hello-ack from %s" % addr)
    open(ready_file, "w").close()
    exchange(sock, peer, n, size, go_file, sent_file, out)


def main(argv):
    if len(argv) == 9 and argv[1] == "server":
        server(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), *argv[6:9])
    elif len(argv) == 10 and argv[1] == "client":
        client(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), *argv[6:10])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
