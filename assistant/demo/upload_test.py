"""The demo platform's upload-test endpoint: `PUT|POST /api/upload-test` reads the body and
throws it away, so the assistant can measure the upload rate towards the platform before a
deposit ("Préparer mon dépôt"). A real platform offers the same (its page passes the URL in the
job's `deposit_rules.upload_test_url`).

Nothing is written to disk; the body is read in chunks (never held whole) and capped.
"""

from __future__ import annotations

import json
import time
from typing import Any

PATH = "/api/upload-test"
MAX_BODY = 256 << 20
CHUNK = 256 << 10


def handle(handler: Any) -> None:
    """Answer one request on `handler` (a BaseHTTPRequestHandler): {"received": n, "seconds": t}."""
    try:
        length = int(handler.headers.get("Content-Length", "-1"))
    except ValueError:
        length = -1
    if not 0 <= length <= MAX_BODY:
        _answer(handler, 400, {"error": "longueur du corps invalide ou trop grande"})
        return
    start = time.monotonic()
    left = length
    while left > 0:
        chunk = handler.rfile.read(min(CHUNK, left))
        if not chunk:
            handler.close_connection = True
            return
        left -= len(chunk)
    _answer(handler, 200, {"received": length, "seconds": round(time.monotonic() - start, 6)})


def _answer(handler: Any, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Cache-Control", "no-store")
    handler.end_headers()
    handler.wfile.write(data)
