#!/usr/bin/python3
"""Holds connections open against a relay the way a slowloris client does, from its own loopback address, and reports
what the relay did with them. Some sockets never start TLS; some finish the handshake with a client certificate and then
send a request head one byte at a time. Prints one JSON line: how many sockets were opened, how many the relay closed
at once (over its per-address cap), how many it closed later and after how long, and how many were still open at the end.

Usage: slowloris.py PORT CA_PEM CERT_PEM KEY_PEM SOURCE_ADDRESS COUNT SECONDS READY_FILE"""
import json
import select
import socket
import ssl
import sys
import time

port, ca, cert, key, source, count, seconds, ready = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
context = ssl.create_default_context(cafile=ca)
context.load_cert_chain(cert, key)
context.check_hostname = False

start = time.monotonic()
sockets = []  # (socket, kind, opened_at)
for n in range(count):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.bind((source, 0))
    raw.settimeout(5)
    raw.connect(("127.0.0.1", int(port)))
    if n % 4 == 3:
        try:
            tls = context.wrap_socket(raw, server_hostname="localhost")
            tls.setblocking(False)
            sockets.append((tls, "slow-headers", time.monotonic()))
        except (ssl.SSLError, OSError):
            sockets.append((None, "refused", time.monotonic()))
    else:
        raw.setblocking(False)
        sockets.append((raw, "no-handshake", time.monotonic()))
with open(ready, "w") as f:
    f.write("ready")

head = b"GET /v1/inbox HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"a" * 200
closed = {}  # index -> seconds after opening
sent = 0
deadline = start + seconds
while time.monotonic() < deadline and len(closed) < len(sockets):
    for i, (s, kind, opened) in enumerate(sockets):
        if i in closed:
            continue
        if s is None:
            closed[i] = 0.0
            continue
        try:
            readable, _, _ = select.select([s], [], [], 0)
            if readable and s.recv(4096) == b"":
                closed[i] = time.monotonic() - opened
                continue
            if kind == "slow-headers" and sent < len(head) * count:
                s.send(head[sent % len(head):sent % len(head) + 1])
        except ssl.SSLWantReadError:
            pass
        except (ConnectionError, ssl.SSLError, OSError):
            closed[i] = time.monotonic() - opened
    sent += 1
    time.sleep(0.2)

# "At once" is long before the deadline: a machine running every test suite at once can delay a refusal's close by
# a second or more, while sockets inside the cap close only when the (20 s) deadline passes.
at_once = sum(1 for t in closed.values() if t < 5.0)
later = [t for t in closed.values() if t >= 5.0]
print(json.dumps({"opened": len(sockets), "closed_at_once": at_once, "closed_later": len(later),
                  "latest_close_seconds": round(max(later), 2) if later else None, "still_open": len(sockets) - len(closed)}))
