"""Another Unix user of the machine gets nothing from the bridge, and cannot pose as it.

As a second user (setpriv): forging the Origin of an approved platform lists nothing and creates
nothing without the page's access key. The same user squatting a port the page tries: the JS client
in Chromium finds that it cannot prove it holds the page's key, sends it neither the key nor any
job, says so, and uses the real assistant when it answers on another port.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bridge.conftest import Running
from tests.bridge.helpers import CLIENT_JS, PageServer
from tests.bridge.other_user import OtherUser, ensure_other_user
from tests.bridge.test_chromium import _browser, _storage
from tests.pki import require_tool

DIAGNOSE = json.dumps({"version": 1, "type": "diagnose", "label": "Consultation 2026-042 Mairie", "params": {}})

#: A server that answers like the assistant (same status, CORS for any page) but is not: it does
#: not hold the page's key. It prints every request it gets, with its Authorization header.
SQUATTER = r"""
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def _answer(self, status, body):
        origin = self.headers.get("Origin") or "*"
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Access-Control-Allow-Headers", "authorization, content-type")
        self.send_header("Access-Control-Allow-Methods", "GET, POST")
        self.send_header("Access-Control-Allow-Private-Network", "true")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def _log(self):
        print(json.dumps({"method": self.command, "path": self.path,
                          "authorization": self.headers.get("Authorization")}), flush=True)
    def do_OPTIONS(self):
        self._log(); self._answer(204, {})
    def do_GET(self):
        self._log()
        query = self.path.partition("?")[2]
        key = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("key", "")
        self._answer(200, {"name": "Assistant Marchés Publics", "version": "1.0", "protocol_version": 1,
                           "state": "ready", "capabilities": ["sign"], "origin_approved": True,
                           "identity": {"key": key, "proof": "0" * 64, "ca_fingerprint_sha256": "ab" * 32}})
    def do_POST(self):
        self._log(); self._answer(202, {"id": "stolen", "state": "queued"})
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
server.serve_forever()
"""


@pytest.fixture(scope="module")
def other_user() -> OtherUser:
    return ensure_other_user()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def squatter(other_user: OtherUser) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The squatting server, run by the other user; yields its URL and the requests it received."""
    python = "/usr/bin/python3"
    script = Path(tempfile.mkdtemp(prefix="squatter-")) / "squatter.py"
    script.parent.chmod(0o755)
    script.write_text(SQUATTER, encoding="utf-8")
    script.chmod(0o644)
    port = _free_port()
    proc = other_user.popen(python, str(script), str(port))
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    seen: list[dict[str, Any]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{"):
                seen.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    yield f"http://127.0.0.1:{port}", seen
    proc.terminate()
    proc.wait(10)
    reader.join(5)


def _curl(
    other_user: OtherUser,
    run: Running,
    method: str,
    path: str,
    origin: str,
    body: str | None = None,
    key: str | None = None,
) -> tuple[int, str]:
    curl = require_tool("curl")
    argv = [curl, "-s", "-k", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H", f"Origin: {origin}"]
    if body is not None:
        argv += ["-H", "Content-Type: application/json", "--data-binary", body]
    if key is not None:
        argv += ["-H", f"Authorization: Bearer {key}"]
    result = other_user.run(*argv, f"{run.bridge.url}{path}")
    text, _, status = result.stdout.rpartition("\n")
    return int(status), text


def test_another_user_forging_an_approved_origin_gets_nothing(start_bridge, other_user: OtherUser) -> None:
    page = "https://marches.example.fr"
    run = start_bridge(approved=(page,))
    key = run.bridge.api.access.issue(page)
    # The user's own page queued a job (its label names a consultation).
    mine = json.loads(_curl_as_self(run, page, key))
    assert mine["state"] in ("queued", "running", "succeeded")
    # The other user, with the approved Origin but without the page's key: nothing listed, nothing made.
    for method, path, body in (
        ("GET", "/v1/jobs", None),
        ("GET", f"/v1/jobs/{mine['id']}", None),
        ("GET", f"/v1/jobs/{mine['id']}/events", None),
        ("POST", "/v1/jobs", DIAGNOSE),
        ("POST", f"/v1/jobs/{mine['id']}/cancel", "{}"),
        ("GET", "/v1/diagnostics", None),
    ):
        status, text = _curl(other_user, run, method, path, page, body)
        assert status == 401, (method, path, status, text)
        assert json.loads(text)["code"] == "access_required"
        assert "Mairie" not in text and mine["id"] not in text
    # A guessed or stale key is refused the same way.
    status, _text = _curl(other_user, run, "GET", "/v1/jobs", page, key="amp1_0123456789abcdef_" + "A" * 43)
    assert status == 401
    assert [j.id for j in run.engine.jobs()] == [mine["id"]]
    # The status stays readable (it is how a page finds the assistant); it says nothing about jobs.
    status, text = _curl(other_user, run, "GET", "/v1/status", page)
    assert status == 200 and "jobs" not in json.loads(text)
    # Asking to be connected only puts a question with a code in front of the user; the other
    # user never sees the code, and three guesses end the claim.
    status, text = _curl(other_user, run, "POST", "/v1/access", page)
    assert status == 202 and "code" not in json.loads(text)
    claim = json.loads(text)["claim"]
    run.bridge.prompter.wait_idle()
    shown = run.interaction.codes[page]
    guesses = [f"{(int(shown) + i) % 1_000_000:06d}" for i in (1, 2, 3)]
    answers = [_curl(other_user, run, "POST", f"/v1/access/{claim}", page, json.dumps({"code": g}))[0] for g in guesses]
    assert answers == [403, 403, 403]
    assert _curl(other_user, run, "POST", f"/v1/access/{claim}", page, json.dumps({"code": shown}))[0] == 404
    assert run.bridge.api.access.origins() == {page: 2}  # the two keys handed to the user's pages, no third


def _curl_as_self(run: Running, page: str, key: str) -> str:
    import subprocess

    curl = require_tool("curl")
    result = subprocess.run(
        [
            curl,
            "-s",
            "-k",
            "-X",
            "POST",
            "-H",
            f"Origin: {page}",
            "-H",
            f"Authorization: Bearer {key}",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            DIAGNOSE,
            f"{run.bridge.url}/v1/jobs",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def test_the_js_client_detects_a_squatter_and_sends_it_nothing(tmp_path: Path, start_bridge, squatter) -> None:
    squatter_url, seen = squatter
    page_server = PageServer()
    try:
        origin = page_server.origin
        run = start_bridge(approved=(origin,))
        key = run.bridge.api.access.issue(origin)
        real = f"http://127.0.0.1:{run.bridge.http_port}"
        source = json.dumps(CLIENT_JS.read_text(encoding="utf-8"))
        load = f"const m = await import(URL.createObjectURL(new Blob([{source}], {{type: 'text/javascript'}})));"
        with _browser(tmp_path, run) as browser:
            page = browser.open_page(f"{origin}/")
            result = page.evaluate(
                "(async () => {"
                + load
                + f"const storage = {_storage(key)};"
                + f"const only = new m.AssistantClient({{urls: [{json.dumps(squatter_url)}], storage}});"
                + """
                const alone = await only.detect();
                const badge = document.createElement('div'); document.body.appendChild(badge);
                m.renderStatus(badge, alone);
                let refused = null;
                try { await only.queueJob({version: 1, type: 'diagnose', params: {}}); }
                catch (e) { refused = e.code; }
                """
                + f"const both = new m.AssistantClient({{urls: [{json.dumps(squatter_url)}, {json.dumps(real)}], storage}});"
                + """
                const found = await both.detect();
                const job = await both.queueJob({version: 1, type: 'diagnose', params: {}});
                return {alone, badge: badge.innerText, refused, found, job};
            })()""",
                timeout=60,
            )
    finally:
        page_server.close()
    # Alone on the port, the squatter is seen as an impostor: the page says so and queues nothing.
    assert result["alone"]["connected"] is False and result["alone"]["foreign"] is True
    assert "n'a pas pu prouver qu'il s'agit de votre assistant" in result["badge"]
    assert result["refused"] == "not_connected"
    # With the real assistant on the next port, the client skips the squatter and uses it.
    assert result["found"]["connected"] is True and result["found"]["baseUrl"] == real
    assert result["job"]["state"] in ("queued", "running", "succeeded")
    assert [j.origin for j in run.engine.jobs()] == [origin]
    # The squatter got status probes only: never the key, never a job.
    time.sleep(0.3)
    seen_after = list(seen)
    assert seen_after, "the squatter was never asked"
    assert all(r["method"] in ("GET", "OPTIONS") and r["path"].startswith("/v1/status") for r in seen_after), seen_after
    assert all(not r["authorization"] for r in seen_after)
    assert key not in json.dumps(seen_after)
