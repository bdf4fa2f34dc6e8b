"""The demo platform's side of the pull mode ("Association"): every job without the local bridge.

When the browser cannot reach 127.0.0.1 (Local Network Access refused, Safari, a policy), the
assistant is paired with the platform once and polls it over HTTPS for the jobs the page queued
(protocol: docs/bridge.md, "Pairing"). This module is that platform side, for the demo and as a
reference for real platforms:

- for the assistant: `POST /assistant/v1/pair` (one-time code -> token bound to the device id),
  `GET /assistant/v1/jobs/next` (204, or the next job), `POST /assistant/v1/jobs/{id}/status`,
  `DELETE /assistant/v1/pair`; every call but the first carries `Authorization: Bearer` and
  `X-Assistant-Device`, both checked;
- for the page (same origin): `POST /api/pull/code` (a code and the command to pair),
  `GET /api/pull/status` (paired?), `POST /api/pull/jobs` (the same descriptor a page would send
  the bridge; 202 `{id}`), `GET /api/pull/jobs/{id}` (the job as the assistant last reported it).

Tokens are kept as SHA-256 hashes; codes are single use and live 10 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

CODE_SECONDS = 600.0
POLL_INTERVAL = 1
_JOB_STATUS = re.compile(r"^/assistant/v1/jobs/([A-Za-z0-9_-]{1,64})/status$")
_PAGE_JOB = re.compile(r"^/api/pull/jobs/([A-Za-z0-9_-]{1,64})$")
MAX_BODY = 1 << 20


class _Handler(Protocol):
    command: str
    path: str
    headers: Any
    rfile: Any

    def _json(self, status: int, body: Any) -> None: ...

    def send_response(self, code: int, message: str | None = None) -> None: ...

    def send_header(self, keyword: str, value: str) -> None: ...

    def end_headers(self) -> None: ...


@dataclass
class _PulledJob:
    ref: str
    descriptor: dict[str, Any]
    device: str | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)


class PullSide:
    """Pairing codes, paired devices and the queue of jobs waiting for the assistant to pull them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, float] = {}
        self._devices: dict[str, str] = {}  # sha256(token) -> device id
        self._queue: list[str] = []
        self._jobs: dict[str, _PulledJob] = {}

    # -- state ---------------------------------------------------------------------------------

    def new_code(self) -> str:
        code = f"{secrets.randbelow(10**4):04d}-{secrets.randbelow(10**4):04d}"
        with self._lock:
            now = time.monotonic()
            self._codes = {c: t for c, t in self._codes.items() if now - t < CODE_SECONDS}
            self._codes[code] = now
        return code

    def paired(self) -> int:
        with self._lock:
            return len(self._devices)

    def queue(self, descriptor: dict[str, Any]) -> str:
        ref = secrets.token_urlsafe(12)
        with self._lock:
            self._jobs[ref] = _PulledJob(ref, descriptor)
            self._queue.append(ref)
        return ref

    def _device(self, handler: _Handler) -> str | None:
        header = handler.headers.get("Authorization") or ""
        device = handler.headers.get("X-Assistant-Device") or ""
        if not header.startswith("Bearer "):
            return None
        digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()
        with self._lock:
            known = self._devices.get(digest)
        return known if known is not None and hmac.compare_digest(known, device) else None

    # -- HTTP ----------------------------------------------------------------------------------

    def dispatch(self, handler: _Handler, platform_url: str) -> bool:
        """Answer the request if it is one of this module's; False when it is not."""
        path = urlsplit(handler.path).path
        if not (path.startswith("/assistant/v1/") or path.startswith("/api/pull/")):
            return False
        method = handler.command
        if path == "/assistant/v1/pair" and method == "POST":
            self._pair(handler)
        elif path == "/assistant/v1/pair" and method == "DELETE":
            self._unpair(handler)
        elif path == "/assistant/v1/jobs/next" and method == "GET":
            self._next(handler)
        elif (match := _JOB_STATUS.match(path)) and method == "POST":
            self._status(handler, match.group(1))
        elif path == "/api/pull/code" and method == "POST":
            code = self.new_code()
            handler._json(
                200,
                {
                    "code": code,
                    "expires_in": int(CODE_SECONDS),
                    "command": f"assistant bridge pair {platform_url} {code}",
                },
            )
        elif path == "/api/pull/status" and method == "GET":
            handler._json(200, {"paired": self.paired() > 0, "devices": self.paired()})
        elif path == "/api/pull/jobs" and method == "POST":
            body = _body(handler)
            if not isinstance(body, dict):
                handler._json(400, {"error": "descripteur attendu"})
            else:
                handler._json(202, {"id": self.queue(body), "state": "queued"})
        elif (match := _PAGE_JOB.match(path)) and method == "GET":
            with self._lock:
                job = self._jobs.get(match.group(1))
                reports = list(job.reports) if job is not None else []
                picked = job is not None and job.device is not None
            if job is None:
                handler._json(404, {"error": "traitement inconnu"})
            else:
                last = reports[-1] if reports else {"state": "queued"}
                handler._json(200, {"id": job.ref, "picked": picked, "job": last})
        else:
            handler._json(404, {"error": "not found"})
        return True

    def _pair(self, handler: _Handler) -> None:
        body = _body(handler)
        code = body.get("code") if isinstance(body, dict) else None
        device = body.get("device_id") if isinstance(body, dict) else None
        now = time.monotonic()
        with self._lock:
            issued = self._codes.pop(code, None) if isinstance(code, str) else None
        if issued is None or now - issued > CODE_SECONDS or not isinstance(device, str) or not device:
            handler._json(403, {"error": "code refusé"})
            return
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._devices[hashlib.sha256(token.encode()).hexdigest()] = device
        handler._json(200, {"token": token, "poll_path": "/assistant/v1/jobs/next", "interval": POLL_INTERVAL})

    def _unpair(self, handler: _Handler) -> None:
        if self._device(handler) is None:
            handler._json(401, {"error": "appareil inconnu"})
            return
        digest = hashlib.sha256((handler.headers.get("Authorization") or "")[7:].strip().encode()).hexdigest()
        with self._lock:
            self._devices.pop(digest, None)
        handler._json(200, {"unpaired": True})

    def _next(self, handler: _Handler) -> None:
        device = self._device(handler)
        if device is None:
            handler._json(401, {"error": "appareil inconnu"})
            return
        with self._lock:
            ref = self._queue.pop(0) if self._queue else None
            job = self._jobs.get(ref) if ref else None
            if job is not None:
                job.device = device
        if job is None:
            handler.send_response(204)  # nothing queued; no body, the connection stays usable
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler._json(200, {"id": job.ref, "descriptor": job.descriptor})

    def _status(self, handler: _Handler, ref: str) -> None:
        device = self._device(handler)
        body = _body(handler)
        with self._lock:
            job = self._jobs.get(ref)
            if device is None or job is None or job.device != device or not isinstance(body, dict):
                job = None
            else:
                job.reports.append(body)
                del job.reports[:-50]
        handler._json(200 if job is not None else 404, {"ok": job is not None})


def _body(handler: _Handler) -> Any:
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        return None
    if length <= 0 or length > MAX_BODY:
        return None
    try:
        return json.loads(handler.rfile.read(length))
    except ValueError:
        return None
