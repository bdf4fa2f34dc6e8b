"""The checks every request passes before the bridge does any work.

Order matters and is fixed in `assistant.bridge.api`: Host (DNS rebinding) first, then the Origin
(approved platforms only), then the rate limit, then the body (size, strict JSON). Each check is a
small pure piece here so that it can be tested without a socket.

Why each exists:
- Host: a hostile site can point its own DNS name at 127.0.0.1 after the page loaded (DNS
  rebinding); the browser then sends `Host: evil.example:17443` and treats our answers as
  same-origin. Only loopback names with our port are accepted.
- Origin: CORS does not stop a request from being sent, only its answer from being read; the
  bridge itself must refuse unknown origins before running anything.
- CORS answers name the approved origin only, never `*`.
- Bodies: a size limit, UTF-8 JSON objects only, no duplicate keys, no NaN, bounded depth.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from assistant.bridge.errors import BridgeCode
from assistant.errors import AssistantError
from assistant.hosts import is_loopback_host
from assistant.i18n import M_, Message
from assistant.jobs.names import lone_surrogate_paths

#: Largest request body accepted (a job descriptor is a few kilobytes at most).
MAX_BODY_BYTES = 64 * 1024
#: Deepest JSON nesting accepted in a body.
MAX_JSON_DEPTH = 12
#: Request headers a page may send (besides the CORS-safelisted ones).
ALLOWED_REQUEST_HEADERS = ("authorization", "content-type", "last-event-id")
ALLOWED_METHODS = ("GET", "POST", "OPTIONS")
PREFLIGHT_MAX_AGE = 600


class BridgeError(AssistantError):
    """A refusal with its HTTP status. The message is French first; it never echoes request data
    other than the name of a field."""

    def __init__(
        self,
        status: int,
        code: str,
        message: Message | str,
        message_en: str | None = None,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, message_en, code=code)
        self.status = status
        self.field = field
        self.headers = dict(headers or {})

    def to_dict(self) -> dict[str, str]:
        body = super().to_dict()
        if self.field is not None:
            body["field"] = self.field
        return body


# --------------------------------------------------------------------------------------------
# Host


def host_allowed(host_header: str | None, port: int) -> bool:
    """True when the Host header names the loopback (by name or address) and this listener's port."""
    if not host_header:
        return False
    value = host_header.strip().lower()
    return value in {f"127.0.0.1:{port}", f"[::1]:{port}", f"localhost:{port}"}


def check_host(host_header: str | None, port: int) -> None:
    if not host_allowed(host_header, port):
        raise BridgeError(
            421,
            BridgeCode.HOST_REFUSED,
            M_("Requête refusée : l'adresse demandée n'est pas celle de l'assistant local."),
        )


# --------------------------------------------------------------------------------------------
# Origins


def normalize_origin(value: str | None) -> str | None:
    """`scheme://host[:port]` in canonical form, or None when `value` is not a usable web origin.

    Accepts what users type (a trailing slash, upper case) but nothing with a path, a query,
    credentials or an opaque origin ("null"). Plain http is accepted only for loopback hosts
    (the demo platform, local tests): a platform on http could be impersonated on the network.
    """
    if value is None:
        return None
    value = value.strip()
    if not value or value == "null" or len(value) > 300:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host = (parts.hostname or "").lower()
    if not host or any(c in host for c in " /\\@?#%") or not all(ord(c) < 128 for c in host):
        return None
    if scheme == "http" and not is_loopback_host(host):
        return None
    shown_host = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    if port is None or port == default:
        return f"{scheme}://{shown_host}"
    return f"{scheme}://{shown_host}:{port}"


# --------------------------------------------------------------------------------------------
# CORS


def cors_headers(origin: str) -> dict[str, str]:
    """Headers of an answer readable by `origin` (always an approved one, never `*`)."""
    return {
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
        "Access-Control-Expose-Headers": "Location, Retry-After",
    }


def preflight_headers(origin: str, request_headers: Mapping[str, str]) -> dict[str, str]:
    """The answer to an approved origin's preflight, including Chrome's Private/Local Network Access.

    Chrome asks `Access-Control-Request-Private-Network: true` (Private Network Access) and, in
    newer versions, `Access-Control-Request-Local-Network: true` (Local Network Access) before a
    public page may call a loopback address; both are granted to approved origins only.
    """
    headers = cors_headers(origin)
    headers["Access-Control-Allow-Methods"] = ", ".join(ALLOWED_METHODS)
    headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_REQUEST_HEADERS)
    headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    headers["Vary"] = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    lowered = {k.lower(): v for k, v in request_headers.items()}
    if lowered.get("access-control-request-private-network", "").strip().lower() == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    if lowered.get("access-control-request-local-network", "").strip().lower() == "true":
        headers["Access-Control-Allow-Local-Network"] = "true"
    return headers


# --------------------------------------------------------------------------------------------
# Rate limits


@dataclass(frozen=True)
class Rate:
    """A token bucket: `per_second` tokens refill, up to `burst`."""

    per_second: float
    burst: float


#: Per origin and per kind of request. The status is not limited: it does no work.
DEFAULT_RATES: dict[str, Rate] = {
    "read": Rate(per_second=50.0, burst=200.0),
    "submit": Rate(per_second=2.0, burst=20.0),
    "diagnostics": Rate(per_second=0.2, burst=3.0),
    "refused": Rate(per_second=5.0, burst=30.0),
}


class RateLimiter:
    """Token buckets keyed by (origin, kind). Thread-safe; old buckets are forgotten."""

    def __init__(self, rates: Mapping[str, Rate] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rates = dict(rates or DEFAULT_RATES)
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, origin: str, kind: str) -> float:
        """0 when the request may go on (a token is taken), else the seconds to wait."""
        rate = self.rates.get(kind)
        if rate is None:
            return 0.0
        now = self._clock()
        key = (origin, kind)
        with self._lock:
            tokens, last = self._buckets.get(key, (rate.burst, now))
            tokens = min(rate.burst, tokens + (now - last) * rate.per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 10_000:
                self._buckets = {key: self._buckets[key]}
            return (1.0 - tokens) / rate.per_second

    def check(self, origin: str, kind: str) -> None:
        wait = self.retry_after(origin, kind)
        if wait > 0:
            raise BridgeError(
                429,
                BridgeCode.RATE_LIMITED,
                M_("Trop de requêtes : réessayez dans quelques secondes."),
                headers={"Retry-After": str(max(1, int(wait + 0.999)))},
            )


# --------------------------------------------------------------------------------------------
# Bodies


def _invalid_json(message_en: str, field: str | None = None) -> BridgeError:
    if field is None:
        message = M_("Le corps de la requête n'est pas un objet JSON valide ({detail}).", detail=message_en)
    else:
        message = M_(
            "Le corps de la requête n'est pas un objet JSON valide (champ « {field} » en double).", field=field
        )
    return BridgeError(400, BridgeCode.INVALID_JSON, message, field=field)


def check_content_type(value: str | None) -> None:
    media = (value or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise BridgeError(
            415,
            BridgeCode.UNSUPPORTED_MEDIA_TYPE,
            M_("Le corps de la requête doit être du JSON (Content-Type: application/json)."),
        )


def check_body_length(content_length: str | None, transfer_encoding: str | None) -> int:
    """The announced body length, refused when absent, malformed or above the limit."""
    if transfer_encoding:
        raise BridgeError(411, BridgeCode.LENGTH_REQUIRED, M_("La longueur du corps doit être annoncée."))
    if content_length is None or not content_length.strip().isdigit():
        raise BridgeError(411, BridgeCode.LENGTH_REQUIRED, M_("La longueur du corps doit être annoncée."))
    length = int(content_length.strip())
    if length > MAX_BODY_BYTES:
        raise BridgeError(
            413,
            BridgeCode.BODY_TOO_LARGE,
            M_("Requête trop volumineuse (limite : {value} Kio).", value=MAX_BODY_BYTES // 1024),
        )
    return length


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _invalid_json("duplicate key", field=key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise _invalid_json(f"{name} is not JSON")


def _depth(value: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Strict JSON: UTF-8, one object, no duplicate keys, no NaN/Infinity, bounded nesting, and
    strict Unicode (no lone surrogate escaped as `\\udXXX` in any key or string)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid_json("not UTF-8") from None
    if text.startswith("\ufeff"):
        raise _invalid_json("byte order mark")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except BridgeError:
        raise
    except (ValueError, RecursionError):
        raise _invalid_json("syntax") from None
    if not isinstance(value, dict):
        raise _invalid_json("not an object")
    if _depth(value) > MAX_JSON_DEPTH:
        raise _invalid_json("nested too deeply")
    if next(lone_surrogate_paths(value), None) is not None:
        # "\ud800" is valid JSON syntax but no text: it cannot be stored, logged or sent back.
        raise _invalid_json("lone surrogate")
    return value


def invalid_field(field: str, message: Message | None = None) -> BridgeError:
    return BridgeError(
        400, BridgeCode.INVALID_FIELD, message or M_("Champ invalide : « {field} ».", field=field), field=field
    )
