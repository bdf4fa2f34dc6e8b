"""Headless Chromium calls the bridge from real pages, with the JS client the platforms include.

The bridge's CA is trusted the way a user's `assistant bridge trust` does it: added with certutil
to the NSS database of the HOME Chromium runs with. No certificate error is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.bridge import trust
from tests import pki
from tests.bridge.cdp import Chromium, Page
from tests.bridge.conftest import Running, fetch_descriptor
from tests.bridge.helpers import CLIENT_JS, PageServer, call, connect, connect_demo_page

PIN_ENV = "AMP_BRIDGE_TEST_PIN"


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    server = PageServer()
    yield server
    server.close()


def _browser(tmp_path: Path, run: Running, *flags: str) -> Chromium:
    home = tmp_path / "browser-home"
    home.mkdir(exist_ok=True)
    assert run.bridge.identity is not None
    outcomes = trust.trust(run.bridge.identity, home=home, platform="linux")
    assert all(o.ok for o in outcomes), outcomes
    return Chromium(tmp_path / "profile", home=home, extra_flags=list(flags))


def _load_client(page: Page) -> str:
    """Import the client module into the page (as a blob of the file's exact text)."""
    source = json.dumps(CLIENT_JS.read_text(encoding="utf-8"))
    return f"const m = await import(URL.createObjectURL(new Blob([{source}], {{type: 'text/javascript'}})));"


def _client(run: Running) -> str:
    return json.dumps([run.bridge.url, f"http://127.0.0.1:{run.bridge.http_port}"])


def _storage(key: str | None) -> str:
    """A storage holding the page's access key, as left by an earlier connection."""
    value = json.dumps(json.dumps({"key": key})) if key else "null"
    return (
        "{data: {}, getItem(k) { return k in this.data ? this.data[k] : " + value + "; },"
        " setItem(k, v) { this.data[k] = v; }, removeItem(k) { this.data[k] = null; }}"
    )


def _scenario(page: Page, run: Running, body: str, *, key: str | None = None) -> Any:
    return page.evaluate(
        "(async () => {"
        + _load_client(page)
        + f"const client = new m.AssistantClient({{urls: {_client(run)}, timeoutMs: 3000, storage: {_storage(key)}}});"
        + "const badge = document.createElement('div'); document.body.appendChild(badge);"
        + body
        + "})()",
        timeout=120,
    )


def test_demo_page_signs_through_the_bridge(
    tmp_path: Path, start_bridge, demo_platform, softhsm_token, test_pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo platform's own page detects the assistant, queues a PAdES signature of its files
    and follows it to the end; the operator approved the SoftHSM2 key for this headless session."""
    monkeypatch.setenv(PIN_ENV, pki.TOKEN_PIN)
    from cryptography.hazmat.primitives import hashes

    # The operator configured the card's module and approved one certificate by its fingerprint.
    run = start_bridge(
        approved=(demo_platform.url,),
        key_spec="sha256:" + test_pki.signer.certificate.fingerprint(hashes.SHA256()).hex(),
        pin_env=PIN_ENV,
        pkcs11_modules=(softhsm_token.module,),
    )
    seen: list[tuple[str, str, Any]] = []
    run.engine.subscribe(lambda e: seen.append((e.kind, e.job.state.value, e.job.progress.percent)))
    to_sign = fetch_descriptor(demo_platform, "sign", "?format=pades")["params"]["files"]
    signatures = demo_platform.data_dir / "uploads" / "signatures"
    before = set(signatures.glob("*")) if signatures.exists() else set()
    with _browser(tmp_path, run) as browser:
        page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
        connect_demo_page(page, run, demo_platform.url)
        result = page.evaluate(
            """(async () => {
            const badge = document.getElementById('etat-assistant');
            const until = async (test, ms) => { const end = Date.now() + ms;
                while (!test()) { if (Date.now() > end) return false; await new Promise(r => setTimeout(r, 50)); }
                return true; };
            // The page wires its buttons once the assistant is detected and the consultations listed.
            await until(() => badge.dataset.state === 'online' && document.querySelector('#consultations tbody tr'), 20000);
            document.querySelector('button[data-kind="sign"][data-query="format=pades"]').click();
            const done = await until(() => { const li = document.querySelector('#traitements li');
                return li && ['succeeded', 'failed', 'cancelled'].includes(li.className); }, 90000);
            const li = document.querySelector('#traitements li');
            return {done, badge: badge.innerText, state: li.className, text: li.innerText, page: document.body.innerText};
        })()""",
            timeout=120,
        )
    assert "Etat de l'Assistant Marchés Publics : En ligne" in result["badge"]
    assert result["done"], result["page"]
    assert result["state"] == "succeeded", result["text"]
    assert f"{len(to_sign)} fichier(s) signé(s)" in result["text"]
    assert "Avancement global : 100 %" in result["text"]
    # The page followed the job's events: the engine emitted progress, and the page saw the end.
    kinds = [k for k, _state, _pct in seen]
    assert "progress" in kinds and seen[-1][1] == "succeeded"
    # The signed files reached the platform; nothing secret reached the page.
    assert len(set(signatures.glob("*")) - before) >= len(to_sign)
    assert pki.TOKEN_PIN not in result["page"]
    assert softhsm_token.module not in result["page"]
    [job] = run.engine.jobs()
    assert job.type.value == "sign" and job.origin == demo_platform.url


def test_client_follows_a_job_from_snapshot_to_end(tmp_path: Path, start_bridge, demo_platform, slow_platform) -> None:
    slow_platform(1_500_000)
    run = start_bridge(approved=(demo_platform.url,))
    key = connect(run.bridge, demo_platform.url)
    with _browser(tmp_path, run) as browser:
        page = browser.open_page(f"{demo_platform.url}/api/info")
        result = _scenario(
            page,
            run,
            key=key,
            body="""
            const found = await client.detect();
            const job = await client.queueJob(await (await fetch('/api/descriptors/download')).json());
            const events = [];
            const final = await client.followJob(job.id, (kind, j) => events.push({kind, state: j.state,
                percent: j.progress.percent}));
            const again = await client.followJob(job.id);  // a finished job: snapshot then end at once
            return {found, job, events, final, again, listed: (await client.listJobs()).map(j => j.id)};
        """,
        )
    assert result["found"]["connected"] and result["found"]["baseUrl"] == run.bridge.url
    kinds = [e["kind"] for e in result["events"]]
    assert kinds[0] == "snapshot" and kinds[-1] == "end" and "progress" in kinds
    percents = [e["percent"] for e in result["events"] if e["percent"] is not None]
    assert percents == sorted(percents) and percents[-1] == 100
    assert result["final"]["state"] == "succeeded" and result["again"]["state"] == "succeeded"
    assert result["listed"] == [result["job"]["id"]]
    assert "token" not in json.dumps(result["final"]["params"])


def test_unapproved_page_is_refused_and_no_job_is_created(
    tmp_path: Path, start_bridge, demo_platform, page_server: PageServer
) -> None:
    run = start_bridge(approved=(demo_platform.url,))
    descriptor = fetch_descriptor(demo_platform, "download")
    with _browser(tmp_path, run) as browser:
        page = browser.open_page(f"{page_server.origin}/")
        result = _scenario(
            page,
            run,
            f"""
            const found = await client.detect();
            m.renderStatus(badge, found);
            let error = null;
            try {{ await client.queueJob({json.dumps(descriptor)}); }}
            catch (e) {{ error = {{code: e.code, message: e.message}}; }}
            let access = null;
            try {{ await client.connect(); }} catch (e) {{ access = e.code; }}
            let direct = null;
            try {{ await fetch('{run.bridge.url}/v1/jobs', {{method: 'POST', body: '{{}}',
                    headers: {{'Content-Type': 'text/plain'}}}}); direct = 'read'; }}
            catch (e) {{ direct = 'blocked'; }}
            return {{found, badge: badge.innerText, error, direct, access}};
        """,
        )
    assert result["found"]["online"] is True
    assert result["found"]["connected"] is False
    assert "connexion requise" in result["badge"]
    assert result["error"]["code"] == "not_connected"
    assert "pas connectée" in result["error"]["message"]
    assert result["direct"] == "blocked"  # a simple (no-preflight) POST is refused too, unreadable
    assert run.engine.jobs() == []
    assert run.bridge.prompter is not None
    run.bridge.prompter.wait_idle()
    assert run.interaction.asked == [page_server.origin]  # the page asked to connect; the user said no
    assert not run.bridge.registry.is_approved(page_server.origin)
    assert result["access"] is None  # the claim was opened; the user's "no" comes with the code


def test_rebinding_host_is_refused_in_the_browser(tmp_path: Path, start_bridge, page_server: PageServer) -> None:
    """evil.example resolves to 127.0.0.1 (as after a DNS rebinding): its pages reach the bridge's
    port as same-origin, and get 421 for everything; no job is created."""
    run = start_bridge(approved=(page_server.origin,))
    port = run.bridge.http_port
    with _browser(tmp_path, run, "--host-resolver-rules=MAP evil.example 127.0.0.1") as browser:
        page = browser.open_page(f"http://evil.example:{port}/v1/status")
        result = page.evaluate("""(async () => {
            const status = await fetch('/v1/status');
            const post = await fetch('/v1/jobs', {method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({version: 1, type: 'diagnose', params: {}})});
            return {landing: document.body.innerText, status: status.status, body: await status.json(),
                    post: post.status};
        })()""")
    assert result["status"] == 421 and result["post"] == 421
    assert result["body"]["code"] == "host_refused"
    assert "host_refused" in result["landing"]
    assert run.engine.jobs() == []
    assert call(run.bridge, "GET", "/v1/status", tls=False).status == 200


def test_offline_page_explains_what_to_install(tmp_path: Path, start_bridge, page_server: PageServer) -> None:
    run = start_bridge()
    run.bridge.stop()  # nothing listens any more on its ports
    with _browser(tmp_path, run) as browser:
        page = browser.open_page(f"{page_server.origin}/")
        result = _scenario(
            page,
            run,
            """
            const found = await client.detect();
            m.renderStatus(badge, found);
            return {found, badge: badge.innerText, state: badge.dataset.state,
                    defaults: m.candidateUrls()};
        """,
        )
    assert result["found"]["online"] is False and not result["found"].get("blocked")  # not installed, not refused
    assert result["state"] == "offline"
    assert "Etat de l'Assistant Marchés Publics : Hors ligne" in result["badge"]
    assert "Télécharger l'application" in result["badge"]
    assert result["defaults"] == [
        "https://127.0.0.1:17443",
        "https://127.0.0.1:17453",
        "https://127.0.0.1:17463",
        "http://127.0.0.1:17444",
        "http://127.0.0.1:17454",
        "http://127.0.0.1:17464",
    ]
