"""The demo platform server: plays a procurement platform on 127.0.0.1 for the assistant.

It serves the demo consultations' encrypted plis (HTTP/1.1 keep-alive, Range requests, sendfile),
issues job descriptors (docs/protocol.md) with a bearer token made for each job, stores what the
assistant uploads (so tests compare bytes), counts the bytes it served per file, and, when started
with test hooks, injects faults: connections dropped mid-body, corrupted bodies, throttling and
transient 503s. `assistant demo` runs it in the foreground; `assistant run --demo` embeds it.

Plain HTTP by default (the assistant accepts it from loopback in demo and test mode only); with
`tls=True` (`assistant demo --tls`) it serves HTTPS with a certificate from a CA made at start
(assistant.demo.tls), as real platforms do, and every URL it hands out is https.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from assistant import PROTOCOL_VERSION, paths
from assistant.demo import bigbid, tuf_repository, upload_test
from assistant.demo.content import Catalog, ContentSpec, build_content, build_sign_files
from assistant.demo.material import DemoMaterial, ensure_material
from assistant.demo.pull import PullSide
from assistant.demo.tls import DemoTls, make_tls

log = logging.getLogger(__name__)

PLATFORM_NAME = "Plateforme de démonstration"
STATIC = Path(__file__).parent / "static"
#: The bridge's JavaScript client (bridge engineer's file), served to the demo page as /js/...
JS_CANDIDATES = [
    Path(__file__).resolve().parents[2] / "resources" / "js",
    Path(__file__).resolve().parents[1] / "resources" / "js",
]
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
SEND_CHUNK = 256 * 1024
#: Uploads (the online opening's decrypted envelopes) are streamed to disk in these pieces, and
#: refused above UPLOAD_LIMIT.
UPLOAD_BLOCK = 1 << 20
UPLOAD_LIMIT = 2 << 30
#: A client that opens a TCP connection and never completes the TLS handshake gives up its thread
#: after this long.
HANDSHAKE_TIMEOUT = 10.0


class Faults:
    """Test hooks (only with `test_hooks=True`): what to break on the next requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.drop_after: int | None = None
        self.drop_count = 0
        self.corrupt: dict[str, int] = {}
        self.rate = 0
        self.fail_status = 0
        self.fail_count = 0
        self.upload_delay = 0.0
        self.latency = 0.0

    def update(self, data: dict[str, Any]) -> None:
        with self.lock:
            if "drop_after" in data:
                self.drop_after = data["drop_after"]
                self.drop_count = int(data.get("drop_count", 1))
            for rel in data.get("corrupt", []):
                self.corrupt[rel] = int(data.get("corrupt_count", 1))
            if "rate" in data:
                self.rate = int(data["rate"])
            if "latency" in data:
                self.latency = float(data["latency"])
            if "upload_delay" in data:
                self.upload_delay = float(data["upload_delay"])
            if "fail_status" in data:
                self.fail_status = int(data["fail_status"])
                self.fail_count = int(data.get("fail_count", 1))

    def take_drop(self) -> int | None:
        with self.lock:
            if self.drop_after is not None and self.drop_count > 0:
                self.drop_count -= 1
                return self.drop_after
            return None

    def take_corrupt(self, rel: str) -> bool:
        with self.lock:
            left = self.corrupt.get(rel, 0)
            if left > 0:
                self.corrupt[rel] = left - 1
                return True
            return False

    def take_fail(self) -> int:
        with self.lock:
            if self.fail_count > 0:
                self.fail_count -= 1
                return self.fail_status
            return 0


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.served: dict[str, int] = defaultdict(int)
        self.requests: dict[str, int] = defaultdict(int)
        self.ranges: dict[str, list[int]] = defaultdict(list)
        self.uploads: dict[str, dict[str, Any]] = {}
        self.upload_counts: dict[str, int] = defaultdict(int)
        #: file requests refused for their token (HTTP 401): how hard a client insists
        self.refused: dict[str, int] = defaultdict(int)

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "served": dict(self.served),
                "requests": dict(self.requests),
                "ranges": {k: list(v) for k, v in self.ranges.items()},
                "uploads": dict(self.uploads),
                "upload_counts": dict(self.upload_counts),
                "refused": dict(self.refused),
            }

    def reset(self) -> None:
        with self.lock:
            self.served.clear()
            self.requests.clear()
            self.ranges.clear()
            self.uploads.clear()
            self.upload_counts.clear()


class DemoPlatform:
    """`DemoPlatform(port=0).start()`, then `.url`; `.stop()` at the end."""

    def __init__(
        self,
        port: int = 0,
        data_dir: Path | None = None,
        *,
        host: str = "127.0.0.1",
        spec: ContentSpec | None = None,
        recipient_cert: Path | None = None,
        test_hooks: bool = False,
        seed_credentials: bool = True,
        tls: bool = False,
    ) -> None:
        self.host = host
        #: With TLS on: the server context and the CA certificate to trust (made in `start`).
        self.tls_enabled = tls
        self.tls: DemoTls | None = None
        self.seed_credentials = seed_credentials
        self.port = port
        self.data_dir = Path(data_dir) if data_dir else paths.data_dir() / "demo-platform"
        self.spec = spec or ContentSpec()
        self.recipient_cert = recipient_cert
        self.test_hooks = test_hooks
        self.faults = Faults()
        self.stats = Stats()
        self.material: DemoMaterial | None = None
        self.catalog: Catalog | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._secret = b""
        self._root: Path | None = None
        self.seeded: list[str] = []
        self.pull = PullSide()  # pairing and queued jobs for the pull mode (assistant/demo/pull.py)

    # -- lifecycle ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create key material and content (idempotent), and scan the catalog."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.material = ensure_material(self.data_dir / "keys")
        recipient = self.recipient_cert or self.material.bicle_cert
        build_content(self.data_dir, recipient, self.spec)
        build_sign_files(self.data_dir)
        (self.data_dir / "uploads").mkdir(exist_ok=True)
        secret_file = self.data_dir / "keys" / "token-secret"
        if not secret_file.exists():
            fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        self._secret = secret_file.read_bytes()
        self.catalog = Catalog(self.data_dir)

    def start(self) -> DemoPlatform:
        self.prepare()
        if self.seed_credentials:
            try:
                self.seeded = self.seed_assistant_credentials()
            except Exception:  # the demo still serves; the UI will show an empty vault
                log.exception("could not seed the demo credentials into the vault")
        os.environ.setdefault("ASSISTANT_DEMO", "1")  # this process talks plain HTTP to loopback
        platform = self

        class Handler(_Handler):
            demo = platform

        server: ThreadingHTTPServer
        if self.tls_enabled:
            if self.tls is None:
                self.tls = make_tls()
            server = _TlsServer((self.host, self.port), Handler)
            server.tls_context = self.tls.context
        else:
            server = _Server((self.host, self.port), Handler)
        server.daemon_threads = True
        server.request_queue_size = 128
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="demo-platform", daemon=True)
        self._thread.start()
        log.info("demo platform on %s", self.url)
        return self

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_enabled else 'http'}://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve_forever(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def seed_assistant_credentials(self) -> list[str]:
        """Put the demo bi-clé and demo signer in the assistant's software vault (idempotent).

        For `assistant run --demo`: the whole loop (sign, open) works without a card. The vault
        password is the demo one, remembered in the OS keyring where one is available (else the
        window asks for it; the demo page shows it).
        """
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import pkcs12

        from assistant.demo.material import DEMO_P12_PASSWORD
        from assistant.keystores.vault import safe_file_name, save_to_vault, vault_dir

        if self.material is None:
            self.prepare()
        assert self.material is not None
        seeded = []
        for name, source in (("Démo Acheteur", self.material.bicle_p12), ("Démo Signataire", self.material.signer_p12)):
            if (vault_dir() / f"{safe_file_name(name)}.p12").exists():
                continue
            key, cert, _chain = pkcs12.load_key_and_certificates(source.read_bytes(), DEMO_P12_PASSWORD.encode())
            if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
                continue
            save_to_vault(name, key, cert, DEMO_P12_PASSWORD, remember=True)
            seeded.append(name)
        return seeded

    # -- tokens --------------------------------------------------------------------------------

    def issue_token(self) -> str:
        nonce = secrets.token_urlsafe(18)
        mac = hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{nonce}.{mac}"

    def token_valid(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        nonce, _, mac = header[7:].strip().partition(".")
        expected = hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]
        return bool(nonce) and hmac.compare_digest(mac, expected)

    # -- descriptors ---------------------------------------------------------------------------

    def _file_entry(self, info: dict[str, Any], *, upload_prefix: str | None = None) -> dict[str, Any]:
        rel = info["rel"]
        entry = {
            "name": info["name"],
            "url": f"{self.url}/files/{quote(rel)}",
            "size": info["size"],
            "sha256": info["sha256"],
        }
        if upload_prefix is not None:
            target = rel.split("/", 1)[1]
            if target.endswith(".p7m"):
                target = target[:-4]
            entry["upload_url"] = f"{self.url}/uploads/{upload_prefix}/{quote(target)}"
        return entry

    def _consultation(self, item: dict[str, Any], *, upload_prefix: str | None = None) -> dict[str, Any]:
        return {
            "id": item["id"],
            "label": item["label"],
            "plis": [
                {
                    "id": pli["id"],
                    "company": pli["company"],
                    "envelopes": [
                        {
                            "id": env["id"],
                            "kind": env["kind"],
                            "label": env["label"],
                            "files": [self._file_entry(f, upload_prefix=upload_prefix) for f in env["files"]],
                        }
                        for env in pli["envelopes"]
                    ],
                }
                for pli in item["plis"]
            ],
        }

    def descriptor(self, kind: str, query: dict[str, list[str]]) -> dict[str, Any]:
        assert self.catalog is not None
        self.catalog = Catalog(self.data_dir)  # pick up files added since the start (benchmarks)
        wanted = query.get("consultation") or [c["id"] for c in self.catalog.consultations]
        items = [c for c in self.catalog.consultations if c["id"] in wanted]
        base: dict[str, Any] = {
            "version": PROTOCOL_VERSION,
            "type": kind,
            "platform": PLATFORM_NAME,
            "token": self.issue_token(),
        }
        if kind == "download":
            base["label"] = "Téléchargement des plis chiffrés"
            base["params"] = {"consultations": [self._consultation(c) for c in items]}
        elif kind == "open":
            item = items[0]
            base["label"] = f"Ouverture en ligne — {item['id']}"
            base["params"] = {"consultation": self._consultation(item, upload_prefix="ouverture")}
        elif kind == "sign":
            fmt = (query.get("format") or ["pades"])[0]
            files = []
            for path in sorted((self.data_dir / "sign").iterdir()):
                if fmt == "pades" and path.suffix != ".pdf":
                    continue
                info = Catalog.file_info(self.catalog, path)
                entry = self._file_entry(info)
                entry["upload_url"] = f"{self.url}/uploads/signatures/{quote(path.name)}"
                files.append(entry)
            base["label"] = "Signature électronique"
            base["params"] = {"files": files, "format": fmt, "level": "B-B"}
        elif kind == "verify":
            files = []
            for path in sorted((self.data_dir / "uploads" / "signatures").glob("*")):
                files.append(self._file_entry(Catalog.file_info(self.catalog, path)))
            base["label"] = "Vérification de signature"
            base["params"] = {
                "files": files
                or [self._file_entry(Catalog.file_info(self.catalog, next((self.data_dir / "sign").glob("*.pdf"))))]
            }
        elif kind == "keygen":
            base["label"] = "Création d'un bi-clé de chiffrement"
            stamp = time.strftime("%Y%m%d-%H%M%S")
            base["params"] = {
                "name": f"Démo Acheteur {stamp}",
                "upload_url": f"{self.url}/uploads/bicle/certificat.cer",
            }
        elif kind == "prepare":
            base["label"] = "Préparer mon dépôt"
            base["params"] = {"deposit_rules": upload_test.rules(self.url)}
        elif kind == "diagnose":
            base["label"] = "Test de la configuration utilisateur"
            base["params"] = {"platform_url": f"{self.url}/"}
        else:
            raise KeyError(kind)
        return base

    def resolve_file(self, rel: str) -> Path | None:
        """A served file by its relative path, refusing anything outside the served folders."""
        rel = unquote(rel)
        if not (rel.startswith(("consultations/", "sign/", "uploads/", "bigbid/"))):
            return None
        root = self._root or self.data_dir.resolve()
        self._root = root  # resolved once: a realpath per request costs more than a small file's transfer
        candidate = (root / rel).resolve()
        if root not in candidate.parents or not candidate.is_file():
            return None
        return candidate


class _Server(ThreadingHTTPServer):
    """The demo's HTTP server: a client that goes away mid-request (a reset, a cancelled job, a
    network profile's cut) is one log line, not a traceback on stderr per connection."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError | ssl.SSLError):
            log.info("demo: connection from %s ended: %s", client_address[0], exc)
            return
        super().handle_error(request, client_address)


class _TlsServer(_Server):
    """The same server over TLS. The handshake runs in the connection's own thread (not in the
    accept loop), so a slow or silent client never holds up the others."""

    tls_context: ssl.SSLContext

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(HANDSHAKE_TIMEOUT)
            connection = self.tls_context.wrap_socket(request, server_side=True)
            connection.settimeout(None)
        except (ssl.SSLError, OSError) as exc:  # not TLS, an untrusting client, a reset
            log.debug("demo TLS handshake failed: %s", exc)
            return
        handler: Any = self.RequestHandlerClass
        try:
            handler(connection, client_address, self)
        finally:
            # wrap_socket took over the descriptor: the server's own shutdown_request no longer
            # reaches it. No close_notify wait (a client may never send one).
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_WR)
            connection.close()


class _Handler(BaseHTTPRequestHandler):
    demo: DemoPlatform
    protocol_version = "HTTP/1.1"
    server_version = "DemoPlatform/1"
    #: Headers and body go out as separate writes: with Nagle on, the body can wait for the ACK of
    #: the headers (delayed-ACK stalls of milliseconds per request on keep-alive connections).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet; never logs headers (token)
        log.debug("demo %s %s", self.command, self.path.split("?")[0])

    # -- helpers -------------------------------------------------------------------------------

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _static(self, name: str) -> None:
        path = (STATIC / name).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file():
            self._json(404, {"error": "not found"})
            return
        data = path.read_bytes()
        if name.endswith(".html"):
            data = data.replace(b"{{PLATFORM_URL}}", self.demo.url.encode())
        types = {
            ".html": "text/html; charset=utf-8",
            ".js": "text/javascript; charset=utf-8",
            ".css": "text/css; charset=utf-8",
        }
        self.send_response(200)
        self.send_header("Content-Type", types.get(path.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _client_js(self) -> None:
        for folder in JS_CANDIDATES:
            path = folder / "assistant-client.js"
            if path.is_file():
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)
                return
        self._json(404, {"error": "client JavaScript introuvable"})

    # -- GET ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self.demo.pull.dispatch(self, self.demo.url):
            return
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path.startswith("/api/bigbid/") and bigbid.handle(self, path, query):  # the big consultation, made on demand
            return
        if path in ("/", "/index.html"):
            self._static("index.html")
        elif path.startswith("/static/"):
            self._static(path[len("/static/") :])
        elif path == "/js/assistant-client.js":
            self._client_js()
        elif path == "/api/consultations":
            assert self.demo.catalog is not None
            self._json(
                200,
                [{"id": c["id"], "label": c["label"], "plis": len(c["plis"])} for c in self.demo.catalog.consultations],
            )
        elif path.startswith("/api/descriptors/"):
            try:
                self._json(200, self.demo.descriptor(path.rsplit("/", 1)[1], query))
            except (KeyError, IndexError, StopIteration):
                self._json(404, {"error": "unknown descriptor"})
        elif path == "/api/stats":
            self._json(200, self.demo.stats.to_dict())
        elif path == upload_test.RULES_PATH:
            self._json(200, upload_test.rules(self.demo.url, self.headers.get("Host")))
        elif path == "/api/info":
            assert self.demo.material is not None
            self._json(
                200,
                {
                    "name": PLATFORM_NAME,
                    "url": self.demo.url,
                    "bicle_certificate": self.demo.material.bicle_cert.read_text(),
                },
            )
        elif path.startswith("/files/"):
            self._serve_file(path[len("/files/") :])
        elif path.startswith(tuf_repository.PREFIX):
            tuf_repository.serve(self, self.demo.data_dir, path)
        else:
            self._json(404, {"error": "not found"})

    def _serve_file(self, rel: str) -> None:
        if not self.demo.token_valid(self.headers.get("Authorization")):
            with self.demo.stats.lock:
                self.demo.stats.refused[rel] += 1
            self._json(401, {"error": "jeton invalide"})
            return
        if self.demo.test_hooks and self.demo.faults.latency:
            time.sleep(self.demo.faults.latency)  # a platform far away: each request waits one RTT
        status = self.demo.faults.take_fail() if self.demo.test_hooks else 0
        if status:
            self._json(status, {"error": "panne simulée"})
            return
        file = self.demo.resolve_file(rel)
        if file is None:
            self._json(404, {"error": "fichier inconnu"})
            return
        rel = unquote(rel)
        size = file.stat().st_size
        start, end = 0, size - 1
        header = self.headers.get("Range")
        partial = False
        if header:
            match = _RANGE.match(header.strip())
            if not match or int(match.group(1)) >= size:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = int(match.group(1))
            end = min(size - 1, int(match.group(2))) if match.group(2) else size - 1
            partial = True
        length = end - start + 1
        self.send_response(206 if partial else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        if partial:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        hooks = self.demo.test_hooks
        drop = self.demo.faults.take_drop() if hooks else None
        corrupt = self.demo.faults.take_corrupt(rel) if hooks else False
        rate = self.demo.faults.rate if hooks else 0
        with self.demo.stats.lock:
            self.demo.stats.requests[rel] += 1
            self.demo.stats.ranges[rel].append(start)
        sent = 0
        try:
            with file.open("rb") as fh:
                if drop is None and not corrupt and not rate and not isinstance(self.connection, ssl.SSLSocket):
                    sent = self.connection.sendfile(fh, start, length)
                elif drop is None and not corrupt and not rate:
                    sent = self._send_tls(fh, start, length)
                else:
                    sent = self._send_slowly(fh, start, length, drop, corrupt, rate)
        except OSError:
            self.close_connection = True
        finally:
            with self.demo.stats.lock:
                self.demo.stats.served[rel] += sent

    def _send_tls(self, fh: Any, start: int, length: int) -> int:
        """Over TLS there is no sendfile (the socket's fallback reads 8 KiB at a time, which
        made the server the bottleneck of a 1 GB transfer): large reads into one reused buffer."""
        fh.seek(start)
        buffer = memoryview(bytearray(min(SEND_CHUNK * 4, max(length, 1))))
        sent = 0
        while sent < length:
            n = fh.readinto(buffer[: min(len(buffer), length - sent)])
            if not n:
                break
            self.connection.sendall(buffer[:n])
            sent += n
        return sent

    def _send_slowly(self, fh: Any, start: int, length: int, drop: int | None, corrupt: bool, rate: int) -> int:
        fh.seek(start)
        sent = 0
        limit = length if drop is None else min(length, drop)
        chunk = min(SEND_CHUNK, max(4096, rate // 20)) if rate else SEND_CHUNK
        began = time.monotonic()
        while sent < limit:
            block = fh.read(min(chunk, limit - sent))
            if not block:
                break
            if corrupt and sent == 0:
                block = bytes([block[0] ^ 0xFF]) + block[1:]
            self.connection.sendall(block)
            sent += len(block)
            if rate:
                ahead = sent / rate - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)
        if drop is not None and sent < length:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        return sent

    # -- PUT / POST --------------------------------------------------------------------------

    def _read_body(self, limit: int = 1 << 31) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        if length < 0 or length > limit:
            return None
        return self.rfile.read(length)

    def do_PUT(self) -> None:
        path = urlsplit(self.path).path
        if path == upload_test.PATH:
            upload_test.handle(self)
            return
        if not path.startswith("/uploads/"):
            self._json(404, {"error": "not found"})
            return
        if not self.demo.token_valid(self.headers.get("Authorization")):
            self._json(401, {"error": "jeton invalide"})
            return
        rel = unquote(path[len("/uploads/") :])
        target = (self.demo.data_dir / "uploads" / rel).resolve()
        root = (self.demo.data_dir / "uploads").resolve()
        if root not in target.parents:
            self._json(400, {"error": "chemin refusé"})
            return
        try:
            length = int(self.headers.get("Content-Length", "-1"))
        except ValueError:
            length = -1
        if not 0 <= length <= UPLOAD_LIMIT:
            self.close_connection = True  # the body (if any) is not read: the connection is spent
            self._json(413 if length > UPLOAD_LIMIT else 400, {"error": "corps invalide ou trop grand"})
            return
        if self.demo.test_hooks and self.demo.faults.upload_delay:
            time.sleep(self.demo.faults.upload_delay)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = self._receive_into(target, length)
        if digest is None:
            return
        with self.demo.stats.lock:
            self.demo.stats.uploads[rel] = {"size": length, "sha256": digest}
            self.demo.stats.upload_counts[rel] += 1
        self._json(201, {"received": length, "sha256": digest})

    def _receive_into(self, target: Path, length: int) -> str | None:
        """Stream a `length`-byte body into `target`, hashing it as it arrives, in UPLOAD_BLOCK
        pieces (a 2 GB envelope is never held in memory); the SHA-256, or None when the client
        stopped sending early (one log line, nothing left on disk, the connection closed)."""
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        tmp = Path(name)
        digest = hashlib.sha256()
        left = length
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    while left:
                        block = self.rfile.read(min(UPLOAD_BLOCK, left))
                        if not block:
                            break
                        digest.update(block)
                        out.write(block)
                        left -= len(block)
                except (ConnectionError, TimeoutError) as exc:
                    log.info("demo upload of %s cut after %d of %d bytes: %s", target.name, length - left, length, exc)
                    self.close_connection = True
                    return None
            if left:
                log.info("demo upload of %s ended after %d of %d bytes", target.name, length - left, length)
                self.close_connection = True
                return None
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return digest.hexdigest()

    def do_DELETE(self) -> None:
        if not self.demo.pull.dispatch(self, self.demo.url):
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.demo.pull.dispatch(self, self.demo.url):
            return
        path = urlsplit(self.path).path
        if path.startswith("/uploads/") or path == upload_test.PATH:
            self.do_PUT()
            return
        if not self.demo.test_hooks or not path.startswith("/api/test/"):
            self._json(404, {"error": "not found"})
            return
        body = self._read_body(1 << 20) or b"{}"
        if path == "/api/test/faults":
            self.demo.faults.update(json.loads(body))
            self._json(200, {"ok": True})
        elif path == "/api/test/reset":
            self.demo.stats.reset()
            self._json(200, {"ok": True})
        else:
            self._json(404, {"error": "not found"})
