"""HTTP client for a platform: descriptors, verified resumable downloads, uploads.

Downloads go to `<name>.part` beside the final name and are hashed while written; only a file
whose SHA-256 matches the descriptor takes its final name (os.replace). A cut connection resumes
with an HTTP Range request from what is already on disk (the prefix is re-hashed locally, never
fetched again); transient errors (connection reset, timeouts, 5xx, 429) are retried with
exponential back-off; a hash mismatch deletes the partial file and is reported, so the caller
can fetch it afresh. Each worker thread keeps its own keep-alive session: connection reuse is
what makes hundreds of small files fast.

The bearer token is only ever put in the Authorization header; it never appears in an error,
a log line or an exception message.

Certificates: one SSLContext per client (`_tls_context`, built from `verify` by
`assistant.tls.tls_context`) serves all three HTTP stacks: http.client for direct transfers, urllib3
for transfers through a proxy, requests for descriptors and uploads. The runners pass the user's
`platform_ca_files`, which are added to the system's roots. A certificate that does not verify
is refused at once (UntrustedPlatformError), never retried.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import queue
import ssl
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from assistant import __version__
from assistant.errors import AssistantError, CancelledError
from assistant.platform.direct import DirectConnections, DirectResponse, response_status
from assistant.platform.writeback import WriteBack
from assistant.progress import CancelToken
from assistant.tls import CaFileError, Verify, tls_context

if TYPE_CHECKING:
    import requests
    import requests.adapters
    import urllib3

log = logging.getLogger(__name__)

CHUNK = 1 << 20  # 1 MiB reads for local files (re-hashing a .part, uploads)
#: Socket reads for large bodies. Measured in bench_download (1 GB, loopback, 2 cores): 4 MiB
#: blocks took the pipeline from ~1.15 s to ~0.85 s against 1 MiB (fewer syscalls, and the hash
#: thread reads a block while it is still in the CPU cache); 2 MiB and 8 MiB were both slower.
BLOCK = 4 << 20
PART_SUFFIX = ".part"
PIPELINE_THRESHOLD = 8 << 20  # bodies above this are hashed in a thread of their own
TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
MAX_DESCRIPTOR_BYTES = 16 << 20


def _https_adapter(tls: Callable[[], ssl.SSLContext], **kwargs: Any) -> requests.adapters.HTTPAdapter:
    """requests' adapter with the client's SSLContext for https (imported on first use)."""
    from requests.adapters import HTTPAdapter

    class ContextAdapter(HTTPAdapter):
        """HTTPS through the PlatformClient's own SSLContext, asked for at the first https
        request. requests would otherwise verify against certifi's bundle alone: neither the
        system's roots nor the user's extra CAs."""

        def __init__(self, tls: Callable[[], ssl.SSLContext], **kwargs: Any) -> None:
            self._tls = tls
            super().__init__(**kwargs)

        def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
            if host_params.get("scheme") == "https":
                pool_kwargs["ssl_context"] = self._tls()
            return host_params, pool_kwargs

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)
            # Keep the roots our context holds: a ca_certs here would be loaded into it on every
            # new connection (requests names certifi's bundle when verify is True).
            conn.ca_certs = None
            conn.ca_cert_dir = None

    return ContextAdapter(tls, **kwargs)


def body_consumed(response: Any) -> bool:
    """Whether http.client read the body to its end (the connection is reusable)."""
    fp = getattr(response, "_fp", None)
    return fp is not None and bool(fp.isclosed())


def release_response(response: Any, complete: bool) -> None:
    """Give the connection back to the pool when the body was read to its end (keep-alive);
    otherwise close it first, since leftover bytes would corrupt the next response on it."""
    if not complete:
        response.close()
    response.release_conn()


class PlatformError(AssistantError):
    code = "platform"


class HashMismatchError(PlatformError):
    code = "hash_mismatch"


class TransferError(PlatformError):
    code = "transfer"


class UntrustedPlatformError(PlatformError):
    code = "platform_certificate"

    def __init__(self) -> None:
        super().__init__(
            "Le certificat HTTPS de la plateforme n'est pas reconnu : la connexion est refusée.",
            "The platform's HTTPS certificate is not trusted: the connection is refused.",
        )


class PlatformCaError(PlatformError):
    """A CA file the user listed in `platform_ca_files` cannot be used: said before any connection."""

    code = "platform_ca"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"Autorité de certification des plateformes inutilisable (réglage « platform_ca_files ») : {detail}",
            f"Unusable platform certificate authority (setting 'platform_ca_files'): {detail}",
        )


def transport_failure(exc: BaseException) -> Exception:
    """What a transport error from http.client, urllib3 or requests becomes: a refused
    certificate is final (retrying cannot change it), anything else is worth a retry."""
    if certificate_refused(exc):
        return UntrustedPlatformError()
    return _Transient(type(exc).__name__)


def certificate_refused(exc: BaseException) -> bool:
    """Whether an exception from requests or urllib3 comes from a certificate that did not verify
    (they wrap ssl.SSLCertVerificationError a few levels down: in `reason`, `args` or the cause)."""
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


@dataclass
class DownloadStats:
    fetched: int = 0  # bytes received over the network for this file
    resumed_from: int = 0  # bytes already on disk (the .part) when the transfer started
    attempts: int = 0


@dataclass
class _PartState:
    have: int
    hasher: Any


class _Transient(Exception):
    """A failure worth retrying (internal)."""


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + PART_SUFFIX)


class PlatformClient:
    def __init__(
        self,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 6,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
        pool_size: int = 8,
        verify: Verify = True,
        range_connections: int = 4,
        range_threshold: int = 64 << 20,
        ranges_on_loopback: bool = False,
    ) -> None:
        self._token = token
        #: Files of at least `range_threshold` bytes go over `range_connections` ranges at once.
        self.range_connections = range_connections
        self.range_threshold = range_threshold
        #: Over loopback there is no latency to hide and the extra read-back for hashing only
        #: costs CPU (measured in bench_download): one stream there, ranges for real networks.
        self.ranges_on_loopback = ranges_on_loopback
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.pool_size = pool_size
        self.verify = verify
        self._tls: ssl.SSLContext | None = None
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._pools: dict[str | None, urllib3.PoolManager] = {}
        self._direct_connections: DirectConnections | None = None
        #: The proxy decision per (scheme, host), taken once per client (one job): reading the
        #: environment's proxy settings costs ~55 us, once per file for hundreds of files.
        self._proxies: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never show the token
        return f"<PlatformClient token={'***' if self._token else None}>"

    # -- sessions ----------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        """The one SSLContext of this client, for its three HTTP stacks (built on first https use)."""
        with self._lock:
            if self._tls is None:
                try:
                    self._tls = tls_context(self.verify)
                except CaFileError as exc:
                    raise PlatformCaError(f"« {exc.path} » : {exc.reason}.") from None
            return self._tls

    def _session(self) -> requests.Session:
        """requests for descriptors and uploads (imported on first use: downloads need only urllib3)."""
        import requests
        from requests.adapters import HTTPAdapter

        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no .netrc credentials; proxies are chosen by proxy_for()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self.pool_size, max_retries=0)
            session.mount("http://", adapter)
            if self.verify is False:
                session.mount("https://", adapter)
                session.verify = False
            else:
                session.mount("https://", _https_adapter(self._tls_context, pool_connections=4, pool_maxsize=self.pool_size, max_retries=0))
            session.headers["User-Agent"] = f"assistant-marches-publics/{__version__}"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _pool(self, url: str) -> urllib3.PoolManager:
        """urllib3 pools for transfers through a proxy and for the ranges of large files
        (imported on first use: a direct download of small files never needs it)."""
        import urllib3

        proxy = self._proxy(url)
        context = None if self.verify is False else self._tls_context()  # outside the lock: it takes it
        with self._lock:
            pool = self._pools.get(proxy)
            if pool is None:
                options: dict[str, Any] = {"maxsize": self.pool_size, "block": False, "retries": False}
                if context is None:
                    options["cert_reqs"] = "CERT_NONE"
                else:
                    options["ssl_context"] = context
                    options["cert_reqs"] = "CERT_REQUIRED"
                pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
                self._pools[proxy] = pool
            return pool

    def _direct(self) -> DirectConnections:
        """http.client connections for transfers that go to the platform without a proxy."""
        with self._lock:
            if self._direct_connections is None:
                self._direct_connections = DirectConnections(timeout=self.timeout, tls=self._tls_context, user_agent=f"assistant-marches-publics/{__version__}")
            return self._direct_connections

    def _proxy(self, url: str) -> str | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        try:
            return self._proxies[key]
        except KeyError:
            proxy = self._proxies[key] = proxy_for(url)
            return proxy

    def _requests_proxies(self, url: str) -> dict[str, str]:
        proxy = self._proxy(url)
        return {"http": proxy, "https": proxy} if proxy else {}

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
            for pool in self._pools.values():
                pool.clear()
            self._pools.clear()
            if self._direct_connections is not None:
                self._direct_connections.close()

    # -- retries -----------------------------------------------------------------------------

    def _retrying(self, what: str, attempt: Callable[[], Any], cancel: CancelToken | None) -> Any:
        delay = self.backoff
        for number in range(self.retries + 1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                return attempt()
            except _Transient as exc:
                if number >= self.retries:
                    raise TransferError(
                        f"Échec de communication avec la plateforme ({what}) après {number + 1} tentatives : {exc}",
                        f"Could not reach the platform ({what}) after {number + 1} attempts: {exc}",
                    ) from None
                log.info("transient error on %s (%s), retry in %.2fs", what, exc, delay)
                if cancel is not None and cancel.wait(delay):
                    raise CancelledError() from None
                if cancel is None:
                    threading.Event().wait(delay)
                delay = min(self.max_backoff, delay * 2)
        raise AssertionError("unreachable")

    @staticmethod
    def _check_status(response: requests.Response | urllib3.BaseHTTPResponse | DirectResponse, what: str) -> None:
        status = response_status(response)
        if status in TRANSIENT_STATUS:
            raise _Transient(f"HTTP {status}")
        if status in (401, 403):
            raise PlatformError(
                f"La plateforme refuse l'accès ({what}, HTTP {status}) : le jeton du traitement est invalide ou expiré.",
                f"The platform refused access ({what}, HTTP {status}): the job token is invalid or expired.",
                code="platform_forbidden",
            )
        if status == 404:
            raise PlatformError(
                f"Ressource introuvable sur la plateforme ({what}).", f"Resource not found on the platform ({what}).", code="platform_not_found"
            )
        if status >= 400:
            raise PlatformError(f"Erreur de la plateforme ({what}, HTTP {status}).", f"Platform error ({what}, HTTP {status}).")

    # -- descriptors -------------------------------------------------------------------------

    def get_json(self, url: str, *, what: str = "descripteur", cancel: CancelToken | None = None) -> Any:
        def attempt() -> Any:
            try:
                response = self._session().get(url, headers=self._headers({"Accept": "application/json"}), timeout=self.timeout, stream=True, proxies=self._requests_proxies(url))
            except (_requests().ConnectionError, _requests().Timeout) as exc:
                raise transport_failure(exc) from None
            with response:
                self._check_status(response, what)
                body = response.raw.read(MAX_DESCRIPTOR_BYTES + 1, decode_content=True)
            if len(body) > MAX_DESCRIPTOR_BYTES:
                raise PlatformError("Descripteur trop volumineux.", "Descriptor too large.")
            try:
                return json.loads(body)
            except ValueError:
                raise PlatformError(f"Réponse illisible de la plateforme ({what}).", f"Unreadable platform answer ({what}).") from None

        return self._retrying(what, attempt, cancel)

    # -- downloads ---------------------------------------------------------------------------

    def download(
        self,
        url: str,
        dest: Path,
        *,
        size: int,
        sha256: str,
        on_bytes: Callable[[int], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> DownloadStats:
        """Fetch `url` into `dest` (resuming `dest.part`); `dest` appears only if its SHA-256 matches.

        `on_bytes(n)` is called with each new amount of bytes that reached the .part file,
        including the prefix found on disk at the start (so the caller's total stays right).
        """
        part = part_path(dest)
        stats = DownloadStats()
        from assistant.platform.segmented import download_segmented, ranges_path

        try:
            found = part.lstat()  # one stat: hundreds of small files add up
        except FileNotFoundError:
            on_disk: int | None = None
        else:
            on_disk = found.st_size
            if not stat.S_ISREG(found.st_mode):
                # Not a partial file of ours (a link, a device, a pipe): never read or written
                # through; the name is freed and the file fetched afresh.
                part.unlink()
                on_disk = None
        if on_disk is None:
            ranged = size >= self.range_threshold and self.range_connections > 1 and (self.ranges_on_loopback or self._proxy(url) is not None or not _loopback(url))
        else:
            ranged = ranges_path(part).exists()
        if ranged:
            try:
                digest = download_segmented(
                    self, url, dest, part, size=size, sha256=sha256, connections=self.range_connections,
                    stats=stats, on_bytes=on_bytes, cancel=cancel,
                )
            except TransferError:
                raise
            self._finish(dest, part, digest, size, size, sha256)
            ranges_path(part).unlink(missing_ok=True)
            return stats
        hasher = hashlib.sha256()
        have = 0
        if on_disk is not None:
            have = on_disk
            if have > size:
                part.unlink()
                have = 0
            else:
                with part.open("rb") as fh:  # the prefix we resume from, not whatever follows it
                    left = have
                    while left and (block := fh.read(min(CHUNK, left))):
                        hasher.update(block)
                        left -= len(block)
                if left:
                    have -= left  # shrank meanwhile: resume from what was really read
        stats.resumed_from = have
        if on_bytes and have:
            on_bytes(have)
        state = _PartState(have, hasher)

        def attempt() -> None:
            stats.attempts += 1
            if state.have >= size:
                return
            self._fetch_into(url, part, size, state, stats, on_bytes, cancel)

        try:
            self._retrying(dest.name, attempt, cancel)
        except PlatformError:
            raise
        self._finish(dest, part, state.hasher.hexdigest(), state.have, size, sha256)
        return stats

    @staticmethod
    def _finish(dest: Path, part: Path, digest: str, have: int, size: int, sha256: str) -> None:
        """The file takes its final name only if complete and matching its SHA-256."""
        if have != size or digest != sha256.lower():
            from assistant.platform.segmented import ranges_path

            part.unlink(missing_ok=True)
            ranges_path(part).unlink(missing_ok=True)
            raise HashMismatchError(
                f"Le fichier « {dest.name} » reçu ne correspond pas à son empreinte SHA-256 : il est refusé.",
                f"The received file {dest.name!r} does not match its SHA-256: it is refused.",
            )
        os.replace(part, dest)

    def _fetch_into(
        self,
        url: str,
        part: Path,
        size: int,
        state: _PartState,
        stats: DownloadStats,
        on_bytes: Callable[[int], None] | None,
        cancel: CancelToken | None,
    ) -> None:
        start = state.have
        headers = self._headers({"Accept-Encoding": "identity"})
        if start:
            headers["Range"] = f"bytes={start}-"
        response: Any
        if self._proxy(url) is None:
            try:
                response = self._direct().get(url, headers)
            except (http.client.HTTPException, OSError) as exc:  # SSLCertVerificationError is an OSError
                raise transport_failure(exc) from None
        else:
            import urllib3

            try:
                response = self._pool(url).request(
                    "GET", url, headers=headers, preload_content=False, decode_content=False,
                    redirect=False, timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                )
            except urllib3.exceptions.HTTPError as exc:
                raise transport_failure(exc) from None
        complete = False
        try:
            if response.status == 416:
                # Our partial file is longer than the server's: start over.
                part.unlink(missing_ok=True)
                state.have, state.hasher = 0, hashlib.sha256()
                raise _Transient("HTTP 416")
            self._check_status(response, part.name[: -len(PART_SUFFIX)])
            mode = "ab"
            if start and response.status != 206:
                mode, start = "wb", 0  # no Range support: the whole body comes again
                state.have, state.hasher = 0, hashlib.sha256()
            elif start and not (response.headers.get("Content-Range") or "").startswith(f"bytes {start}-"):
                raise _Transient("Content-Range inattendu")
            if not start:
                mode = "wb"
            with open(part, mode) as out:
                try:
                    self._copy(response, out, size - start, state, stats, on_bytes, cancel)
                except OSError as exc:
                    if not isinstance(exc, ConnectionError | TimeoutError):
                        raise OutputFailure(part, exc) from None
                    raise _Transient(type(exc).__name__) from None
                except _ReadFailure as exc:
                    raise _Transient(str(exc)) from None
            complete = body_consumed(response)
        finally:
            release_response(response, complete)
        if state.have < size:
            raise _Transient("réponse incomplète")

    @staticmethod
    def _copy(
        response: urllib3.BaseHTTPResponse | DirectResponse,
        out: BinaryIO | Any,
        budget: int,
        state: _PartState,
        stats: DownloadStats,
        on_bytes: Callable[[int], None] | None,
        cancel: CancelToken | None,
    ) -> None:
        """Socket -> .part file, hashing on the way.

        For large bodies the SHA-256 runs in its own thread (hashlib releases the GIL), so
        receiving, writing and hashing overlap instead of adding up.
        """
        hasher = state.hasher
        hash_queue: queue.Queue[memoryview | None] | None = None
        hash_thread: threading.Thread | None = None
        writeback: WriteBack | None = None
        if budget >= PIPELINE_THRESHOLD:
            writeback = WriteBack(out.fileno(), state.have)
            hash_queue = queue.Queue(maxsize=RING - 2)
            q = hash_queue

            def hash_worker() -> None:
                while (item := q.get()) is not None:
                    hasher.update(item)

            hash_thread = threading.Thread(target=hash_worker, name="sha256", daemon=True)
            hash_thread.start()
        try:
            stop = (lambda: cancel.cancelled) if cancel is not None else None
            for block in _raw_chunks(response, budget, stop):
                if len(block) > budget:
                    block = block[:budget]  # a server sending more than announced: keep only our share
                out.write(block)
                if writeback is not None:
                    writeback.wrote(len(block))
                if hash_queue is not None:
                    hash_queue.put(block)
                else:
                    hasher.update(block)
                n = len(block)
                budget -= n
                state.have += n
                stats.fetched += n
                if on_bytes:
                    on_bytes(n)
                if cancel is not None and cancel.cancelled:
                    raise CancelledError()  # after the write: what arrived is kept for the resume
                if budget <= 0:
                    break
        finally:
            if hash_queue is not None and hash_thread is not None:
                hash_queue.put(None)
                hash_thread.join()

    # -- uploads -----------------------------------------------------------------------------

    def upload(
        self,
        url: str,
        body: bytes | Path | BinaryIO | Any,
        *,
        length: int | None = None,
        content_type: str = "application/octet-stream",
        headers: Mapping[str, str] | None = None,
        what: str = "envoi",
        cancel: CancelToken | None = None,
    ) -> Any:
        """PUT `body` to `url` (retried on transient errors); returns the JSON answer or None.

        `body` is bytes, a path, or a seekable file object (sent from its start, `length` bytes).
        """

        def attempt() -> Any:
            extra = {"Content-Type": content_type, **(headers or {})}
            try:
                if isinstance(body, Path):
                    with body.open("rb") as fh:
                        extra["Content-Length"] = str(body.stat().st_size)
                        response = self._session().put(url, data=fh, headers=self._headers(extra), timeout=self.timeout, proxies=self._requests_proxies(url))
                elif not isinstance(body, bytes | bytearray):
                    # A file object (e.g. the private buffer of a decrypted envelope), from its start.
                    body.seek(0)
                    extra["Content-Length"] = str(length if length is not None else _remaining(body))
                    response = self._session().put(url, data=_Reader(body), headers=self._headers(extra), timeout=self.timeout, proxies=self._requests_proxies(url))
                else:
                    response = self._session().put(url, data=body, headers=self._headers(extra), timeout=self.timeout, proxies=self._requests_proxies(url))
            except (_requests().ConnectionError, _requests().Timeout) as exc:
                raise transport_failure(exc) from None
            with response:
                self._check_status(response, what)
                if response.headers.get("Content-Type", "").startswith("application/json") and response.content:
                    try:
                        return response.json()
                    except ValueError:
                        return None
                return None

        return self._retrying(what, attempt, cancel)


class _ReadFailure(Exception):
    pass


class OutputFailure(AssistantError):
    """Writing the partial file failed (disk full, folder removed): not worth retrying."""

    code = "output"

    def __init__(self, part: Path, exc: OSError) -> None:
        super().__init__(
            f"Impossible d'écrire « {part.name} » : {exc.strerror or exc}.",
            f"Cannot write {part.name!r}: {exc.strerror or exc}.",
        )


RING = 6  # large-body buffers in rotation: the hash thread may still read one while the next is filled

_buffers = threading.local()


def _ring(size: int, count: int) -> list[memoryview]:
    """Per-thread reusable buffers: a worker fetching hundreds of small files allocates once."""
    cached: list[memoryview] | None = getattr(_buffers, "ring", None)
    if cached is None or len(cached) < count or len(cached[0]) < size:
        cached = [memoryview(bytearray(size)) for _ in range(count)]
        _buffers.ring = cached
    return [buffer[:size] for buffer in cached[:count]]


def _raw_chunks(response: urllib3.BaseHTTPResponse | DirectResponse, budget: int, stop: Callable[[], bool] | None = None) -> Iterator[memoryview]:
    """The body, read into reused buffers (no allocation per block or per file).

    Large bodies use a ring of `BLOCK`-sized buffers (the hash thread reads one while the next
    fills; the hash queue holds fewer blocks than the ring, so a buffer is never refilled while
    queued); a small body is hashed synchronously, so one buffer is enough and on loopback it
    arrives as one block: one write, one hash update, one progress call per file.

    A block is handed over when full, after `FLUSH_AFTER` seconds, when `stop()` says so
    (cancel), or with whatever had arrived when the connection broke: on a slow or cut link
    the bytes received still reach the .part file (resume loses nothing) and cancel is prompt.
    """
    pipelined = budget >= PIPELINE_THRESHOLD
    size = BLOCK if pipelined else max(64 << 10, min(BLOCK, budget))
    http_response: Any = getattr(response, "_fp", None)
    fill = _filler(http_response)
    if fill is None:
        try:
            while True:
                block = response.read1(size, decode_content=False)
                if not block:
                    return
                yield memoryview(block)
        except Exception as exc:  # http.client IncompleteRead / socket errors
            raise _ReadFailure(type(exc).__name__) from None
    ring = _ring(size, RING if pipelined else 1)
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
            raise _ReadFailure(type(failure).__name__) from None
        if filled < size and not (stop is not None and stop()) and time.monotonic() - began < FLUSH_AFTER:
            return  # end of the body (or of the connection: the caller checks the length)


FLUSH_AFTER = 0.1  # seconds: a block is handed over at least this often (progress, cancel, cuts)


def _filler(http_response: Any) -> Callable[[memoryview], int] | None:
    """`readinto1` on an http.client response: at most one socket read straight into our
    buffer, with http.client's own remaining-length bookkeeping kept right (the keep-alive
    connection returns to the pool only when the body was read to its end). None when the
    body is chunked or of unknown length (then urllib3 reads it)."""
    fp = getattr(http_response, "fp", None)
    if fp is None or getattr(http_response, "chunked", True) or getattr(http_response, "length", None) is None or not hasattr(fp, "readinto1"):
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


def proxy_for(url: str) -> str | None:
    """The proxy the user's environment names for this URL (never for loopback), or None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in ("127.0.0.1", "::1", "localhost"):
        return None
    proxy = getproxies().get(parts.scheme)
    if not proxy or proxy_bypass(host):
        return None
    return proxy


def _loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").strip("[]")
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


def _remaining(body: Any) -> int:
    here = body.tell()
    end = body.seek(0, os.SEEK_END)
    body.seek(here)
    return int(end - here)


class _Reader:
    """A plain `read()` view of a file object, so requests streams it instead of guessing."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._body.read(size if size and size > 0 else CHUNK)
        return data


def _requests() -> Any:
    import requests

    return requests
