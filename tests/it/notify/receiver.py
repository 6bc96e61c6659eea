#!/usr/bin/env python3
"""Webhook receiver of the notification tests (tests/it/notify.rs).

Listens on 127.0.0.1 (port 0; prints the port on its first line), checks
each delivery's X-Mfa-Gate-Signature with `verify` below -- the
verifier of docs/notifications.md, copied as is (tests/it/docs.rs checks) -- and appends one JSON line per delivery to
DIR/received.jsonl. While DIR/fail holds a number N > 0 it answers 500 and
decrements it; while DIR/hang exists it waits 30 s before answering.

    python3 receiver.py SECRET DIR
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --- docs/notifications.md: verifying a webhook ----------------------------
import hmac, hashlib

def verify(secret: bytes, header: str, body: bytes, now: float, tolerance: int = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, signature = fields.get("t", ""), fields.get("v1", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False  # missing, or too old: a replay
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
# ---------------------------------------------------------------------------

SECRET = sys.argv[1].encode()
DIR = sys.argv[2]


def take_failure() -> bool:
    path = os.path.join(DIR, "fail")
    try:
        left = int(open(path).read().strip() or "0")
    except (OSError, ValueError):
        return False
    if left <= 0:
        return False
    with open(path + ".tmp", "w") as f:
        f.write(str(left - 1))
    os.replace(path + ".tmp", path)
    return True


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if os.path.exists(os.path.join(DIR, "hang")):
            time.sleep(30)
        ok = verify(SECRET, self.headers.get("X-Mfa-Gate-Signature", ""), body, time.time())
        status = 401 if not ok else (500 if take_failure() else 200)
        line = {
            "status": status,
            "verified": ok,
            "event_id": self.headers.get("X-Mfa-Gate-Event-Id"),
            "body": body.decode("utf-8", "replace"),
        }
        with open(os.path.join(DIR, "received.jsonl"), "a") as f:
            f.write(json.dumps(line) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
