"""A platform's job transfers: descriptors, verified resumable downloads, uploads.

Downloads go to `<name>.part` beside the final name and are hashed while written; only a file
whose SHA-256 matches the descriptor takes its final name (os.replace). A cut connection resumes
with an HTTP Range request from what is already on disk (the prefix is re-hashed locally, never
fetched again); transient errors (connection reset, timeouts, 5xx, 429) are retried with
exponential back-off; a hash mismatch deletes the partial file and is reported, so the caller
can fetch it afresh. Large files on real networks go over several ranges at once
(`assistant.platform.segmented`).

Everything on the wire (connections, the trust decision, proxies, retries, the redirect rule) is
the `Transport`'s (`assistant.transport`); this module only decides what to ask and what
to do with the bytes. Jobs get their client from `assistant.jobs.runners.common.platform_client`,
which passes the job's origin rule as the redirect rule.

The bearer token is only ever put in the Authorization header; it never appears in an error,
a log line or an exception message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from assistant.errors import AssistantError, CancelledError, Code
from assistant.i18n import M_, Message
from assistant.platform.errors import PlatformCode
from assistant.platform.linkmeter import LinkMeter
from assistant.platform.segmented import DownloadStats, download_segmented, ranges_path
from assistant.platform.writeback import WriteBack
from assistant.progress import CancelToken
from assistant.tls import Verify
from assistant.transport import (
    CHUNK,
    Body,
    PlatformCaError,
    PlatformError,
    RedirectRefusedError,
    RedirectRule,
    Response,
    TransferError,
    TransientError,
    Transport,
    UntrustedPlatformError,
    body_length,
    check_status,
    is_loopback,
    same_origin,
)
from assistant.transport import core as transport

__all__ = [
    "DownloadStats",
    "HashMismatchError",
    "OutputFailure",
    "PlatformCaError",
    "PlatformClient",
    "PlatformError",
    "RedirectRefusedError",
    "TransferError",
    "UntrustedPlatformError",
    "part_path",
]

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"
#: One-byte requests that measure the link before a large file's first transfer (the shortest
#: wins: a busy CPU can make loopback answer late once, never a far platform answer early).
PROBES = 3
MAX_DESCRIPTOR_BYTES = 16 << 20


#: What a request is, named in its error messages (French source, translated where shown).
_DESCRIPTOR = M_("descripteur")
_UPLOAD = M_("envoi")


class HashMismatchError(PlatformError):
    code: str = PlatformCode.HASH_MISMATCH


class OutputFailure(AssistantError):
    """Writing the partial file failed (disk full, folder removed): not worth retrying."""

    code: str = Code.OUTPUT

    def __init__(self, part: Path, exc: OSError) -> None:
        super().__init__(
            M_("Impossible d'écrire « {name} » : {value}.", name=part.name, value=exc.strerror or exc),
        )


class _PartState:
    def __init__(self, have: int, hasher: Any) -> None:
        self.have = have
        self.hasher = hasher


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + PART_SUFFIX)


class PlatformClient:
    """One job's dealings with its platform, over one `Transport` (its connections, trust,
    proxies, retries and redirect rule). Thread-safe: download workers share one client."""

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
        follow: RedirectRule = same_origin,
        range_connections: int = 4,
        range_threshold: int = 64 << 20,
        ranges_on_loopback: bool = False,
    ) -> None:
        self._token = token
        self.transport = Transport(
            verify=verify,
            follow=follow,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            pool_size=pool_size,
        )
        #: Files of at least `range_threshold` bytes go over `range_connections` ranges at once.
        self.range_connections = range_connections
        self.range_threshold = range_threshold
        #: Over loopback there is no latency to hide and the extra read-back for hashing only
        #: costs CPU (measured in bench_download): one stream there, ranges for real networks.
        self.ranges_on_loopback = ranges_on_loopback
        #: Round trip and stream throughput, measured on this client's own requests: whether a
        #: loopback address is really loopback (a tunnel, a local proxy or a network emulator
        #: may be far), and how many connections the runner should use.
        self.meter = LinkMeter()

    def __repr__(self) -> str:  # never show the token
        return f"<PlatformClient token={'***' if self._token else None}>"

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """`extra` plus the job's bearer token (the only place the token is put)."""
        headers = dict(extra or {})
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def close(self) -> None:
        self.transport.close()

    # -- descriptors -------------------------------------------------------------------------

    def get_json(self, url: str, *, what: str | Message = _DESCRIPTOR, cancel: CancelToken | None = None) -> Any:
        def attempt() -> Any:
            reply = self.transport.request(
                "GET", url, what=what, headers=self.headers({"Accept": "application/json"}), limit=MAX_DESCRIPTOR_BYTES
            )
            check_status(reply.status, what)
            try:
                return json.loads(reply.body)
            except ValueError:
                raise PlatformError(M_("Réponse illisible de la plateforme ({what}).", what=what)) from None

        return self.transport.retrying(what, attempt, cancel)

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
            ranged = (
                size >= self.range_threshold
                and self.range_connections > 1
                and (
                    self.ranges_on_loopback
                    or self.transport.proxy(url) is not None
                    or not is_loopback(url)
                    or self._far(url, dest.name)
                )
            )
        else:
            ranged = ranges_path(part).exists()
        if ranged:
            digest = download_segmented(
                self.transport,
                url,
                dest,
                part,
                size=size,
                sha256=sha256,
                connections=self.range_connections,
                headers=self.headers(),
                stats=stats,
                on_bytes=on_bytes,
                cancel=cancel,
            )
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

        self.transport.retrying(dest.name, attempt, cancel, progress=lambda: state.have)
        self._finish(dest, part, state.hasher.hexdigest(), state.have, size, sha256)
        return stats

    def _far(self, url: str, name: str) -> bool:
        """Whether the platform is measurably far, asking for one byte of `url` when nothing
        was measured yet (a round trip or two, against minutes for the large file it decides)."""
        warming: threading.Thread | None = None
        for _ in range(PROBES):
            known = self.meter.real_link()
            if known is False:
                return False
            if known and self.meter.samples >= PROBES:
                return True  # the job's earlier requests already said it (each later large file asked again)
            if known and warming is None:
                # Far so far: the range threads' pool is made while the next probes wait for
                # their round trips, not after (measured on `adsl`: first byte of the file
                # 0.79 s after the job started, ~0.2 s of it making that pool).
                warming = threading.Thread(target=self.transport.warm, args=(url,), name="pool-warm", daemon=True)
                warming.start()
            try:
                asked = time.monotonic()
                response = self.transport.open("GET", url, what=name, headers=self.headers({"Range": "bytes=0-0"}))
                self.meter.first_byte(time.monotonic() - asked)
                try:
                    response.read(1)
                finally:
                    response.release(response.consumed())
            except (TransientError, PlatformError, OSError):
                return False  # the transfer itself will retry or report; one stream meanwhile
        return bool(self.meter.real_link())

    @staticmethod
    def _finish(dest: Path, part: Path, digest: str, have: int, size: int, sha256: str) -> None:
        """The file takes its final name only if complete and matching its SHA-256."""
        if have != size or digest != sha256.lower():
            part.unlink(missing_ok=True)
            ranges_path(part).unlink(missing_ok=True)
            raise HashMismatchError(
                M_(
                    "Le fichier « {name} » reçu ne correspond pas à son empreinte SHA-256 : il est refusé.",
                    name=dest.name,
                ),
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
        name = part.name[: -len(PART_SUFFIX)]
        headers = self.headers({"Range": f"bytes={start}-"} if start else None)
        asked = time.monotonic()
        response = self.transport.open("GET", url, what=name, headers=headers)
        began = time.monotonic()
        self.meter.first_byte(began - asked)
        had = state.have
        complete = False
        try:
            if response.status == 416:
                # Our partial file is longer than the server's: start over.
                part.unlink(missing_ok=True)
                state.have, state.hasher = 0, hashlib.sha256()
                raise TransientError("HTTP 416")
            check_status(response.status, name)
            mode = "ab"
            if start and response.status != 206:
                mode, start = "wb", 0  # no Range support: the whole body comes again
                state.have, state.hasher = 0, hashlib.sha256()
            elif start and not response.header("Content-Range").startswith(f"bytes {start}-"):
                raise TransientError("Content-Range inattendu")
            if not start:
                mode = "wb"
            with open(part, mode) as out:
                try:
                    self._copy(response, out, size - start, state, stats, on_bytes, cancel)
                except OSError as exc:
                    if not isinstance(exc, ConnectionError | TimeoutError):
                        raise OutputFailure(part, exc) from None
                    raise TransientError(type(exc).__name__) from None
            complete = response.consumed()
        finally:
            response.release(complete)
        self.meter.body(state.have - had, time.monotonic() - began)
        if state.have < size:
            raise TransientError(M_("réponse incomplète"))

    @staticmethod
    def _copy(
        response: Response,
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
        if budget >= transport.PIPELINE_THRESHOLD:
            writeback = WriteBack(out.fileno(), state.have)
            hash_queue = queue.Queue(maxsize=transport.RING - 2)
            q = hash_queue

            def hash_worker() -> None:
                while (item := q.get()) is not None:
                    hasher.update(item)

            hash_thread = threading.Thread(target=hash_worker, name="sha256", daemon=True)
            hash_thread.start()
        try:
            stop = (lambda: cancel.cancelled) if cancel is not None else None
            for block in response.blocks(budget, stop):
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
        body: Body,
        *,
        length: int | None = None,
        content_type: str = "application/octet-stream",
        headers: Mapping[str, str] | None = None,
        what: str | Message = _UPLOAD,
        cancel: CancelToken | None = None,
    ) -> Any:
        """PUT `body` to `url` (retried on transient errors); returns the JSON answer or None.

        `body` is bytes, a path, or a seekable file object (sent from its start, `length` bytes).
        A redirect is followed only under the transport's rule and only as a 307/308 (which
        repeats the PUT with its body); any other is refused.
        """

        def attempt() -> Any:
            sent = {"Content-Type": content_type, **(headers or {})}
            sent["Content-Length"] = str(
                length if length is not None and not isinstance(body, bytes | bytearray | Path) else body_length(body)
            )
            reply = self.transport.request("PUT", url, what=what, headers=self.headers(sent), body=body)
            check_status(reply.status, what)
            if reply.headers.get("content-type", "").startswith("application/json") and reply.body:
                try:
                    return json.loads(reply.body)
                except ValueError:
                    return None
            return None

        return self.transport.retrying(what, attempt, cancel)
