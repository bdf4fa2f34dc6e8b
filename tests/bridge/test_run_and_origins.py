"""`assistant run --headless` as a user starts it, one instance only; `assistant origins`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.bridge import instance
from assistant.cli import main
from tests.bridge.helpers import ROOT, call

PAGE = "https://marches.example.fr"


def _start(home: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, ASSISTANT_HOME=str(home))
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "run", "--headless", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_headless_run_prints_its_url_and_a_second_instance_does_not_start(assistant_home: Path) -> None:
    first = _start(assistant_home, "--port", "0")
    try:
        assert first.stdout is not None
        url = first.stdout.readline().strip()
        assert url.startswith("https://127.0.0.1:"), first.stderr.read() if first.stderr else ""
        also = [first.stdout.readline().strip() for _ in range(2)]
        assert any(line.startswith("aussi : https://[::1]:") for line in also)
        assert any(line.startswith("aussi : http://127.0.0.1:") for line in also)
        import ssl
        import urllib.request

        context = ssl.create_default_context(cafile=str(assistant_home / "data" / "bridge" / "ca.pem"))
        with urllib.request.urlopen(f"{url}/v1/status", context=context, timeout=10) as response:
            assert response.status == 200
        running = instance.running_instance(assistant_home / "state")
        assert running is not None and running["url"] == url and running["pid"] == first.pid

        second = subprocess.run(
            [sys.executable, "-m", "assistant", "run", "--headless"],
            cwd=ROOT,
            env=dict(os.environ, ASSISTANT_HOME=str(assistant_home)),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0
        assert second.stdout.strip() == url
        assert "déjà lancé" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(20) == 0
    assert instance.running_instance(assistant_home / "state") is None
    assert not (assistant_home / "state" / "bridge.json").exists()


def test_headless_refuses_a_pin_variable_without_a_key(assistant_home: Path) -> None:
    proc = _start(assistant_home, "--port", "0", "--pin-env", "SOME_VAR")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "--pin-env demande --key" in err


def test_instance_lock_is_exclusive(tmp_path: Path) -> None:
    first = instance.InstanceLock(tmp_path)
    assert first.acquire()
    first.publish({"url": "https://127.0.0.1:1"})
    assert not instance.InstanceLock(tmp_path).acquire()
    assert instance.running_instance(tmp_path) == {"url": "https://127.0.0.1:1", "pid": os.getpid()}
    first.release()
    assert instance.running_instance(tmp_path) is None
    assert instance.InstanceLock(tmp_path).acquire()


def test_origins_commands_and_a_running_bridge_follows_them(start_bridge, capsys) -> None:
    run = start_bridge()
    assert call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}).status == 403
    assert main(["origins", "add", "https://Marches.Example.FR:443/"]) == 0
    assert "Plateforme autorisée : https://marches.example.fr" in capsys.readouterr().out
    assert main(["origins", "list"]) == 0
    assert capsys.readouterr().out.strip() == PAGE
    # A page of the platform connected (the user typed the assistant's code into it).
    key = run.bridge.api.access.issue(PAGE)
    reply = call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, key=key)
    assert reply.status == 200  # picked up without a restart
    assert main(["origins", "remove", PAGE]) == 0
    time.sleep(0.01)
    assert call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, key=key).status == 403
    assert main(["origins", "add", PAGE]) == 0
    assert call(run.bridge, "GET", "/v1/jobs", headers={"Origin": PAGE}, key=key).status == 401  # key withdrawn
    assert main(["origins", "remove", PAGE]) == 0
    assert main(["origins", "remove", PAGE]) == 1
    for bad in ("http://marches.example.fr", "https://marches.example.fr/chemin", "null", "javascript:alert(1)"):
        assert main(["origins", "add", bad]) == 1
    assert main(["origins", "list"]) == 0
    assert "Aucune plateforme autorisée" in capsys.readouterr().out


def test_headless_demo_page_connects_with_the_code_printed_on_stderr(assistant_home: Path) -> None:
    """`assistant run --headless --demo`: nobody sees a window, so the connection code of the demo
    page goes to the terminal of the user who runs the assistant (stderr), and only that code works."""
    import json as json_
    import re
    import threading
    import urllib.error
    import urllib.request

    proc = _start(assistant_home, "--port", "0", "--demo")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        assert proc.stdout is not None
        printed: list[str] = []
        while not printed or not printed[-1].startswith("démo : "):
            printed.append(proc.stdout.readline().strip())
            assert printed[-1] or proc.poll() is None, lines
        demo = printed[-1].split(" : ", 1)[1]
        http = next(u.split(" : ", 1)[-1] for u in printed if "http://127.0.0.1:" in u and not u.startswith("démo"))

        def post(path: str, body: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
            data = json_.dumps(body).encode() if body is not None else None
            headers = {"Origin": demo, **({"Content-Type": "application/json"} if data else {})}
            request = urllib.request.Request(http + path, data=data, method="POST", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return answer.status, json_.loads(answer.read())
            except urllib.error.HTTPError as exc:
                return exc.code, json_.loads(exc.read())

        status, opened = post("/v1/access")
        assert status == 202, opened
        deadline = time.monotonic() + 10
        code = None
        while code is None and time.monotonic() < deadline:
            found = [m.group(1) for line in list(lines) if (m := re.search(r"code (\d{6})", line)) and demo in line]
            code = found[-1] if found else None
            time.sleep(0.1)
        assert code is not None, lines
        status, granted = post(f"/v1/access/{opened['claim']}", {"code": code})
        assert status == 200 and granted["key"].startswith("amp1_")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
