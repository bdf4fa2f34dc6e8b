"""Local Network Access in Chromium: a page served from an address Chromium treats as public reaches
the bridge only once the loopback permission is granted; refused, the page says so and the same jobs
run through the paired pull mode (the demo platform's side, assistant/demo/pull.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import secrets as keyring_secrets
from assistant.bridge import pairing
from tests.bridge.conftest import Running
from tests.bridge.helpers import connect_demo_page
from tests.bridge.test_chromium import _browser

WAIT = """
const until = async (test, ms = 60000) => { const end = Date.now() + ms;
    for (;;) { const v = test(); if (v) return v; if (Date.now() > end) throw new Error('timeout: ' + document.body.innerText);
               await new Promise(r => setTimeout(r, 50)); } };
"""

DOWNLOAD = """
await until(() => document.querySelector('#consultations tbody tr button'));
document.querySelector('#consultations tbody tr button').click();
const item = await until(() => document.querySelector('#traitements li.succeeded, #traitements li.failed'), 90000);
return {cls: item.className, text: item.innerText, badge: document.getElementById('etat-assistant').innerText,
        state: document.getElementById('etat-assistant').dataset.state};
"""


@pytest.fixture
def memory_secrets() -> Iterator[None]:
    """No OS keyring in the tests: the secrets module's own fallback (this process's memory only)."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
    keyring_secrets._memory.clear()


def _public(demo_platform: Any) -> str:
    """Chromium treats the demo platform's address as a public one (a real platform on the Internet)."""
    return f"--ip-address-space-overrides=127.0.0.1:{demo_platform.port}=public"


def _run(page: Any, body: str) -> Any:
    return page.evaluate("(async () => {" + body + "})()", timeout=120)


def test_a_public_page_reaches_the_bridge_once_loopback_access_is_granted(
    tmp_path: Path, start_bridge, demo_platform
) -> None:
    run: Running = start_bridge(approved=(demo_platform.url,))
    with _browser(tmp_path, run, _public(demo_platform)) as browser:
        # First without the permission: headless Chromium cannot show the prompt, which counts as
        # refused: the fetch fails, and the page tells refused from not installed.
        page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
        before = _run(
            page,
            WAIT
            + """
            const badge = document.getElementById('etat-assistant');
            await until(() => badge.dataset.state);
            return {state: badge.dataset.state, permission: (await navigator.permissions.query({name: 'loopback-network'})).state};
        """,
        )
        assert before == {"state": "blocked", "permission": "denied"}
        assert run.engine.jobs() == [] and run.bridge.api.claims._claims == {}
        browser.send("Browser.grantPermissions", {"permissions": ["loopbackNetwork"], "origin": demo_platform.url})
        page.navigate(f"{demo_platform.url}/?bridge={run.bridge.url}")
        connect_demo_page(page, run, demo_platform.url)
        result = _run(page, WAIT + DOWNLOAD)
    assert result["cls"] == "succeeded", result["text"]
    assert result["state"] == "online" and "En ligne" in result["badge"]
    [job] = run.engine.jobs()
    assert job.origin == demo_platform.url and job.type.value == "download"


def test_refused_loopback_access_is_said_and_the_jobs_run_through_the_pull_mode(
    tmp_path: Path, start_bridge, demo_platform, memory_secrets: None
) -> None:
    run: Running = start_bridge()  # the page never connects to the bridge in this test
    poller: pairing.Poller | None = None
    try:
        with _browser(tmp_path, run, _public(demo_platform)) as browser:
            browser.send(
                "Browser.setPermission",
                {"permission": {"name": "loopback-network"}, "setting": "denied", "origin": demo_platform.url},
            )
            page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
            shown = _run(
                page,
                WAIT
                + """
                const badge = document.getElementById('etat-assistant');
                await until(() => badge.dataset.state === 'blocked' && badge.querySelector('button.assistant-associer'));
                const text = badge.innerText;
                badge.querySelector('button.assistant-associer').click();
                const box = await until(() => badge.querySelector('.assistant-association[data-code]'));
                return {text, code: box.dataset.code, command: box.innerText};
            """,
            )
            assert "Accès refusé par le navigateur" in shown["text"]
            assert "refusé à ce site l'accès aux applications de votre appareil" in shown["text"]
            assert f"assistant bridge pair {demo_platform.url} {shown['code']}" in shown["command"]
            # The user pairs the workstation (the command the page shows), the assistant polls.
            paired = pairing.pair(demo_platform.url, shown["code"], allow_loopback_http=True)
            poller = pairing.Poller(paired, run.engine).start()
            result = _run(
                page,
                WAIT
                + """
                const badge = document.getElementById('etat-assistant');
                await until(() => badge.dataset.state === 'pull');
            """
                + DOWNLOAD,
            )
    finally:
        if poller is not None:
            poller.stop()
    assert result["state"] == "pull" and "association du poste" in result["badge"]
    assert result["cls"] == "succeeded", result["text"]
    assert "fichiers vérifiés" in result["text"]
    [job] = run.engine.jobs()
    assert job.origin == demo_platform.url and job.type.value == "download"
    # Nothing went through the bridge: no page was connected, no claim opened.
    assert run.bridge.api.access.origins() == {} and run.bridge.api.claims._claims == {}


def test_refused_loopback_access_is_not_probed_again_by_the_badge_watcher(
    tmp_path: Path, start_bridge, demo_platform
) -> None:
    """The demo badge re-checks the assistant (watchStatus), but a refused permission is respected:
    over 11 s, with the page focused again, nothing is sent to the bridge and the badge (with its
    pairing form, or its pull state) is not redrawn."""
    run: Running = start_bridge()
    with _browser(tmp_path, run, _public(demo_platform)) as browser:
        browser.send(
            "Browser.setPermission",
            {"permission": {"name": "loopback-network"}, "setting": "denied", "origin": demo_platform.url},
        )
        page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
        result = _run(
            page,
            WAIT
            + """
            const badge = document.getElementById('etat-assistant');
            // Blocked, or already in the pull mode when an earlier test paired this (session) platform.
            await until(() => ['blocked', 'pull'].includes(badge.dataset.state));
            const first = badge.dataset.state;
            const calls = [];
            const original = window.fetch;
            window.fetch = (input, init) => { calls.push(String(input && input.url ? input.url : input)); return original(input, init); };
            const drawn = badge.firstChild;
            await new Promise(r => setTimeout(r, 5500));
            window.dispatchEvent(new Event('focus'));
            await new Promise(r => setTimeout(r, 5500));
            return {kept: badge.dataset.state === first, same: badge.firstChild === drawn,
                    bridge: calls.filter(u => u.startsWith('BRIDGE')).length};
        """.replace("BRIDGE", run.bridge.url),
        )
    assert result == {"kept": True, "same": True, "bridge": 0}
