"""Headless Chromium driven through the DevTools protocol over a pipe (no extra library).

Chromium is started with `--remote-debugging-pipe`: it reads JSON commands, each ended by a NUL
byte, on fd 3 and writes answers and events the same way on fd 4. Nothing listens on a port, so
parallel test runs cannot reach each other's browser.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

from tests.pki import require_tool

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
]


class CdpError(RuntimeError):
    pass


class Chromium:
    def __init__(self, profile: Path, *, home: Path | None = None, extra_flags: list[str] | None = None) -> None:
        binary = require_tool("chromium")
        to_child_r, self._to_child_w = os.pipe()
        self._from_child_r, from_child_w = os.pipe()

        def wire_pipes() -> None:  # runs in the child, before exec
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        env = dict(os.environ)
        if home is not None:
            env["HOME"] = str(home)  # Chromium reads the NSS database of $HOME/.pki/nssdb
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *(extra_flags or []), "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            close_fds=False,
            preexec_fn=wire_pipes,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._next_id = 0
        self._lock = threading.Lock()
        self._pending: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self._stderr: list[bytes] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    def _read_loop(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child_r, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._cond.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                with self._cond:
                    if "id" in message:
                        self._pending[message["id"]] = message
                    else:
                        self._events.append(message)
                    self._cond.notify_all()

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None, timeout: float = 60.0
    ) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child_w, json.dumps(message).encode() + b"\0")
        with self._cond:
            if not self._cond.wait_for(lambda: ident in self._pending or self.proc.poll() is not None, timeout):
                raise CdpError(f"no answer to {method} within {timeout}s")
            if ident not in self._pending:
                raise CdpError(f"chromium exited: {b''.join(self._stderr)[-2000:]!r}")
            answer = self._pending.pop(ident)
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def events(self, method: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self._events if e.get("method") == method]

    def open_page(self, url: str, *, timeout: float = 30.0) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Network.enable")
        page.navigate(url, timeout=timeout)
        return page

    def close(self) -> None:
        with contextlib.suppress(CdpError):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self._to_child_w)
        os.close(self._from_child_r)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session

    def send(self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 60.0) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def navigate(self, url: str, *, timeout: float = 30.0) -> None:
        result = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise CdpError(f"navigation to {url} failed: {result['errorText']}")
        self.evaluate(
            "new Promise(r => document.readyState === 'complete' ? r(1) : addEventListener('load', () => r(1)))",
            timeout=timeout,
        )

    def evaluate(self, expression: str, *, timeout: float = 60.0) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True, "timeout": int(timeout * 1000)},
            timeout=timeout + 5,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"page script failed: {text}")
        return result.get("result", {}).get("value")
