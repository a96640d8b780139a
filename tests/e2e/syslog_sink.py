#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""A stand-in syslog daemon for e2e_syslog.sh: binds a unix datagram socket
(the test's private /dev/log) and appends each datagram as one line to a
file, flushed at once. Stops on SIGTERM or after the given seconds.

Usage: syslog_sink.py SOCKET OUTFILE SECONDS"""
import os
import signal
import socket
import sys
import time

path, out, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)  # the engine runs as an unprivileged user
end = time.monotonic() + secs
with open(out, "a", buffering=1) as f:
    while time.monotonic() < end:
        s.settimeout(max(0.1, end - time.monotonic()))
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        f.write(data.decode("utf-8", "replace").rstrip("\n") + "\n")
