"""The demo platform as a separate process, as a user (or a platform) would run it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def assistant_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def assistant_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ASSISTANT_HOME"] = str(home)
    env["ASSISTANT_DEMO"] = "1"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env["PYTHONPATH"] = str(ROOT)
    return env


class DemoProcess:
    def __init__(self, home: Path, data_dir: Path, *extra: str) -> None:
        self.home = home
        self.data_dir = data_dir
        self.extra = list(extra)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> DemoProcess:
        port_file = self.data_dir.parent / f"demo-url-{os.getpid()}-{time.monotonic_ns()}"
        args = [
            "demo",
            "--data-dir",
            str(self.data_dir),
            "--test-hooks",
            "--port",
            str(self.port),
            "--port-file",
            str(port_file),
            *self.extra,
        ]
        self.proc = subprocess.Popen(
            assistant_cmd(*args), env=assistant_env(self.home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"demo platform exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError("demo platform did not start")
            time.sleep(0.05)
        self.url = port_file.read_text()
        self.port = int(self.url.rsplit(":", 1)[1])
        port_file.unlink()
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def restart(self) -> None:
        """Kill the server outright and start it again on the same port."""
        self.kill()
        self.start()

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("/api/stats")
        return result

    def faults(self, **kwargs: Any) -> None:
        self.post("/api/test/faults", kwargs)
