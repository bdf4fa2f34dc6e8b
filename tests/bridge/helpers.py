"""Shared pieces of the bridge tests: a running engine + bridge, a tiny page server, HTTP calls."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from assistant.bridge.server import BridgeServer

ROOT = Path(__file__).resolve().parents[2]
CLIENT_JS = ROOT / "resources" / "js" / "assistant-client.js"

BLANK_PAGE = (
    b"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>page</title></head><body></body></html>"
)


class PageServer:
    """Serves a blank page and the JS client on its own loopback port: a distinct web origin."""

    def __init__(self) -> None:
        client = CLIENT_JS.read_bytes()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/js/assistant-client.js"):
                    body, ctype = client, "text/javascript; charset=utf-8"
                else:
                    body, ctype = BLANK_PAGE, "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


#: Access keys the tests' bridges handed to their approved origins: (id(bridge), origin) -> key.
#: `call` presents the right one, as the connected page would; `key=None` sends none.
KEYS: dict[tuple[int, str], str] = {}
AUTO = "auto"


def connect(bridge: BridgeServer, origin: str) -> str:
    """A key for `origin`, as if one of its pages had been connected by the user."""
    key = bridge.api.access.issue(origin)
    KEYS[(id(bridge), origin)] = key
    return key


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def call(
    bridge: BridgeServer,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    tls: bool = True,
    host: str | None = None,
    timeout: float = 20.0,
    key: str | None = AUTO,
) -> Reply:
    """One request to the bridge over a real socket (HTTPS trusting only the bridge's CA)."""
    if tls:
        assert bridge.identity is not None and bridge.https_port is not None
        context = ssl.create_default_context(cafile=str(bridge.identity.ca_path))
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", bridge.https_port, context=context, timeout=timeout
        )
        port = bridge.https_port
    else:
        assert bridge.http_port is not None
        conn = http.client.HTTPConnection("127.0.0.1", bridge.http_port, timeout=timeout)
        port = bridge.http_port
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        sent = dict(headers or {})
        if key == AUTO:
            found = KEYS.get((id(bridge), sent.get("Origin", "")))
            key = found
        if key is not None and not any(name.lower() == "authorization" for name in sent):
            sent["Authorization"] = f"Bearer {key}"
        for name, value in sent.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        return Reply(response.status, dict(response.getheaders()), data)
    finally:
        conn.close()


def connect_demo_page(page: Any, run: Any, origin: str, *, timeout: float = 30.0) -> None:
    """Play the user connecting a page that shows the client's "Connecter l'assistant" form: click
    it, read the code the assistant shows (the test interaction records it), type it, submit."""
    import time

    page.evaluate(
        """(async () => {
            const end = Date.now() + 20000;
            let button;
            while (!(button = document.querySelector('button.assistant-connecter'))) {
                if (Date.now() > end) throw new Error('no connect button: ' + document.body.innerText);
                await new Promise(r => setTimeout(r, 50));
            }
            button.click();
            while (!document.querySelector('.assistant-connexion input[name=code]')) {
                if (Date.now() > end) throw new Error('no code field: ' + document.body.innerText);
                await new Promise(r => setTimeout(r, 50));
            }
            return true;
        })()"""
    )
    deadline = time.monotonic() + timeout
    while origin not in run.interaction.codes:
        assert time.monotonic() < deadline, "the assistant showed no code"
        time.sleep(0.05)
    code = run.interaction.codes[origin]
    typed = f"{code[:3]} {code[3:]}"  # as the user reads it in the dialog
    page.evaluate(
        """(async () => {
            const input = document.querySelector('.assistant-connexion input[name=code]');
            input.value = 'TYPED';
            input.form.requestSubmit();
            const end = Date.now() + 20000;
            while (document.getElementById('etat-assistant').dataset.state !== 'online') {
                if (Date.now() > end) throw new Error('not connected: ' + document.body.innerText);
                await new Promise(r => setTimeout(r, 50));
            }
            return true;
        })()""".replace("TYPED", typed)
    )
