"""The demo page's badge follows the assistant without a reload (issue #13: it said "En ligne" after
the assistant quit): a real bridge stops, the badge says "Hors ligne" within seconds; the bridge
starts again on the same port, the badge says "En ligne" again — with a bounded number of requests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from assistant.bridge import trust
from assistant.bridge.server import BridgeServer
from tests.bridge.cdp import Chromium, Page
from tests.bridge.conftest import Running, start_bridge  # noqa: F401 - fixture
from tests.bridge.helpers import connect_demo_page
from tests.demo.process import DemoProcess

WAIT_FOR_STATE = """(async () => {
    const end = Date.now() + MS;
    const badge = document.getElementById('etat-assistant');
    while (badge.dataset.state !== 'STATE') {
        if (Date.now() > end) throw new Error('badge still: ' + badge.innerText + ' ' + JSON.stringify(window.__bridgeCalls));
        await new Promise(r => setTimeout(r, 50));
    }
    return {text: badge.innerText, calls: window.__bridgeCalls.length};
})()"""


def _wait_for(page: Page, state: str, ms: int) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        WAIT_FOR_STATE.replace("MS", str(ms)).replace("STATE", state), timeout=ms / 1000 + 10
    )
    return result


def test_badge_goes_offline_when_the_assistant_quits_and_back_when_it_returns(
    tmp_path: Path,
    start_bridge,
    demo_platform: DemoProcess,
) -> None:
    run: Running = start_bridge(approved=(demo_platform.url,))
    home = tmp_path / "browser-home"
    home.mkdir()
    assert run.bridge.identity is not None
    assert all(o.ok for o in trust.trust(run.bridge.identity, home=home, platform="linux"))
    port = run.bridge.https_port
    assert port
    again: BridgeServer | None = None
    with Chromium(tmp_path / "profile", home=home) as browser:
        page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
        connect_demo_page(page, run, demo_platform.url)
        # Count what the page sends to the assistant from now on (the client calls the global fetch).
        page.evaluate(
            """(() => {
                window.__bridgeCalls = [];
                const original = window.fetch;
                window.fetch = (input, init) => {
                    const url = String(input && input.url ? input.url : input);
                    if (url.startsWith('BRIDGE')) window.__bridgeCalls.push([Date.now(), url]);
                    return original(input, init);
                };
                return document.hidden;
            })()""".replace("BRIDGE", run.bridge.url)
        )
        online = _wait_for(page, "online", 5000)
        assert "Etat de l'Assistant Marchés Publics : En ligne" in online["text"]
        assert "Mon Assistant" not in online["text"]

        started = time.monotonic()
        run.bridge.stop()
        offline = _wait_for(page, "offline", 10000)  # no reload: the watcher saw it
        went_offline = time.monotonic() - started
        assert "Etat de l'Assistant Marchés Publics : Hors ligne" in offline["text"]
        assert "Mon Assistant" not in offline["text"]
        assert went_offline < 10

        again = BridgeServer(
            run.engine,
            run.settings,
            run.interaction,
            port=port,
            plain_http=False,  # the page calls HTTPS only; port + 1 may be anyone's
            identity=run.bridge.identity,
            registry=run.bridge.registry,
            access=run.bridge.api.access,
        )
        again.start()
        try:
            back_started = time.monotonic()
            back = _wait_for(page, "online", 15000)
            came_back = time.monotonic() - back_started
            window = time.monotonic() - started
            calls = page.evaluate("window.__bridgeCalls.length")
        finally:
            again.stop()
    assert "En ligne" in back["text"]
    assert came_back < 10
    # Bounded: one check per 5 s (a status call, plus a no-cors probe when nothing answers),
    # plus the immediate re-checks — never a flood.
    bound = 2 * (window / 5 + 2)
    print(f"offline after {went_offline:.1f} s, back after {came_back:.1f} s, {calls} calls in {window:.1f} s")
    assert 2 <= calls <= bound, (calls, window)


def test_a_call_that_finds_the_assistant_gone_flips_the_badge_at_once(
    tmp_path: Path,
    start_bridge,
    demo_platform: DemoProcess,
) -> None:
    """The user clicks a job just after the assistant quit: the job fails with a clear message and the
    badge says "Hors ligne" right away, not at the next 5-second check."""
    run: Running = start_bridge(approved=(demo_platform.url,))
    home = tmp_path / "browser-home"
    home.mkdir()
    assert run.bridge.identity is not None
    assert all(o.ok for o in trust.trust(run.bridge.identity, home=home, platform="linux"))
    with Chromium(tmp_path / "profile", home=home) as browser:
        page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
        connect_demo_page(page, run, demo_platform.url)
        # Right after a periodic check, so the next one is ~5 s away.
        page.evaluate(
            """(async () => {
                window.__bridgeCalls = [];
                const original = window.fetch;
                window.fetch = (input, init) => {
                    window.__bridgeCalls.push(String(input && input.url ? input.url : input));
                    return original(input, init);
                };
                const before = window.__bridgeCalls.length;
                while (!window.__bridgeCalls.some(u => u.includes('/v1/status'))) await new Promise(r => setTimeout(r, 20));
                await new Promise(r => setTimeout(r, 300));
                return before;
            })()""",
            timeout=20,
        )
        run.bridge.stop()
        result: dict[str, Any] = page.evaluate(
            """(async () => {
                const badge = document.getElementById('etat-assistant');
                const t0 = Date.now();
                document.querySelector('#consultations button').click();
                while (badge.dataset.state !== 'offline') {
                    if (Date.now() - t0 > 10000) throw new Error('badge still: ' + badge.innerText);
                    await new Promise(r => setTimeout(r, 20));
                }
                const item = document.querySelector('#traitements li');
                return {ms: Date.now() - t0, text: badge.innerText, error: item.querySelector('.erreur').textContent};
            })()""",
            timeout=30,
        )
    assert result["ms"] < 2500, result
    assert "Hors ligne" in result["text"]
    assert "L'assistant ne répond pas" in result["error"]
