"""A platform's side of the pairing protocol (docs/bridge.md, "Association"), as small as it gets:
one-time codes, tokens bound to a device id, a job queue, status reports, and files to download."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class PairingPlatform:
    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.tokens: dict[str, str] = {}  # token -> device id
        self.queue: list[dict[str, Any]] = []
        self.statuses: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, bytes] = {"pli.bin": secrets.token_bytes(200_000)}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        platform = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.send_header(
                    "Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json"
                )
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"null")

            def _device_ok(self) -> bool:
                auth = self.headers.get("Authorization", "")
                token = auth[7:] if auth.startswith("Bearer ") else ""
                with platform.lock:
                    return bool(token) and platform.tokens.get(token) == self.headers.get("X-Assistant-Device")

            def do_POST(self) -> None:
                platform.requests.append(("POST", self.path, dict(self.headers)))
                if self.path == "/assistant/v1/pair":
                    body = self._body()
                    with platform.lock:
                        if body.get("code") not in platform.codes:
                            self._send(403, {"error": "code"})
                            return
                        platform.codes.discard(body["code"])  # single use
                        token = secrets.token_urlsafe(32)
                        platform.tokens[token] = body["device_id"]
                    self._send(200, {"token": token, "poll_path": "/assistant/v1/jobs/next", "interval": 1})
                    return
                if self.path.startswith("/assistant/v1/jobs/") and self.path.endswith("/status"):
                    if not self._device_ok():
                        self._send(401)
                        return
                    ref = self.path.split("/")[4]
                    body = self._body()
                    with platform.changed:
                        platform.statuses.setdefault(ref, []).append(body)
                        platform.changed.notify_all()
                    self._send(204)
                    return
                self._send(404)

            def do_DELETE(self) -> None:
                if self.path == "/assistant/v1/pair" and self._device_ok():
                    with platform.lock:
                        platform.tokens.pop(self.headers["Authorization"][7:], None)
                    self._send(204)
                    return
                self._send(401)

            def do_GET(self) -> None:
                platform.requests.append(("GET", self.path, dict(self.headers)))
                if self.path == "/assistant/v1/jobs/next":
                    if not self._device_ok():
                        self._send(401)
                        return
                    with platform.lock:
                        job = platform.queue.pop(0) if platform.queue else None
                    self._send(200, job) if job else self._send(204)
                    return
                if self.path.startswith("/files/") and self.path[7:] in platform.files:
                    self._send(200, platform.files[self.path[7:]])
                    return
                self._send(404)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def new_code(self) -> str:
        code = secrets.token_hex(4).upper()
        with self.lock:
            self.codes.add(code)
        return code

    def download_descriptor(self, url_origin: str | None = None) -> dict[str, Any]:
        data = self.files["pli.bin"]
        return {
            "version": 1,
            "type": "download",
            "token": "job-token-" + secrets.token_hex(8),
            "params": {
                "consultations": [
                    {
                        "id": "C1",
                        "plis": [
                            {
                                "id": "P1",
                                "envelopes": [
                                    {
                                        "id": "E1",
                                        "files": [
                                            {
                                                "name": "pli.bin",
                                                "url": f"{url_origin or self.url}/files/pli.bin",
                                                "size": len(data),
                                                "sha256": hashlib.sha256(data).hexdigest(),
                                            }
                                        ],
                                    }
                                ],
                            }
                        ],
                    }
                ]
            },
        }

    def enqueue(self, ref: str, descriptor: dict[str, Any]) -> None:
        with self.lock:
            self.queue.append({"id": ref, "descriptor": descriptor})

    def wait_status(self, ref: str, predicate: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
        with self.changed:
            self.changed.wait_for(lambda: any(predicate(s) for s in self.statuses.get(ref, [])), timeout)
            return list(self.statuses.get(ref, []))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
