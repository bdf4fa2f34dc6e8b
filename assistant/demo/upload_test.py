"""The demo platform's side of "Préparer mon dépôt".

`PUT|POST /api/upload-test` reads the body and throws it away, so the assistant can measure the
upload rate towards the platform before a deposit. `GET /api/deposit-rules` publishes the demo
consultation's deposit rules (formats, extensions, limits, deadline, and the upload-test URL) as
a real platform would in its job descriptor's `deposit_rules`.

Nothing is written to disk; the body is read in chunks (never held whole) and capped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from typing import Any

PATH = "/api/upload-test"
RULES_PATH = "/api/deposit-rules"
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


def rules(platform_url: str, host: str | None = None) -> dict[str, Any]:
    """The demo consultation's rules; its deadline is two hours from now (a moving demo).

    The upload-test URL names the host the client used (`Host`), so that rules fetched through a
    proxy (bench.netprofile) point back through it, on the origin the rules came from.
    """
    if host and re.fullmatch(r"[A-Za-z0-9.\-]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5}", host):
        platform_url = f"{platform_url.split('://', 1)[0]}://{host}"
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).replace(microsecond=0)
    return {
        "platform": "Plateforme de démonstration",
        "signature_formats": ["PAdES", "XAdES", "CAdES"],
        "extensions": ["pdf", "doc", "docx", "odt", "xls", "xlsx", "ods", "zip", "jpg", "png", "dwg"],
        "max_file_size": 150 << 20,
        "max_total_size": 500 << 20,
        "max_name_length": 100,
        "deadline": deadline.isoformat(),
        "upload_test_url": platform_url.rstrip("/") + PATH,
    }
