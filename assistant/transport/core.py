"""The one HTTP transport of the assistant: every request it makes to a platform or a service.

Descriptors, files (whole or by ranges), uploads, reports, pairing calls, timestamps (RFC 3161)
and revocation data (CRL, OCSP) all go through `Transport`, which owns what must never differ
between them:

- connections: http.client keep-alive connections, one per worker thread, for direct transfers
  (measured faster than urllib3 for hundreds of small files, see docs/download-performance.md);
  urllib3 pools for transfers through a proxy (CONNECT) and for the parallel ranges of a large
  file (a pool the range threads share, so their connections outlive the threads);
- the trust decision: one SSLContext per transport, from `assistant.tls.tls_context`;
- proxies: the environment's, decided once per host for the transport's life;
- retries: `retrying` with exponential back-off on transient failures only (connection reset,
  time-out, 5xx, 429); a certificate that does not verify is final at once;
- the redirect rule: a redirect is followed only when the transport's `RedirectRule` allows its
  target (by default: the same origin as the URL asked for; jobs pass their origin rule), at most
  `MAX_REDIRECTS` times, and only for methods a redirect may repeat (GET/HEAD any 3xx, other
  methods 307/308). Anything else raises `RedirectRefusedError` before a single byte goes to the
  target. The error names neither the status nor the target (a page must not learn what answers
  behind the platform: that would be a port scanner); the log line keeps the target's origin.
  A redirect leaving the asked origin never carries the Authorization header.

The bearer token is only ever put in the Authorization header by the caller; it never appears in
an error, a log line or an exception message.

`fetch` is the one-call form for services that are not platforms (timestamps, CRL, OCSP).
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import mmap
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies, proxy_bypass

from assistant import __version__
from assistant.errors import AssistantError, CancelledError
from assistant.hosts import is_loopback_host, is_loopback_url
from assistant.i18n import M_, Message
from assistant.progress import CancelToken
from assistant.tls import CaFileError, Verify, tls_context
from assistant.transport.direct import DirectConnections, DirectResponse
from assistant.transport.errors import TransportCode

if TYPE_CHECKING:
    import urllib3

__all__ = [
    "BLOCK",
    "CHUNK",
    "MAX_REDIRECTS",
    "PIPELINE_THRESHOLD",
    "RING",
    "USER_AGENT",
    "Body",
    "PlatformCaError",
    "PlatformError",
    "RedirectRefusedError",
    "RedirectRule",
    "Reply",
    "Response",
    "TransferError",
    "TransientError",
    "Transport",
    "UntrustedPlatformError",
    "body_length",
    "certificate_refused",
    "check_status",
    "fetch",
    "is_loopback",
    "origin_of",
    "proxy_for",
    "same_origin",
    "same_server",
    "transport_failure",
]

log = logging.getLogger(__name__)

USER_AGENT = f"assistant-marches-publics/{__version__}"
CHUNK = 1 << 20  # 1 MiB reads for local files (re-hashing a .part, upload bodies)
#: Socket reads for large bodies. Measured in bench_download (1 GB, loopback, 2 cores): 4 MiB
#: blocks took the pipeline from ~1.15 s to ~0.85 s against 1 MiB (fewer syscalls, and the hash
#: thread reads a block while it is still in the CPU cache); 2 MiB and 8 MiB were both slower.
BLOCK = 4 << 20
PIPELINE_THRESHOLD = 8 << 20  # bodies above this are read into a ring (their hash runs in a thread)
RING = 6  # large-body buffers in rotation: the hash thread may still read one while the next is filled
FLUSH_AFTER = 0.1  # seconds: a block is handed over at least this often (progress, cancel, cuts)
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
MAX_SMALL_BODY = 16 << 20  # default cap of `Transport.request` answers (descriptors, JSON)

#: May the transport follow a redirect from the URL first asked for (first argument) to the
#: target (second)? Called before any connection to the target.
RedirectRule: TypeAlias = Callable[[str, str], bool]
#: A request body: bytes, a file path (opened for each send), or a seekable binary file object
#: (sent from its start each time: a retry or a 307/308 sends it whole again).
Body: TypeAlias = "bytes | Path | IO[bytes]"


# -- errors -------------------------------------------------------------------------------------


class PlatformError(AssistantError):
    code: str = TransportCode.PLATFORM


class TransferError(PlatformError):
    code: str = TransportCode.TRANSFER


class UntrustedPlatformError(PlatformError):
    code: str = TransportCode.PLATFORM_CERTIFICATE

    def __init__(self) -> None:
        super().__init__(
            M_("Le certificat HTTPS de la plateforme n'est pas reconnu : la connexion est refusée."),
        )


class PlatformCaError(PlatformError):
    """A CA file the user listed in `platform_ca_files` cannot be used: said before any connection."""

    code: str = TransportCode.PLATFORM_CA

    def __init__(self, detail: str | Message) -> None:
        super().__init__(
            M_(
                "Autorité de certification des plateformes inutilisable (réglage « platform_ca_files ») : {detail}",
                detail=detail,
            ),
        )


class RedirectRefusedError(PlatformError):
    """A redirect the rule refuses. Deliberately without the status or the target: the job's
    error reaches the page, which must not learn what answers behind the platform."""

    code: str = TransportCode.REDIRECT_REFUSED

    def __init__(self, what: str | Message) -> None:
        super().__init__(
            M_(
                "Le serveur a renvoyé la demande ({what}) vers une autre adresse, que l'assistant ne suit pas : seule une redirection vers une adresse autorisée pour ce traitement (la plateforme qui l'a demandé, un hôte autorisé dans les réglages) est suivie. La demande est abandonnée.",
                what=what,
            ),
        )


class TransientError(Exception):
    """A failure worth retrying (`Transport.retrying` retries it; it never reaches the user as is)."""


def transport_failure(exc: BaseException) -> Exception:
    """What a transport error from http.client or urllib3 becomes: a refused certificate is final
    (retrying cannot change it), anything else is worth a retry."""
    if certificate_refused(exc):
        return UntrustedPlatformError()
    return TransientError(type(exc).__name__)


def certificate_refused(exc: BaseException) -> bool:
    """Whether an exception comes from a certificate that did not verify (urllib3 and requests
    wrap ssl.SSLCertVerificationError a few levels down: in `reason`, `args` or the cause)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return False


def check_status(status: int, what: str | Message) -> None:
    """The platform's answer as the user must hear it: transient statuses are retried, a refused
    token or a missing resource is said plainly, other errors with their status."""
    if status in TRANSIENT_STATUS:
        raise TransientError(f"HTTP {status}")
    if status in (401, 403):
        raise PlatformError(
            M_(
                "La plateforme refuse l'accès ({what}, HTTP {status}) : le jeton du traitement est invalide ou expiré.",
                what=what,
                status=status,
            ),
            code=TransportCode.PLATFORM_FORBIDDEN,
        )
    if status == 404:
        raise PlatformError(
            M_("Ressource introuvable sur la plateforme ({what}).", what=what),
            code=TransportCode.PLATFORM_NOT_FOUND,
        )
    if status >= 400 or status in REDIRECT_STATUS:
        raise PlatformError(M_("Erreur de la plateforme ({what}, HTTP {status}).", what=what, status=status))


# -- origins and the redirect rule -------------------------------------------------------------


def origin_of(url: str) -> str:
    """ "https://Plateforme.fr/x" -> "https://plateforme.fr:443" ("" for what is not an http(s) URL)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return ""
    return f"{parts.scheme}://{host}:{port or (443 if parts.scheme == 'https' else 80)}"


def same_origin(asked: str, target: str) -> bool:
    """The default redirect rule: only within the origin of the URL asked for."""
    origin = origin_of(asked)
    return bool(origin) and origin_of(target) == origin


def same_server(asked: str, target: str) -> bool:
    """The rule for services the user named (trusted lists, CRL, OCSP, timestamps): the same
    origin, or the same host moving from http on its standard port to https on its standard port
    (a CRL point upgraded to TLS)."""
    if same_origin(asked, target):
        return True
    try:
        a, t = urlsplit(asked), urlsplit(target)
        ports = a.port in (None, 80) and t.port in (None, 443)
    except ValueError:
        return False
    return ports and a.scheme == "http" and t.scheme == "https" and bool(a.hostname) and a.hostname == t.hostname


def _redirect_target(url: str, location: str) -> str | None:
    """The absolute URL a Location names (relative ones against `url`); None when unusable."""
    if not location or any(ord(c) < 0x21 for c in location) or len(location) > 4096:
        return None
    target = urljoin(url, location)
    return target if origin_of(target) else None


# -- responses ----------------------------------------------------------------------------------


class Response:
    """An open answer whose body is read by the caller (`blocks`, `read`), then `release`d.

    Wraps either stack's response; the body's bytes go straight from the socket into reused
    buffers (`blocks`). A connection goes back to its pool only when its body was read to the end.
    """

    def __init__(self, raw: urllib3.BaseHTTPResponse | DirectResponse, url: str) -> None:
        self._raw = raw
        self.url = url  # the URL that answered (after any redirect followed)
        self.status: int = raw.status
        self._headers = raw.headers
        self._released = False

    def header(self, name: str) -> str:
        """A header's value ("" when absent); names are case-insensitive."""
        value: str | None = self._headers.get(name)
        return value or ""

    def header_map(self) -> dict[str, str]:
        """All headers, names in lower case."""
        return {name.lower(): value for name, value in self._headers.items()}

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def consumed(self) -> bool:
        """Whether http.client read the body to its end (the connection is reusable)."""
        fp = getattr(self._raw, "_fp", None)
        return fp is not None and bool(fp.isclosed())

    def release(self, complete: bool | None = None) -> None:
        """Give the connection back when the body was read to its end (keep-alive); otherwise
        close it first, since leftover bytes would corrupt the next response on it."""
        if self._released:
            return
        self._released = True
        if complete is None:
            complete = self.consumed()
        if not complete:
            self._raw.close()
        self._raw.release_conn()

    def read(self, limit: int) -> bytes:
        """At most `limit` bytes of the body (fewer only at its end)."""
        parts: list[bytes] = []
        left = limit
        try:
            while left > 0:
                block = self._raw.read1(min(left, CHUNK), decode_content=False)
                if not block:
                    break
                parts.append(block)
                left -= len(block)
        except Exception as exc:  # socket errors, IncompleteRead, urllib3's ProtocolError
            raise TransientError(type(exc).__name__) from None
        return b"".join(parts)

    def blocks(
        self, budget: int, stop: Callable[[], bool] | None = None, *, buffers: int | None = None
    ) -> Iterator[memoryview]:
        """The body, read into reused buffers (no allocation per block or per file).

        Large bodies (`budget >= PIPELINE_THRESHOLD`) use a ring of `RING` buffers of `BLOCK`
        bytes: a hash thread may read one while the next fills, as long as the caller's queue holds
        fewer than `RING - 1` blocks. A small body is usually one block: one write, one hash update,
        one progress call per file.

        A block is handed over when full, after `FLUSH_AFTER` seconds, when `stop()` says so
        (cancel), or with whatever had arrived when the connection broke (then TransientError):
        on a slow or cut link the bytes received still reach the caller and cancel is prompt.

        `buffers=1`: the caller is done with each block before asking for the next (it writes it
        and hashes nothing on another thread), so one buffer serves: a large file's range threads
        then hold 4 MiB each instead of a ring of 24 MiB.
        """
        pipelined = budget >= PIPELINE_THRESHOLD
        size = BLOCK if pipelined else max(64 << 10, min(BLOCK, budget))
        fill = _filler(getattr(self._raw, "_fp", None))
        if fill is None:
            try:
                while True:
                    block = self._raw.read1(size, decode_content=False)
                    if not block:
                        return
                    yield memoryview(block)
            except Exception as exc:  # http.client IncompleteRead / socket errors
                raise TransientError(type(exc).__name__) from None
        ring = _ring(size, buffers or (RING if pipelined else 1))
        index = 0
        while True:
            buffer = ring[index]
            index = (index + 1) % len(ring)
            filled = 0
            failure: BaseException | None = None
            began = time.monotonic()
            while filled < size:
                try:
                    n = fill(buffer[filled:])
                except Exception as exc:  # socket errors, timeouts
                    failure = exc
                    break
                if not n:
                    break
                filled += n
                if (stop is not None and stop()) or time.monotonic() - began >= FLUSH_AFTER:
                    break
            if filled:
                yield buffer[:filled]
            if failure is not None:
                raise TransientError(type(failure).__name__) from None
            if filled < size and not (stop is not None and stop()) and time.monotonic() - began < FLUSH_AFTER:
                return  # end of the body (or of the connection: the caller checks the length)


@dataclass(frozen=True)
class Reply:
    """A small answer read whole (`Transport.request`)."""

    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes


_buffers = threading.local()


def _ring(size: int, count: int) -> list[memoryview]:
    """Buffers for one body. The one buffer of a small body is kept per thread and reused: a
    worker fetching hundreds of small files allocates once. A large body's ring (RING x BLOCK,
    24 MiB) is made for that body and freed after it: kept per thread, every worker that had once
    met a large file held 24 MiB to the end of the job (the 10 GB consultation's download peaked
    at 172 MB with 4 workers, growing with each large file; 16 connections could hold 384 MiB).

    The ring is one anonymous mapping rather than bytearrays from the C heap: glibc serves 4 MiB
    bytearrays from its heaps once it has raised its mmap threshold, and the holes they leave are
    never given back (a resumed 10 GB download reached 168 MB). A mapping goes back to the system
    the moment the last view of it is dropped, whoever (the hash thread) drops it last."""
    if count > 1:
        whole = memoryview(mmap.mmap(-1, size * count))
        return [whole[i * size : (i + 1) * size] for i in range(count)]
    cached: memoryview | None = getattr(_buffers, "one", None)
    if cached is None or len(cached) < size:
        cached = memoryview(bytearray(size))
        _buffers.one = cached
    return [cached[:size]]


def _filler(http_response: Any) -> Callable[[memoryview], int] | None:
    """`readinto1` on an http.client response: at most one socket read straight into our
    buffer, with http.client's own remaining-length bookkeeping kept right (the keep-alive
    connection returns to the pool only when the body was read to its end). None when the
    body is chunked or of unknown length (then the stack's own reads are used)."""
    fp = getattr(http_response, "fp", None)
    if (
        fp is None
        or getattr(http_response, "chunked", True)
        or getattr(http_response, "length", None) is None
        or not hasattr(fp, "readinto1")
    ):
        return None

    def fill(view: memoryview) -> int:
        remaining: int = http_response.length
        if remaining <= 0 or http_response.fp is None:
            return 0
        n: int = http_response.fp.readinto1(view[: min(len(view), remaining)])
        if not n:
            http_response._close_conn()
            return 0
        http_response.length = remaining - n
        if not http_response.length:
            http_response._close_conn()
        return n

    return fill


# -- the transport ------------------------------------------------------------------------------


class Transport:
    """Connections, trust, proxies, retries and the redirect rule for one job (or one service).

    Thread-safe: download workers share one transport. `close()` ends every connection.
    """

    def __init__(
        self,
        *,
        verify: Verify = True,
        follow: RedirectRule = same_origin,
        timeout: float = 30.0,
        retries: int = 6,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
        pool_size: int = 8,
    ) -> None:
        self.verify = verify
        self.follow = follow
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.pool_size = pool_size
        self._tls: ssl.SSLContext | None = None
        self._pools: dict[str | None, urllib3.PoolManager] = {}
        #: Pools for plain-HTTP platforms behind no or a plain proxy: no TLS context to build.
        self._plain_pools: dict[str | None, urllib3.PoolManager] = {}
        self._direct_connections: DirectConnections | None = None
        #: The proxy decision per (scheme, host), taken once per transport (one job): reading the
        #: environment's proxy settings costs ~55 us, once per file for hundreds of files.
        self._proxies: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "<Transport>"

    # -- trust, proxies, connections --------------------------------------------------------

    def tls(self) -> ssl.SSLContext:
        """The one SSLContext of this transport, for both stacks (built on first https use)."""
        with self._lock:
            if self._tls is None:
                try:
                    self._tls = _shared_context(self.verify)
                except CaFileError as exc:
                    raise PlatformCaError(M_("« {path} » : {reason}.", path=exc.path, reason=exc.reason)) from None
            return self._tls

    def proxy(self, url: str) -> str | None:
        """The proxy for `url` (None: direct), decided once per scheme and host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        try:
            return self._proxies[key]
        except KeyError:
            proxy = self._proxies[key] = proxy_for(url)
            return proxy

    def _pool(self, url: str) -> urllib3.PoolManager:
        import urllib3

        proxy = self.proxy(url)
        # The TLS context (the system's trust store read, ~30-70 ms on a loaded machine) only
        # where TLS is spoken: an https platform, or an https proxy.
        secure = url.startswith("https:") or (proxy or "").startswith("https:")
        context = None if self.verify is False or not secure else self.tls()  # outside the lock: it takes it
        with self._lock:
            pool = self._pools.get(proxy) if secure else self._plain_pools.get(proxy)
            if pool is None and not secure:
                options: dict[str, Any] = {"maxsize": self.pool_size, "block": False, "retries": False}
                pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
                self._plain_pools[proxy] = pool
            if pool is None:
                options = {"maxsize": self.pool_size, "block": False, "retries": False}
                if context is None:
                    options["cert_reqs"] = "CERT_NONE"
                else:
                    options["ssl_context"] = context
                    options["cert_reqs"] = "CERT_REQUIRED"
                pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
                self._pools[proxy] = pool
            return pool

    def warm(self, url: str) -> None:
        """Make the shared pool for `url` ahead of its first request (urllib3's import and, for
        https, the TLS context: ~0.1-0.2 s on a loaded machine), e.g. while a large file's link
        is still being measured; a failure is left for the request itself to report."""
        with contextlib.suppress(Exception):
            self._pool(url)

    def _direct(self) -> DirectConnections:
        with self._lock:
            if self._direct_connections is None:
                self._direct_connections = DirectConnections(timeout=self.timeout, tls=self.tls, user_agent=USER_AGENT)
            return self._direct_connections

    def close(self) -> None:
        with self._lock:
            for pool in (*self._pools.values(), *self._plain_pools.values()):
                pool.clear()
            self._pools.clear()
            self._plain_pools.clear()
            if self._direct_connections is not None:
                self._direct_connections.close()

    # -- requests ---------------------------------------------------------------------------

    def open(
        self,
        method: str,
        url: str,
        *,
        what: str | Message,
        headers: Mapping[str, str] | None = None,
        body: Body | None = None,
        pooled: bool = False,
    ) -> Response:
        """Send one request and return its answer unread, redirects followed under the rule.

        Raises TransientError (worth a retry), UntrustedPlatformError, PlatformCaError or
        RedirectRefusedError. `pooled`: through the shared urllib3 pool even without a proxy
        (the ranges of a large file, fetched by short-lived threads).
        """
        asked = url
        sent = dict(headers or {})
        for hop in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, sent, body, pooled)
            if response.status not in REDIRECT_STATUS:
                return response
            location = response.header("Location")
            response.release(False)  # a redirect's body is never read
            target = _redirect_target(url, location)
            repeatable = method in ("GET", "HEAD") or response.status in (307, 308)
            if target is None or not repeatable or hop == MAX_REDIRECTS or not self.follow(asked, target):
                log.warning(
                    "redirect not followed (%s): %s -> %s", what, origin_of(url), origin_of(target) if target else "?"
                )
                raise RedirectRefusedError(what)
            if origin_of(target) != origin_of(asked):
                sent = {k: v for k, v in sent.items() if k.lower() not in ("authorization", "cookie")}
            if response.status == 303:
                method, body = "GET", None
            url = target
        raise AssertionError("unreachable")

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str | Message,
        headers: Mapping[str, str] | None = None,
        body: Body | None = None,
        limit: int = MAX_SMALL_BODY,
    ) -> Reply:
        """One request whose answer is read whole (at most `limit` bytes, else PlatformError)."""
        with self.open(method, url, what=what, headers=headers, body=body) as response:
            data = response.read(limit + 1)
            if len(data) > limit:
                raise PlatformError(
                    M_("Réponse trop volumineuse ({what}).", what=what),
                    code=TransportCode.ANSWER_TOO_LARGE,
                )
            return Reply(response.status, response.header_map(), data)

    def _send(self, method: str, url: str, headers: Mapping[str, str], body: Body | None, pooled: bool) -> Response:
        all_headers = {"Accept-Encoding": "identity", **headers}
        with _BodySource(body) as source:
            if not pooled and self.proxy(url) is None:
                try:
                    return Response(self._direct().request(method, url, all_headers, source.open), url)
                except (http.client.HTTPException, OSError) as exc:  # SSLCertVerificationError is an OSError
                    raise transport_failure(exc) from None
            import urllib3

            try:
                raw = self._pool(url).urlopen(
                    method,
                    url,
                    body=source.open(),
                    headers={"User-Agent": USER_AGENT, **all_headers},
                    preload_content=False,
                    decode_content=False,
                    redirect=False,
                    retries=False,
                    timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                )
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise transport_failure(exc) from None
            return Response(raw, url)

    # -- retries ----------------------------------------------------------------------------

    def retrying(
        self,
        what: str | Message,
        attempt: Callable[[], Any],
        cancel: CancelToken | None = None,
        *,
        progress: Callable[[], int] | None = None,
    ) -> Any:
        """`attempt()` until it returns, retrying TransientError with exponential back-off;
        after `retries` retries in a row, TransferError. Anything else goes through at once.

        `progress` (the bytes kept so far): an attempt that moved it forward before it failed
        starts the count and the back-off again. A link that cuts now and then (a mobile
        hand-over, a NAT time-out every few tens of MB) is not a dead platform: each cut is
        resumed from where it stopped, and a long transfer must not run out of retries, or wait
        seconds, because of cuts it recovered from each time."""
        delay = self.backoff
        failures = 0
        kept = progress() if progress is not None else 0
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                return attempt()
            except TransientError as exc:
                if progress is not None and (now := progress()) > kept:
                    kept, failures, delay = now, 0, self.backoff
                failures += 1
                if failures > self.retries:
                    raise TransferError(
                        M_(
                            "Échec de communication avec la plateforme ({what}) après {value} tentatives : {exc}",
                            what=what,
                            value=failures,
                            exc=exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc),
                        ),
                    ) from None
                log.info("transient error on %s (%s), retry in %.2fs", what, exc, delay)
                if cancel is not None and cancel.wait(delay):
                    raise CancelledError() from None
                if cancel is None:
                    threading.Event().wait(delay)
                delay = min(self.max_backoff, delay * 2)


#: How long a trust context is shared between transports (jobs) before the system's roots are
#: read again: a root the user or the IT department installs is seen within this time.
SHARED_CONTEXT_SECONDS = 300.0
_contexts: dict[tuple[object, ...], tuple[float, ssl.SSLContext]] = {}
_contexts_lock = threading.Lock()


def _shared_context(verify: Verify) -> ssl.SSLContext:
    """The SSLContext for `verify`, shared by the transports made within SHARED_CONTEXT_SECONDS.

    Each job has its own transport; building its context read the whole system trust store
    again (`set_default_verify_paths`: 30-160 ms on this loaded VM, on the path of the first
    request of every HTTPS job). The key holds each extra CA file's size and modification time,
    so a CA file changed in the settings is read again at once. A context is safe to share
    between threads; sharing it also lets TLS sessions be resumed from one job to the next.
    """
    if isinstance(verify, ssl.SSLContext) or verify is False:
        return tls_context(verify)
    paths = [verify] if isinstance(verify, str) else ([] if verify is True else list(verify))
    # Where OpenSSL finds the system's roots is part of the key (SSL_CERT_FILE / SSL_CERT_DIR).
    stamps: list[object] = [isinstance(verify, str), os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")]
    for path in paths:
        try:
            info = Path(path).expanduser().stat()
            stamps.append((str(path), info.st_mtime_ns, info.st_size))
        except OSError:
            return tls_context(verify)  # tls_context words the error (a missing CA file)
    key = tuple(stamps)
    now = time.monotonic()
    with _contexts_lock:
        found = _contexts.get(key)
        if found is not None and now - found[0] < SHARED_CONTEXT_SECONDS:
            return found[1]
    context = tls_context(verify)
    with _contexts_lock:
        _contexts[key] = (now, context)
    return context


class _BodySource:
    """A request body that can be sent again from its start (a stale keep-alive connection
    reopened, a 307/308 followed): a path is opened once and rewound, a file object rewound."""

    def __init__(self, body: Body | None) -> None:
        self._body = body
        self._file: IO[bytes] | None = None

    def __enter__(self) -> _BodySource:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None and isinstance(self._body, Path):
            self._file.close()

    def open(self) -> bytes | IO[bytes] | None:
        body = self._body
        if body is None or isinstance(body, bytes | bytearray):
            return body
        if isinstance(body, Path):
            if self._file is None:
                self._file = body.open("rb")
            self._file.seek(0)
            return _Reader(self._file)  # type: ignore[return-value]
        body.seek(0)
        return _Reader(body)  # type: ignore[return-value]


class _Reader:
    """A plain `read()` view of a file object in CHUNK blocks (http.client would send 8 KiB ones,
    and guesses at text files from a `mode` attribute)."""

    def __init__(self, body: IO[bytes]) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read(CHUNK)


def body_length(body: Body) -> int:
    """Bytes a body will send (the Content-Length): from its start for file objects."""
    if isinstance(body, bytes | bytearray):
        return len(body)
    if isinstance(body, Path):
        return body.stat().st_size
    end = body.seek(0, os.SEEK_END)
    body.seek(0)
    return int(end)


def proxy_for(url: str) -> str | None:
    """The proxy the user's environment names for this URL (never for loopback), or None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if is_loopback_host(host):
        return None
    proxy = getproxies().get(parts.scheme)
    if not proxy or proxy_bypass(host):
        return None
    return proxy


def is_loopback(url: str) -> bool:
    """Whether `url` names this computer (assistant.hosts: IP literals and "localhost" only)."""
    return is_loopback_url(url)


# -- one call, for services that are not platforms ---------------------------------------------


def fetch(
    url: str,
    *,
    what: str | Message,
    data: bytes | None = None,
    content_type: str | None = None,
    accept: str | None = None,
    verify: Verify = True,
    follow: RedirectRule | None = None,
    limit: int = 64 << 20,
    timeout: float = 30.0,
    retries: int = 2,
    transport: Transport | None = None,
) -> Reply:
    """GET `url` (or POST `data` as `content_type`) and return the answer, whatever its status.

    For CRLs (GET), OCSP (POST application/ocsp-request) and timestamps (POST
    application/timestamp-query): same trust decision, proxies and redirect rule as the platform
    transfers; by default (`same_server`) a redirect is followed only within the URL's own origin,
    or from http to https on the same host. Transient
    failures are retried `retries` times; then TransferError. `transport` reuses the connections
    of a longer-lived one (a batch of signatures); otherwise one is made and closed.
    """
    own = transport is None
    used = transport or Transport(verify=verify, follow=follow or same_server, timeout=timeout, retries=retries)
    headers: dict[str, str] = {}
    if content_type:
        headers["Content-Type"] = content_type
    if accept:
        headers["Accept"] = accept
    method = "GET" if data is None else "POST"

    def attempt() -> Reply:
        reply = used.request(method, url, what=what, headers=headers, body=data, limit=limit)
        if reply.status in TRANSIENT_STATUS:
            raise TransientError(f"HTTP {reply.status}")
        return reply

    try:
        result: Reply = used.retrying(what, attempt)
        return result
    finally:
        if own:
            used.close()
