"""API v1 of the bridge: routing, the checks in their fixed order, and the JSON answers.

This module knows nothing about sockets: `BridgeApi.handle` takes a parsed `Request` and returns a
`Response` (or a streaming one for server-sent events), so every rule here is testable directly and
the HTTP server (`assistant.bridge.server`) stays a thin shell.

Order of the checks, before any work: Host (DNS rebinding) -> Origin (approved platforms only;
GET /v1/status and the connection steps /v1/access are the exceptions) -> the page's access key
(assistant.bridge.access: the bridge serves only its own user's pages) -> rate limit -> body (size,
strict JSON) -> the job engine's own strict validation of the descriptor (unknown fields, wrong
types, URLs outside the origin).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

from assistant import APP_NAME, PROTOCOL_VERSION, __version__
from assistant.bridge.access import (
    CLAIM_PATTERN,
    CLAIM_SECONDS,
    NONCE_PATTERN,
    AccessStore,
    ClaimOutcome,
    Claims,
)
from assistant.bridge.errors import BridgeCode
from assistant.bridge.guards import (
    BridgeError,
    RateLimiter,
    check_body_length,
    check_content_type,
    check_host,
    cors_headers,
    invalid_field,
    normalize_origin,
    parse_json_object,
    preflight_headers,
)
from assistant.bridge.origins import ConsentPrompter, OriginRegistry
from assistant.errors import AssistantError, Code
from assistant.i18n import M_
from assistant.jobs.errors import JobCode
from assistant.jobs.model import JobType

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Concurrent event streams one origin may hold open.
MAX_STREAMS_PER_ORIGIN = 16
#: Seconds between keep-alive comments on an event stream.
HEARTBEAT_SECONDS = 15.0
#: The job types a page may ask for (jobs.model.JOB_KINDS, the one table).
CAPABILITIES = tuple(job_type.value for job_type in JobType)


class EngineLike(Protocol):
    """The part of `assistant.jobs.engine.JobEngine` the bridge uses (docs/architecture.md, "The typed flow of one job")."""

    def submit(self, descriptor: Mapping[str, Any], origin: str) -> Any: ...

    def get(self, job_id: str) -> Any: ...

    def jobs(self, origin: str | None = None) -> list[Any]: ...

    def cancel(self, job_id: str) -> bool: ...

    def subscribe(self, listener: Callable[[Any], None]) -> Callable[[], None]: ...


@dataclass
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    port: int
    read_body: Callable[[int], bytes] = lambda n: b""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: For server-sent events: yields chunks to write until the stream ends.
    stream: Iterator[bytes] | None = None


def openapi_document() -> bytes:
    """The OpenAPI document, one file in the package (docs/bridge-openapi.json is a copy, tested)."""
    return resources.files("assistant.bridge").joinpath("openapi.json").read_bytes()


def _json(status: int, value: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    base = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}
    base.update(headers or {})
    return Response(status, body, base)


def error_response(exc: BridgeError, extra_headers: Mapping[str, str] | None = None) -> Response:
    headers = dict(exc.headers)
    headers.update(extra_headers or {})
    return _json(exc.status, exc.to_dict(), headers)


def _access_refused() -> BridgeError:
    return BridgeError(
        403,
        BridgeCode.ACCESS_REFUSED,
        M_("L'utilisateur n'a pas autorisé cette page à utiliser l'assistant."),
    )


def _not_found() -> BridgeError:
    return BridgeError(404, BridgeCode.NOT_FOUND, M_("Ressource introuvable."))


def _method_not_allowed(allowed: str) -> BridgeError:
    return BridgeError(405, BridgeCode.METHOD_NOT_ALLOWED, M_("Méthode non autorisée."), headers={"Allow": allowed})


class BridgeApi:
    def __init__(
        self,
        engine: EngineLike,
        registry: OriginRegistry,
        prompter: ConsentPrompter | None,
        *,
        limiter: RateLimiter | None = None,
        settings: Any = None,
        stopping: threading.Event | None = None,
        state: Callable[[], str] = lambda: "ready",
        access: AccessStore | None = None,
        fingerprint: Callable[[], str] = lambda: "",
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.prompter = prompter
        self.limiter = limiter or RateLimiter()
        self.settings = settings
        self.stopping = stopping or threading.Event()
        self.state = state
        self.access = access or AccessStore()
        self.claims = Claims()
        self.fingerprint = fingerprint
        self._streams: dict[str, int] = {}
        self._streams_lock = threading.Lock()

    # -- entry point ------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        origin: str | None = None
        try:
            check_host(request.header("Host"), request.port)
            path = request.path.split("?", 1)[0]
            method = request.method.upper()
            if method == "GET" and path == "/v1/status":
                return self._status(request)
            if path == "/v1/access" or path.startswith("/v1/access/"):
                origin = self._canonical_origin(request)
                return self._access(method, path, origin, request)
            origin = self._approved_origin(request)
            if method == "OPTIONS":
                return Response(204, b"", preflight_headers(origin, request.headers))
            self._check_key(origin, request)
            return self._route(method, path, origin, request)
        except BridgeError as exc:
            cors = cors_headers(origin) if origin else {}
            return error_response(exc, cors)
        except Exception:
            log.exception("bridge: unexpected error")
            cors = cors_headers(origin) if origin else {}
            return error_response(BridgeError(500, Code.INTERNAL, M_("Erreur interne de l'assistant.")), cors)

    # -- checks -----------------------------------------------------------------------------

    def _canonical_origin(self, request: Request) -> str:
        raw = request.header("Origin")
        if raw is None:
            raise BridgeError(
                403,
                BridgeCode.ORIGIN_REQUIRED,
                M_("Requête refusée : l'origine de la page est inconnue."),
            )
        origin = normalize_origin(raw)
        if origin is None or raw.strip() != origin:
            raise BridgeError(
                403,
                BridgeCode.ORIGIN_REFUSED,
                M_("Requête refusée : cette page ne peut pas utiliser l'assistant."),
            )
        return origin

    def _approved_origin(self, request: Request) -> str:
        origin = self._canonical_origin(request)
        if not self.registry.is_approved(origin):
            raise BridgeError(
                403,
                BridgeCode.ORIGIN_NOT_APPROVED,
                M_(
                    "La plateforme {origin} n'est pas autorisée à utiliser l'assistant : connectez cette page à l'assistant (bouton « Connecter l'assistant »).",
                    origin=origin,
                ),
            )
        return origin

    def _check_key(self, origin: str, request: Request) -> None:
        """Every call but the status and the connection steps carries the page's access key."""
        header = request.header("Authorization") or ""
        scheme, _, key = header.strip().partition(" ")
        if not header or scheme.lower() != "bearer":
            raise BridgeError(
                401,
                BridgeCode.ACCESS_REQUIRED,
                M_("Cette page n'est pas connectée à l'assistant : connectez-la (bouton « Connecter l'assistant »)."),
                headers={"WWW-Authenticate": 'Bearer realm="assistant"'},
            )
        if not self.access.verify(origin, key.strip()):
            raise BridgeError(
                401,
                BridgeCode.ACCESS_REFUSED,
                M_(
                    "La clé d'accès de cette page n'est pas (ou plus) valable : connectez de nouveau la page à l'assistant."
                ),
                headers={"WWW-Authenticate": 'Bearer realm="assistant", error="invalid_token"'},
            )

    # -- connecting a page (assistant.bridge.access) ------------------------------------------

    def _access(self, method: str, path: str, origin: str, request: Request) -> Response:
        cors = cors_headers(origin)
        if method == "OPTIONS":
            headers = preflight_headers(origin, request.headers)
            headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            return Response(204, b"", headers)
        self._only(method, "POST")
        self.limiter.check(origin, "refused")
        rest = path[len("/v1/access") :].strip("/")
        if not rest:
            self._read_empty_object(request)
            return self._open_claim(origin)
        if not CLAIM_PATTERN.match(rest):
            raise _not_found()
        body = self._read_body(request)
        for key in body:
            if key != "code":
                raise invalid_field(key, M_("Champ inconnu : « {key} ».", key=key))
        code = body.get("code")
        if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) != 6:
            raise invalid_field("code", M_("Le code doit compter 6 chiffres."))
        outcome = self.claims.redeem(rest, origin, code)
        if outcome == ClaimOutcome.PENDING:
            return _json(202, {"state": "pending"}, cors)
        if outcome == ClaimOutcome.GRANTED:
            key = self.access.issue(origin)
            log.info("bridge: a page of %s was connected", origin)
            answer = {
                "state": "granted",
                "key": key,
                "origin": origin,
                "ca_fingerprint_sha256": self.fingerprint(),
            }
            return _json(200, answer, cors)
        if outcome == ClaimOutcome.WRONG_CODE:
            raise BridgeError(
                403,
                BridgeCode.ACCESS_CODE_WRONG,
                M_("Code incorrect : saisissez le code à 6 chiffres affiché par l'assistant."),
            )
        if outcome == ClaimOutcome.REFUSED:
            raise _access_refused()
        raise _not_found()

    def _open_claim(self, origin: str) -> Response:
        if self.prompter is None:
            raise _access_refused()
        why = self.prompter.why_not(origin)
        if why == "refused":
            raise _access_refused()
        if why == "budget":
            raise BridgeError(
                429,
                BridgeCode.QUESTION_BUDGET,
                M_("Trop de demandes de connexion pour ce site : réessayez dans une heure."),
                headers={"Retry-After": "3600"},
            )
        claim = self.claims.open(origin)
        started = claim is not None and self.prompter.request(
            origin, code=claim.code, on_answer=lambda allowed: self.claims.answer(claim.ident, allowed)
        )
        if claim is None or not started:
            if claim is not None:
                self.claims.drop(claim.ident)
            raise BridgeError(
                429,
                BridgeCode.QUESTION_BUSY,
                M_("L'assistant pose déjà une question : répondez-y, puis réessayez."),
                headers={"Retry-After": "5"},
            )
        body = {"state": "pending", "claim": claim.ident, "expires_in": int(CLAIM_SECONDS), "code_length": 6}
        return _json(202, body, cors_headers(origin))

    # -- routes -----------------------------------------------------------------------------

    def _route(self, method: str, path: str, origin: str, request: Request) -> Response:
        parts = path.split("/")
        # ["", "v1", ...]
        if len(parts) < 3 or parts[0] != "" or parts[1] != "v1":
            raise _not_found()
        rest = parts[2:]
        if rest == ["status"]:
            raise _method_not_allowed("GET, OPTIONS")
        if rest == ["openapi.json"]:
            self._only(method, "GET")
            self.limiter.check(origin, "read")
            return Response(
                200,
                openapi_document(),
                {"Content-Type": "application/json; charset=utf-8", **cors_headers(origin)},
            )
        if rest == ["diagnostics"]:
            self._only(method, "GET")
            self.limiter.check(origin, "diagnostics")
            return self._diagnostics(origin)
        if rest == ["jobs"]:
            if method == "POST":
                self.limiter.check(origin, "submit")
                return self._submit(origin, request)
            self._only(method, "GET, POST")
            self.limiter.check(origin, "read")
            jobs = [self._public(job) for job in self.engine.jobs(origin)]
            return _json(200, {"jobs": jobs}, cors_headers(origin))
        if len(rest) in (2, 3) and rest[0] == "jobs":
            job_id = rest[1]
            job = self.engine.get(job_id) if JOB_ID.match(job_id) else None
            if job is None or job.origin != origin:
                # Another origin's job is answered exactly like a missing one.
                raise _not_found()
            if len(rest) == 2:
                self._only(method, "GET")
                self.limiter.check(origin, "read")
                return _json(200, self._public(job), cors_headers(origin))
            if rest[2] == "cancel":
                self._only(method, "POST")
                self.limiter.check(origin, "submit")
                self._read_empty_object(request)
                cancelled = self.engine.cancel(job.id)
                current = self.engine.get(job.id) or job
                return _json(200, {**self._public(current), "cancel_accepted": cancelled}, cors_headers(origin))
            if rest[2] == "events":
                self._only(method, "GET")
                self.limiter.check(origin, "read")
                return self._events(origin, job.id)
        raise _not_found()

    @staticmethod
    def _only(method: str, allowed: str) -> None:
        if method not in [m.strip() for m in allowed.split(",")]:
            raise _method_not_allowed(allowed + ", OPTIONS")

    def _status(self, request: Request) -> Response:
        headers: dict[str, str] = {}
        raw = request.header("Origin")
        origin = normalize_origin(raw) if raw else None
        approved = origin is not None and raw is not None and raw.strip() == origin
        approved = approved and origin is not None and self.registry.is_approved(origin)
        if approved and origin is not None:
            headers = cors_headers(origin)
        body: dict[str, Any] = {
            "name": APP_NAME,
            "version": __version__,
            "protocol_version": PROTOCOL_VERSION,
            "state": self.state(),
            "capabilities": list(CAPABILITIES),
        }
        if origin is not None and approved:
            body["origin_approved"] = True
            identity = self._identity(origin, request)
            if identity is not None:
                body["identity"] = identity
        return _json(200, body, headers)

    def _identity(self, origin: str, request: Request) -> dict[str, str] | None:
        """The bridge proves it holds the page's key before the page sends it (a squatter on the
        port cannot): `?key=<key id>&nonce=<random>` -> an HMAC over origin, port, nonce, CA."""
        from urllib.parse import parse_qs

        query = parse_qs(request.path.split("?", 1)[1] if "?" in request.path else "")
        key_id = (query.get("key") or [""])[0]
        nonce = (query.get("nonce") or [""])[0]
        if not key_id or not NONCE_PATTERN.match(nonce) or len(key_id) != 16:
            return None
        fingerprint = self.fingerprint()
        proof = self.access.proof(origin, key_id, request.port, nonce, fingerprint)
        if proof is None:
            return None
        return {"key": key_id, "proof": proof, "ca_fingerprint_sha256": fingerprint}

    def _read_body(self, request: Request) -> dict[str, Any]:
        check_content_type(request.header("Content-Type"))
        length = check_body_length(request.header("Content-Length"), request.header("Transfer-Encoding"))
        raw = request.read_body(length)
        if len(raw) != length:
            raise BridgeError(400, BridgeCode.INCOMPLETE_BODY, M_("Corps de requête incomplet."))
        return parse_json_object(raw)

    def _read_empty_object(self, request: Request) -> None:
        """Cancel takes no parameters: an empty body or `{}`; anything else names the field."""
        length_header = request.header("Content-Length")
        if request.header("Transfer-Encoding"):
            check_body_length(None, "chunked")
        if length_header is None or length_header.strip() == "0":
            return
        body = self._read_body(request)
        for key in body:
            raise invalid_field(key, M_("Champ inconnu : « {key} ».", key=key))

    def _submit(self, origin: str, request: Request) -> Response:
        descriptor = self._read_body(request)
        try:
            job = self.engine.submit(descriptor, origin)
        except AssistantError as exc:
            field_name = getattr(exc, "field", None)
            raise BridgeError(
                503 if exc.code in (JobCode.JOURNAL_FAILED, JobCode.ENGINE_CLOSED) else 400,
                exc.code if exc.code and exc.code != Code.ERROR else "invalid_descriptor",
                exc.message_fr,
                exc.message_en,
                field=str(field_name) if field_name is not None else None,
            ) from None
        public = self._public(job)
        headers = {"Location": public["urls"]["self"], **cors_headers(origin)}
        return _json(202, public, headers)

    def _public(self, job: Any) -> dict[str, Any]:
        public: dict[str, Any] = dict(job.to_public_dict())
        base = f"/v1/jobs/{job.id}"
        public["urls"] = {"self": base, "events": f"{base}/events", "cancel": f"{base}/cancel"}
        return public

    def _diagnostics(self, origin: str) -> Response:
        from assistant.diagnostics import run_diagnostics

        report = run_diagnostics(self.settings, platform_url=origin)
        # A page sees the verdicts, never local paths (Python, .p12 files, NSS folders).
        return _json(200, report.to_dict(public=True), cors_headers(origin))

    # -- server-sent events -----------------------------------------------------------------

    def _events(self, origin: str, job_id: str) -> Response:
        with self._streams_lock:
            if self._streams.get(origin, 0) >= MAX_STREAMS_PER_ORIGIN:
                raise BridgeError(
                    429,
                    BridgeCode.TOO_MANY_STREAMS,
                    M_("Trop de suivis de traitements ouverts."),
                    headers={"Retry-After": "5"},
                )
            self._streams[origin] = self._streams.get(origin, 0) + 1
        events: queue.Queue[Any] = queue.Queue()

        def listener(event: Any) -> None:
            if event.job_id == job_id:
                events.put(event)

        try:
            unsubscribe = self.engine.subscribe(listener)
        except BaseException:
            self._release_stream(origin)
            raise
        headers = {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
            **cors_headers(origin),
        }
        return Response(200, b"", headers, stream=self._stream(origin, job_id, events, unsubscribe))

    def _release_stream(self, origin: str) -> None:
        with self._streams_lock:
            left = self._streams.get(origin, 1) - 1
            if left <= 0:
                self._streams.pop(origin, None)
            else:
                self._streams[origin] = left

    def _stream(
        self, origin: str, job_id: str, events: queue.Queue[Any], unsubscribe: Callable[[], None]
    ) -> Iterator[bytes]:
        """The first event is the job as it stands (after subscribing, so nothing is missed); then
        every state and progress change; `end` after a final state, and the stream closes."""
        seq = 0
        try:
            seq += 1
            job = self.engine.get(job_id)
            if job is None:
                return
            snapshot = self._public(job)
            yield _sse("retry: 3000\n", "snapshot", snapshot, seq)
            terminal = snapshot["state"] in ("succeeded", "failed", "cancelled")
            last_write = time.monotonic()
            while not terminal and not self.stopping.is_set():
                try:
                    event = events.get(timeout=0.5)
                except queue.Empty:
                    if time.monotonic() - last_write >= HEARTBEAT_SECONDS:
                        last_write = time.monotonic()
                        yield b": ping\n\n"
                    continue
                last_write = time.monotonic()
                seq += 1
                data = event.job.to_public_dict()
                data["urls"] = snapshot["urls"]
                kind = event.kind if event.kind in ("state", "progress") else "state"
                yield _sse("", kind, data, seq)
                terminal = data.get("state") in ("succeeded", "failed", "cancelled")
            if terminal:
                seq += 1
                final = self.engine.get(job_id)
                yield _sse("", "end", self._public(final) if final is not None else snapshot, seq)
        finally:
            unsubscribe()
            self._release_stream(origin)


def _sse(prefix: str, event: str, data: Mapping[str, Any], seq: int) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"{prefix}id: {seq}\nevent: {event}\ndata: {payload}\n\n".encode()
