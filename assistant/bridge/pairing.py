"""Pairing: the fallback when the browser cannot reach the local bridge.

Safari, some enterprise policies and Chrome's Local Network Access can keep a page from calling
127.0.0.1. Then the direction is reversed: the assistant, paired once with the platform, asks the
platform over HTTPS for the jobs the user queued there, runs them through the same engine (same
strict descriptor validation, same "URLs on the platform's origin only" rule) and reports their
progress back. The protocol (platform side to implement) is in docs/bridge.md, "Association".

1. On the platform, "Associer ce poste" shows a one-time code (short-lived, single use).
2. `assistant bridge pair https://plateforme.example CODE` sends the code with this device's id;
   the platform answers a token bound to that device id.
3. The token goes to the OS keyring (never a file, never a log); the pairing record (origin,
   device id, poll path) to `pairings.json`; the origin becomes approved.
4. While the assistant runs, one poller per pairing asks `GET <poll path>` (Authorization: Bearer,
   X-Assistant-Device), submits each descriptor to the engine with the platform's origin, and
   POSTs the job's public state to the status path at each change (progress at most once a
   second). A 401/403 means the platform revoked the device: polling stops and the pairing is
   marked revoked.

Every call goes through the assistant's one transport (`assistant.transport`): the platform
certificates are checked like the transfers' (system roots plus `platform_ca_files`), and a
redirect is followed only within the paired origin (307/308 for the POSTs and the DELETE).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import secrets as pysecrets
import socket
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant import __version__, paths
from assistant import secrets as keyring_secrets
from assistant.bridge.errors import BridgeCode
from assistant.bridge.guards import normalize_origin
from assistant.errors import AssistantError
from assistant.i18n import M_, Message
from assistant.transport import PlatformError, Reply, TransientError, Transport

log = logging.getLogger(__name__)

PAIR_PATH = "/assistant/v1/pair"
DEFAULT_POLL_PATH = "/assistant/v1/jobs/next"
STATUS_PATH = "/assistant/v1/jobs/{ref}/status"
PAIRINGS_FILE = "pairings.json"
DEVICE_FILE = "device-id"
CODE = re.compile(r"^[A-Za-z0-9-]{6,32}$")
REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Seconds between polls when the platform gives no interval, and the bounds we accept.
DEFAULT_INTERVAL = 5.0
MIN_INTERVAL, MAX_INTERVAL = 1.0, 300.0
PROGRESS_EVERY = 1.0
MAX_BACKOFF = 300.0


class PairingError(AssistantError):
    code: str = BridgeCode.PAIRING


@dataclass
class Pairing:
    origin: str
    device_id: str
    poll_path: str
    interval: float
    paired_at: str
    revoked: bool = False

    @property
    def secret_name(self) -> str:
        return f"pairing-token:{self.origin}"


def _bridge_dir() -> Path:
    directory = paths.data_dir() / "bridge"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


def device_id() -> str:
    """A random identifier of this installation (not derived from hardware: nothing to fingerprint)."""
    path = _bridge_dir() / DEVICE_FILE
    try:
        value = path.read_text(encoding="ascii").strip()
        if re.fullmatch(r"[0-9a-f]{32}", value):
            return value
    except OSError:
        pass
    value = pysecrets.token_hex(16)
    path.write_text(value, encoding="ascii")
    return value


def load_pairings() -> list[Pairing]:
    try:
        raw = json.loads((_bridge_dir() / PAIRINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    found: list[Pairing] = []
    for item in raw if isinstance(raw, list) else []:
        with contextlib.suppress(TypeError, ValueError):
            found.append(Pairing(**item))
    return found


def _save_pairings(pairings: list[Pairing]) -> None:
    directory = _bridge_dir()
    fd, tmp = tempfile.mkstemp(prefix=".pairings-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump([asdict(p) for p in pairings], fh, indent=2, ensure_ascii=False)
        os.replace(tmp, directory / PAIRINGS_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _platform_origin(url: str, allow_loopback_http: bool) -> str:
    origin = normalize_origin(url.rstrip("/")) if url else None
    if origin is None:
        try:
            parts = urlsplit(url)
            origin = normalize_origin(f"{parts.scheme}://{parts.netloc}")
        except ValueError:
            origin = None
    if origin is None:
        raise PairingError(
            M_("Adresse de plateforme invalide : « {url} » (attendu : https://…).", url=url),
        )
    if origin.startswith("http://") and not allow_loopback_http:
        raise PairingError(
            M_("L'association n'est possible qu'avec une plateforme en HTTPS."),
        )
    return origin


def _same_origin_path(origin: str, value: Any, default: str) -> str:
    """The platform names paths on its own origin only (never a full URL elsewhere)."""
    if not isinstance(value, str) or not value:
        return default
    if not value.startswith("/") or value.startswith("//") or any(ord(c) < 0x21 for c in value) or len(value) > 300:
        raise PairingError(M_("Réponse d'association invalide (chemin)."))
    return value


def pair(url: str, code: str, *, transport: Transport | None = None, allow_loopback_http: bool = False) -> Pairing:
    """Pair this device with the platform at `url` using the one-time `code` the platform showed."""
    origin = _platform_origin(url, allow_loopback_http)
    code = code.strip()
    if not CODE.match(code):
        raise PairingError(M_("Code d'association invalide."))
    http = transport or platform_transport()
    body = {
        "code": code,
        "device_id": device_id(),
        "device_name": socket.gethostname()[:100],
        "assistant_version": __version__,
    }
    try:
        response = _send_json(http, "POST", origin + PAIR_PATH, "association", body, {"Accept": "application/json"})
    except TransientError as exc:
        raise PairingError(
            M_("La plateforme {origin} est injoignable ({exc}).", origin=origin, exc=exc),
        ) from None
    finally:
        if transport is None:
            http.close()
    if response.status in (400, 401, 403, 404, 410):
        raise PairingError(
            M_("Code d'association refusé par la plateforme (expiré, déjà utilisé ou erroné)."),
        )
    if response.status != 200:
        raise PairingError(
            M_("La plateforme a répondu {status} à la demande d'association.", status=response.status),
        )
    try:
        answer = json.loads(response.body)
        token = answer["token"]
    except (ValueError, KeyError, TypeError):
        raise PairingError(M_("Réponse d'association invalide.")) from None
    if not isinstance(token, str) or not 16 <= len(token) <= 4096:
        raise PairingError(M_("Réponse d'association invalide (jeton)."))
    interval = answer.get("interval", DEFAULT_INTERVAL)
    interval = float(interval) if isinstance(interval, int | float) else DEFAULT_INTERVAL
    pairing = Pairing(
        origin=origin,
        device_id=body["device_id"],
        poll_path=_same_origin_path(origin, answer.get("poll_path"), DEFAULT_POLL_PATH),
        interval=min(MAX_INTERVAL, max(MIN_INTERVAL, interval)),
        paired_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    keyring_secrets.set_secret(pairing.secret_name, token)
    pairings = [p for p in load_pairings() if p.origin != origin] + [pairing]
    _save_pairings(pairings)
    from assistant.bridge.origins import OriginRegistry

    OriginRegistry().approve(origin)  # pairing is the user's approval of this platform
    log.info("paired with %s", origin)
    return pairing


def unpair(url: str, *, transport: Transport | None = None, allow_loopback_http: bool = True) -> bool:
    """Forget the pairing (and tell the platform, best effort). True when there was one."""
    origin = _platform_origin(url, allow_loopback_http)
    pairings = load_pairings()
    kept = [p for p in pairings if p.origin != origin]
    found = [p for p in pairings if p.origin == origin]
    http = transport or (platform_transport(timeout=10) if found else None)
    for pairing in found:
        token = keyring_secrets.get_secret(pairing.secret_name)
        if token and http is not None:
            with contextlib.suppress(PlatformError, TransientError):
                http.request("DELETE", origin + PAIR_PATH, what=M_("dissociation"), headers=_headers(pairing, token))
        keyring_secrets.delete_secret(pairing.secret_name)
    if http is not None and transport is None:
        http.close()
    _save_pairings(kept)
    return bool(found)


def platform_transport(*, timeout: float = 20.0) -> Transport:
    """The transport of pairing calls: the user's platform trust (system roots plus
    `platform_ca_files`), no automatic retry (the poller has its own back-off), redirects only
    within the platform's origin (the default rule)."""
    from assistant.settings import Settings

    return Transport(verify=Settings.load().platform_ca_files, timeout=timeout, retries=0)


def _send_json(
    transport: Transport, method: str, url: str, what: str | Message, body: Any, headers: dict[str, str] | None = None
) -> Reply:
    data = None if body is None else json.dumps(body).encode()
    sent = {**(headers or {}), **({"Content-Type": "application/json"} if data is not None else {})}
    return transport.request(method, url, what=what, headers=sent, body=data, limit=1 << 20)


def _headers(pairing: Pairing, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Assistant-Device": pairing.device_id, "Accept": "application/json"}


class Poller:
    """Polls one paired platform for jobs and reports their progress back. One thread."""

    def __init__(self, pairing: Pairing, engine: Any, *, transport: Transport | None = None) -> None:
        self.pairing = pairing
        self.engine = engine
        self.http = transport or platform_transport(timeout=35)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"pairing-{pairing.origin}", daemon=True)
        self._reports: dict[str, float] = {}
        self._refs: dict[str, str] = {}  # engine job id -> platform ref
        self._lock = threading.Lock()
        #: One status report at a time, the job's first (queued) before any of its events: two
        #: threads posting at once could reach the platform out of order.
        self._report_lock = threading.RLock()
        self._unsubscribe = engine.subscribe(self._on_event)
        self.revoked = threading.Event()

    def start(self) -> Poller:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._unsubscribe()
        if self.thread.is_alive():
            self.thread.join(10)
        self.http.close()

    # -- polling ----------------------------------------------------------------------------

    def _loop(self) -> None:
        backoff = self.pairing.interval
        while not self.stop_event.is_set():
            try:
                delay = self.poll_once()
                backoff = self.pairing.interval
            except _Revoked:
                self._mark_revoked()
                return
            except Exception as exc:
                log.info("pairing poll of %s failed: %s", self.pairing.origin, type(exc).__name__)
                backoff = min(MAX_BACKOFF, backoff * 2)
                delay = backoff
            self.stop_event.wait(delay)

    def poll_once(self) -> float:
        """One request; returns the delay before the next one."""
        token = keyring_secrets.get_secret(self.pairing.secret_name)
        if not token:
            raise _Revoked()
        response = self.http.request(
            "GET",
            self.pairing.origin + self.pairing.poll_path,
            what=M_("demande de traitements"),
            headers=_headers(self.pairing, token),
        )
        if response.status in (401, 403):
            raise _Revoked()
        if response.status == 204:
            return self.pairing.interval
        if response.status != 200:
            raise RuntimeError(f"status {response.status}")
        answer = json.loads(response.body)
        if not isinstance(answer, dict):
            raise RuntimeError("answer is not an object")
        ref = answer.get("id")
        descriptor = answer.get("descriptor")
        if not isinstance(ref, str) or not REF.match(ref) or not isinstance(descriptor, dict):
            raise RuntimeError("malformed job")
        self._submit(ref, descriptor, token)
        return 0.0  # there may be more queued: ask again at once

    def _submit(self, ref: str, descriptor: dict[str, Any], token: str) -> None:
        try:
            job = self.engine.submit(descriptor, self.pairing.origin)
        except AssistantError as exc:
            # Refused like a page's request would be; the platform learns why (code + French text).
            error = exc.to_dict()
            if getattr(exc, "field", None):
                error["field"] = str(exc.field)  # type: ignore[attr-defined]
            self._post_status(ref, {"state": "refused", "error": error}, token)
            return
        with self._report_lock:
            with self._lock:
                self._refs[job.id] = ref
            self._post_status(ref, job.to_public_dict(), token)

    # -- reporting --------------------------------------------------------------------------

    def _on_event(self, event: Any) -> None:
        with self._lock:
            ref = self._refs.get(event.job_id)
        if ref is None:
            return
        now = time.monotonic()
        terminal = event.job.state.terminal
        if event.kind == "progress" and now - self._reports.get(ref, 0.0) < PROGRESS_EVERY:
            return
        self._reports[ref] = now
        token = keyring_secrets.get_secret(self.pairing.secret_name)
        if token:
            try:
                with self._report_lock:
                    self._post_status(ref, event.job.to_public_dict(), token)
            except Exception as exc:  # reporting must never break the job
                log.info("pairing status report failed: %s", type(exc).__name__)
        if terminal:
            with self._lock:
                self._refs.pop(event.job_id, None)

    def _post_status(self, ref: str, body: dict[str, Any], token: str) -> None:
        response = _send_json(
            self.http,
            "POST",
            self.pairing.origin + STATUS_PATH.format(ref=ref),
            M_("état du traitement"),
            body,
            _headers(self.pairing, token),
        )
        if response.status in (401, 403):
            self._mark_revoked()

    def _mark_revoked(self) -> None:
        self.revoked.set()
        self.stop_event.set()
        keyring_secrets.delete_secret(self.pairing.secret_name)
        pairings = load_pairings()
        for item in pairings:
            if item.origin == self.pairing.origin:
                item.revoked = True
        _save_pairings(pairings)
        log.info("pairing with %s revoked by the platform", self.pairing.origin)


class _Revoked(Exception):
    pass


def start_pollers(engine: Any) -> list[Poller]:
    """One poller per live pairing (called by `assistant run`)."""
    return [Poller(p, engine).start() for p in load_pairings() if not p.revoked]
