"""A webhook receiver in Python, standard library only, verifying as the Standard Webhooks
specification says: HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>" keyed with the
base64-decoded secret after "whsec_", compared in constant time with each "v1,<base64>" entry of
webhook-signature; the timestamp within 5 minutes. Answers 204 when valid, 400 otherwise, and
prints one line per request ("verified <id> <type>" or "refused <why>").

Usage: python3 webhook_receiver.py whsec_...   (prints "listening <port>" when ready)
"""

import base64
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = base64.b64decode(sys.argv[1][len("whsec_"):])
TOLERANCE_SECONDS = 5 * 60


def verify(headers, body):
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing headers"
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return "timestamp outside the tolerance"
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(SECRET, signed, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return None
    return "no matching signature"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        problem = verify(self.headers, body)
        if problem is None:
            payload = json.loads(body)
            print(f"verified {self.headers['webhook-id']} {payload['type']}", flush=True)
            self.send_response(204)
        else:
            print(f"refused {problem}", flush=True)
            self.send_response(400)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
