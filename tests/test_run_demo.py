"""The README's run command: `assistant run --demo` shows the window, the bridge and the demo platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def test_run_demo_starts_window_bridge_and_demo_platform(assistant_home: Path) -> None:
    assert os.environ.get("DISPLAY"), "tests/run.sh runs the suite under Xvfb"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "run", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("Plateforme de démonstration : http://127.0.0.1:"), first
        demo_url = first.split(" : ", 1)[1]
        page = urllib.request.urlopen(demo_url + "/", timeout=10).read().decode()
        assert "Plateforme de démonstration" in page
        # The running instance publishes its bridge; a page on the demo origin may use it.
        deadline = time.monotonic() + 20
        info: dict[str, object] = {}
        while time.monotonic() < deadline and not info:
            for file in (assistant_home / "state").glob("*.json"):
                info = json.loads(file.read_text())
            time.sleep(0.2)
        http_url = next(u for u in info["urls"] if str(u).startswith("http://"))  # type: ignore[attr-defined]
        request = urllib.request.Request(f"{http_url}/v1/status", headers={"Origin": demo_url})
        status = json.loads(urllib.request.urlopen(request, timeout=10).read())
        assert status["state"] and status["version"]
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.terminate()
        proc.wait(timeout=20)
