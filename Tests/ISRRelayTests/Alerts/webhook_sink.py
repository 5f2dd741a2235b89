#!/usr/bin/env python3
"""A local HTTPS webhook receiver for the relay's alert tests: an independent check of what agencies receive.

usage: webhook_sink.py PORT CERT KEY SECRET_FILE OUT_DIR
Each POST is saved as OUT_DIR/N.json: {"path", "headers", "body", "signature_ok"}, where signature_ok says whether
ISR-Signature is the HMAC-SHA256 of the exact body under the shared secret. Answers 204, or 503 (recording nothing)
on the path /unavailable, so the relay's retries and give-ups can be tested.
"""
import hashlib
import hmac
import http.server
import json
import os
import ssl
import sys

port, cert, key, secret_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
with open(secret_file, "rb") as f:
    secret = f.read()
os.makedirs(out, exist_ok=True)


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length > 65536:
            self.send_response(413)
            self.end_headers()
            return
        body = self.rfile.read(length)
        if self.path == "/unavailable":
            self.send_response(503)
            self.end_headers()
            return
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        record = {
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8"),
            "signature_ok": hmac.compare_digest(expected, self.headers.get("ISR-Signature", "")),
        }
        name = os.path.join(out, "%d.json" % len(os.listdir(out)))
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", port), Sink)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print("listening", flush=True)
server.serve_forever()
