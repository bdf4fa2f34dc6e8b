"""The bridge's listeners: HTTPS on 127.0.0.1 and ::1, plain HTTP on 127.0.0.1, nothing else.

The standard library's ThreadingHTTPServer is enough here and keeps the attack surface to code
that ships with Python: the load is one user's browser (a few requests per second, a handful of
event streams), and each connection gets a thread, which suits server-sent events. What it lacks
we add: the TLS handshake is done in the connection's own thread (a slow client cannot stall the
accept loop), each request has a deadline for its headers and body and each listener its own cap
on connections (assistant.bridge.connections: slow clients cannot hold the bridge), and every
error answer is JSON (the stock ones are HTML).

Ports: the default (Settings.bridge_port, 17443) and two documented fallbacks (+10, +20); the
plain-HTTP listener takes the HTTPS port + 1. Pages try them in that order (see
resources/js/assistant-client.js and docs/bridge.md).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import ssl
import sys
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assistant import APP_NAME
from assistant.bridge import ca, tls
from assistant.bridge.access import AccessStore
from assistant.bridge.api import BridgeApi, EngineLike, Request, Response
from assistant.bridge.connections import MAX_CONNECTIONS_PER_LISTENER, REQUEST_DEADLINE, ConnectionTable, Reaper
from assistant.bridge.errors import BridgeCode
from assistant.bridge.guards import Rate, RateLimiter
from assistant.bridge.origins import ConsentPrompter, OriginRegistry
from assistant.errors import AssistantError
from assistant.i18n import M_, fr_en
from assistant.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_PORT = 17443
#: Fallbacks are the default port plus these offsets, tried in this order.
FALLBACK_OFFSETS = (0, 10, 20)
#: The plain-HTTP listener's port is the HTTPS port plus this.
HTTP_PORT_OFFSET = 1
#: Seconds a connection may stay silent while the bridge writes to it (the request itself has the
#: stricter REQUEST_DEADLINE of assistant.bridge.connections).
IDLE_TIMEOUT = 20.0
#: A refused request's body is read away up to this size before the answer's connection closes.
DISCARD_LIMIT = 1024 * 1024


def candidate_ports(base: int = DEFAULT_PORT) -> list[int]:
    return [base + offset for offset in FALLBACK_OFFSETS]


class BridgeStartError(AssistantError):
    code: str = BridgeCode.BRIDGE_START


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AssistantMarchesPublics"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: _Listener
    slot: int = 0
    _first = True

    def setup(self) -> None:
        super().setup()
        self.slot = self.server.local.slot

    def handle_one_request(self) -> None:
        # The first request's deadline runs from the accept (the TLS handshake counts); each
        # following one on a keep-alive connection gets its own from now.
        if not self._first:
            self.server.table.waiting(self.slot)
        self._first = False
        super().handle_one_request()

    def _dispatch(self) -> None:
        headers = {k: v for k, v in self.headers.items()}
        consumed = False
        table = self.server.table
        if (self.headers.get("Content-Length") or "0").strip() in ("", "0") and not self.headers.get(
            "Transfer-Encoding"
        ):
            table.working(self.slot)  # nothing more to read: the work itself has no deadline

        def read_body(length: int) -> bytes:
            nonlocal consumed
            consumed = True
            data = self.rfile.read(length) if length > 0 else b""
            table.working(self.slot)
            return data

        request = Request(
            method=self.command,
            path=self.path,
            headers=headers,
            port=self.server.server_address[1],
            read_body=read_body,
        )
        response = self.server.api.handle(request)
        table.working(self.slot)
        self._write(response)
        if not consumed:
            table.waiting(self.slot)  # reading the refused body away has a deadline too
            self._discard_body()

    def _discard_body(self) -> None:
        """A request refused before its body was read: read the body away (bounded) so that closing
        the connection does not reset it before the client has read our answer."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
        length_text = (self.headers.get("Content-Length") or "0").strip()
        length = int(length_text) if length_text.isdigit() else 0
        if length <= 0:
            return
        if length > DISCARD_LIMIT:
            self.close_connection = True
        left = min(length, DISCARD_LIMIT)
        try:
            while left > 0:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("X-Content-Type-Options", "nosniff")
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
            if response.status >= 400 and response.status not in (404, 429):
                # A refused connection is not reused: its remaining bytes are not trusted.
                self.send_header("Connection", "close")
                self.close_connection = True
            # Headers and body leave in one write: two small writes on a keep-alive connection
            # meet Nagle's algorithm and delayed ACKs (a 40 ms stall per request).
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":
                self._headers_buffer.append(response.body)
            self.flush_headers()
            return
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        self.wfile.flush()
        stream = response.stream
        try:
            for chunk in stream:
                self.wfile.write(chunk)
                self.wfile.flush()
        except (OSError, ssl.SSLError):
            pass  # the page went away
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def __getattr__(self, name: str) -> Any:
        # Any other method goes through the same checks (Host first) and ends in a JSON 405,
        # rather than the stock 501 page.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests (bad request line, too many headers) get a JSON answer too."""
        french, english = fr_en(M_("Requête mal formée."))
        body = json.dumps({"code": BridgeCode.BAD_REQUEST, "message": french, "message_en": english}).encode()
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # answer garbage with a real status line, never HTTP/0.9
        try:
            self.send_response(code if 400 <= code < 600 else 400)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass
        self.close_connection = True

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("bridge %s: " + format, self.address_string(), *args)


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    #: POSIX: SO_REUSEADDR only lets a relaunched assistant take its port back while the last
    #: connections sit in TIME_WAIT (a listening port can never be shared). Not on Windows, where
    #: it would let another program bind the same port.
    allow_reuse_address = sys.platform != "win32"
    #: A burst of connections (a page opening several, or a flood) waits in the kernel's queue
    #: instead of having its SYNs dropped and retried a second later.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        api: BridgeApi,
        context: ssl.SSLContext | None,
        table: ConnectionTable,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.api = api
        self.context = context
        self.table = table
        self.local = threading.local()
        super().__init__(address, _Handler, bind_and_activate=False)
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            self.server_bind()
            self.server_activate()
        except BaseException:
            self.server_close()
            raise

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), slow and useless here.
        import socketserver

        socketserver.TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        slot = self.table.admit(request)
        if slot is None:  # every slot is doing work: this one waits for nothing, it is closed
            self.shutdown_request(request)
            return
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address, slot), name="bridge-connection", daemon=True
        )
        try:
            thread.start()
        except BaseException:
            self.table.release(slot)
            self.shutdown_request(request)
            raise

    def _serve_connection(self, request: Any, client_address: Any, slot: int) -> None:
        self.local.slot = slot
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.table.release(slot)
            self.shutdown_request(request)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(IDLE_TIMEOUT)
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.context is None:
            super().finish_request(request, client_address)
            return
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("bridge: TLS handshake failed: %s", exc)
            return
        self.table.replace_socket(self.local.slot, wrapped)
        try:
            super().finish_request(wrapped, client_address)
        finally:
            with contextlib.suppress(OSError):
                wrapped.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("bridge: connection error", exc_info=True)


class BridgeServer:
    """The local bridge: HTTPS on 127.0.0.1 (and ::1, same port), plain HTTP on 127.0.0.1.

    `port=0` picks free ports (tests); a fixed port is tried, then `fallback_ports` in order.
    """

    def __init__(
        self,
        engine: EngineLike,
        settings: Settings | None,
        interaction: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = True,
        plain_http: bool = True,
        ipv6: bool = True,
        fallback_ports: Sequence[int] = (),
        identity: ca.BridgeIdentity | None = None,
        rates: dict[str, Rate] | None = None,
        registry: OriginRegistry | None = None,
        access: AccessStore | None = None,
        max_connections: int = MAX_CONNECTIONS_PER_LISTENER,
        request_deadline: float = REQUEST_DEADLINE,
    ) -> None:
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError(host)
        except ValueError:
            raise BridgeStartError(
                M_("Le pont local n'écoute que sur l'adresse de bouclage (127.0.0.1 ou ::1)."),
            ) from None
        self.settings = settings or Settings.load()
        self.interaction = interaction
        self.host = host
        self.port = port
        self.tls = tls
        self.plain_http = plain_http
        self.ipv6 = ipv6 and host == "127.0.0.1"
        self.fallback_ports = list(fallback_ports)
        self.identity = identity
        self.registry = registry or OriginRegistry()
        ask = getattr(interaction, "approve_origin", None)
        self.prompter = ConsentPrompter(self.registry, ask) if ask is not None else None
        self.stopping = threading.Event()
        self.api = BridgeApi(
            engine,
            self.registry,
            self.prompter,
            limiter=RateLimiter(rates),
            settings=self.settings,
            stopping=self.stopping,
            access=access,
            fingerprint=lambda: self.identity.ca_fingerprint_sha256 if self.identity is not None else "",
        )
        self._listeners: list[_Listener] = []
        self._threads: list[threading.Thread] = []
        self.max_connections = max_connections
        self.request_deadline = request_deadline
        self._tables: list[ConnectionTable] = []
        self._reaper: Reaper | None = None
        self.https_port: int | None = None
        self.http_port: int | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        context = None
        if self.tls:
            if self.identity is None:
                self.identity, _renewed = ca.ensure()
            context = tls.server_context(self.identity)
        ports = [self.port, *self.fallback_ports] if self.port else [0]
        last_error: OSError | None = None
        for port in ports:
            try:
                self._bind_all(port, context)
                break
            except OSError as exc:
                last_error = exc
                self._close_listeners()
        else:
            raise BridgeStartError(
                M_(
                    "Impossible d'ouvrir le pont local (ports essayés : {ports}) : {error}",
                    ports=", ".join(map(str, ports)),
                    error=last_error,
                )
            )
        for listener in self._listeners:
            thread = threading.Thread(
                target=listener.serve_forever, kwargs={"poll_interval": 0.25}, name="bridge-listener", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self._reaper = Reaper(list(self._tables))
        self._reaper.start()
        log.info("bridge listening on %s", ", ".join(self.urls))

    def _bind_all(self, port: int, context: ssl.SSLContext | None) -> None:
        main = _Listener((self.host, port), self.api, context, self._table())
        self._listeners.append(main)
        bound = main.server_address[1]
        if self.ipv6 and socket.has_ipv6:
            try:
                self._listeners.append(_Listener(("::1", bound), self.api, context, self._table()))
            except OSError as exc:
                if port:  # a fixed port must be ours on both addresses
                    raise
                log.info("bridge: no ::1 listener (%s)", exc)
        if self.tls:
            self.https_port = bound
            if self.plain_http:
                http_port = bound + HTTP_PORT_OFFSET if port else 0
                plain = _Listener(("127.0.0.1", http_port), self.api, None, self._table())
                self._listeners.append(plain)
                self.http_port = plain.server_address[1]
        else:
            self.http_port = bound

    def _table(self) -> ConnectionTable:
        table = ConnectionTable(self.max_connections, self.request_deadline)
        self._tables.append(table)
        return table

    def _close_listeners(self) -> None:
        for listener in self._listeners:
            listener.server_close()
        self._listeners.clear()
        self._tables.clear()

    def stop(self) -> None:
        self.stopping.set()
        if self._reaper is not None:
            self._reaper.stop()
            self._reaper = None
        for listener in self._listeners:
            listener.shutdown()
        for table in self._tables:
            table.close_all()  # kept-alive connections end with the bridge
        self._close_listeners()
        for thread in self._threads:
            thread.join(5)
        self._threads.clear()

    def __enter__(self) -> BridgeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The main URL: HTTPS when TLS is on."""
        if self.tls and self.https_port:
            return f"https://127.0.0.1:{self.https_port}"
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def urls(self) -> list[str]:
        found: list[str] = []
        for listener in self._listeners:
            host, port = str(listener.server_address[0]), int(listener.server_address[1])
            scheme = "https" if listener.context is not None else "http"
            shown = f"[{host}]" if ":" in str(host) else host
            found.append(f"{scheme}://{shown}:{port}")
        return found

    def describe(self) -> dict[str, Any]:
        """What the port file and `assistant bridge status` show."""
        return {
            "name": APP_NAME,
            "url": self.url,
            "urls": self.urls,
            "https_port": self.https_port,
            "http_port": self.http_port,
            "ca_fingerprint_sha256": self.identity.ca_fingerprint_sha256 if self.identity else None,
        }
