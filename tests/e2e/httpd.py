# SPDX-License-Identifier: BSD-2-Clause
"""Static file server for the e2e topology: python3 httpd.py ADDRESS PORT DIR.

http.server's own HTTPServer looks up the reverse DNS name of its address
before it listens; inside a test namespace there is no resolver, so that
stalls for many seconds. This server skips the lookup."""
import functools
import http.server
import socket
import socketserver
import sys


class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main():
    address, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if ":" in address:
        Server.address_family = socket.AF_INET6
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
    with Server((address, port), handler) as server:
        print(f"serving {root} on {address} port {port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
