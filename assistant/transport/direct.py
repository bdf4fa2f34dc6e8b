"""File transfers over plain http.client keep-alive connections, one per worker thread.

For hundreds of small files the per-request cost of the HTTP library is what remains once the
bytes go straight from the socket into reused buffers: measured on loopback (500 x 200 KB,
4 workers), http.client took 0.34 s where urllib3's pool took 0.43 s for the same loop. So
direct connections (no proxy) use http.client: each worker thread keeps its own connection
to each host (no pool lock, no per-call option merging), and a kept-alive connection the
server closed in the meantime is reopened at once, once, before it counts as a failure.
Transfers through a proxy keep urllib3 (`Transport`'s pools), which knows CONNECT.

Certificates are checked with the SSLContext `Transport` builds once from
`assistant.tls.tls_context` (http.client here and urllib3 get the same one). Every request of the
transport that goes direct comes here: descriptors, files, uploads, reports, pairing calls.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

BLOCKSIZE = 1 << 16  # bytes per send of a file body (http.client's default is 8 KiB)
#: Errors that mean "the idle keep-alive connection was closed by the server": worth one
#: immediate retry on a fresh connection when the connection had already served a request.
#: Over TLS a server that closes without close_notify shows as SSLEOFError.
_STALE = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
    ssl.SSLEOFError,
)


class DirectResponse:
    """The few things the download path needs, under the names urllib3 gives them."""

    def __init__(
        self, response: http.client.HTTPResponse, connections: DirectConnections, key: tuple[str, str, int]
    ) -> None:
        self._fp = response  # read by transport._filler (readinto1 with length bookkeeping)
        self.status = response.status
        self.headers = response.headers
        self._connections = connections
        self._key = key

    def read1(self, size: int, decode_content: bool = False) -> bytes:
        return self._fp.read1(size)

    def release_conn(self) -> None:
        """Keep the connection for the next file only if this body was read to its end."""
        if not self._fp.isclosed():
            self._connections.drop(self._key)

    def close(self) -> None:
        self._fp.close()
        self._connections.drop(self._key)


class DirectConnections:
    def __init__(self, *, timeout: float, tls: Callable[[], ssl.SSLContext], user_agent: str) -> None:
        """`tls()` gives the client's SSLContext; it is asked only when an https URL is opened
        (loading the system's roots costs milliseconds a plain-HTTP demo run never pays)."""
        self.timeout = timeout
        self._tls = tls
        self.user_agent = user_agent
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _mine(self) -> dict[tuple[str, str, int], http.client.HTTPConnection]:
        mine: dict[tuple[str, str, int], http.client.HTTPConnection] | None = getattr(self._local, "connections", None)
        if mine is None:
            mine = self._local.connections = {}
        return mine

    def drop(self, key: tuple[str, str, int]) -> None:
        connection = self._mine().pop(key, None)
        if connection is not None:
            connection.close()
            with self._lock:
                if connection in self._all:
                    self._all.remove(connection)

    def request(
        self, method: str, url: str, headers: Mapping[str, str], body: Callable[[], Any] | None = None
    ) -> DirectResponse:
        """Send `method` to `url`; raises OSError / http.client.HTTPException (the caller decides
        what is transient). `body()` gives the body from its start, for each send."""
        parts = urlsplit(url)
        scheme = parts.scheme
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": self.user_agent, **headers}
        for _ in range(2):
            connections = self._mine()
            connection = connections.get(key)
            reused = connection is not None
            if connection is None:
                connection = self._open(scheme, host, port)
                connections[key] = connection
            try:
                connection.request(method, target, body=body() if body is not None else None, headers=headers)
                response = connection.getresponse()
            except _STALE:
                self.drop(key)
                if reused:
                    continue  # the server closed our idle connection: a fresh one, now
                raise
            except BaseException:
                self.drop(key)
                raise
            return DirectResponse(response, self, key)
        raise http.client.RemoteDisconnected(_("connexion fermée par le serveur"))

    def _open(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=self._tls(), blocksize=BLOCKSIZE
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout, blocksize=BLOCKSIZE)
        with self._lock:
            self._all.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()

    def __repr__(self) -> str:
        return "<DirectConnections>"
