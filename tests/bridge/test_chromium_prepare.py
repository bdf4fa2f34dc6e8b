"""The demo platform's « Préparer mon dépôt » button, clicked in headless Chromium: the job goes
through the bridge, the user (a test interaction) picks the bid folder and confirms, one PIN on the
SoftHSM2 card; the page shows the counts and the upload margin and never a local path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes

from tests import pki
from tests.bridge.helpers import connect_demo_page
from tests.bridge.test_chromium import PIN_ENV, _browser
from tests.prepare.conftest import make_bid


def test_demo_page_prepares_a_deposit_through_the_bridge(
    tmp_path: Path, start_bridge, demo_platform, softhsm_token, test_pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PIN_ENV, pki.TOKEN_PIN)
    run = start_bridge(
        approved=(demo_platform.url,),
        key_spec="sha256:" + test_pki.signer.certificate.fingerprint(hashes.SHA256()).hex(),
        pin_env=PIN_ENV,
        pkcs11_modules=(softhsm_token.module,),
    )
    bid = make_bid(tmp_path / "entreprise")
    asked: list[Any] = []
    pins: list[Any] = []
    interaction = run.interaction
    # The user in front of the window: picks his bid folder, confirms, types his PIN (counted).
    interaction.choose_bid_folder = lambda job, question, **kw: asked.append(question) or bid.root  # type: ignore[attr-defined]
    interaction.confirm_all = True
    ask_pin = interaction.ask_pin
    interaction.ask_pin = lambda request: pins.append(request) or ask_pin(request)  # type: ignore[method-assign]
    with _browser(tmp_path, run) as browser:
        page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
        connect_demo_page(page, run, demo_platform.url)
        result = page.evaluate(
            """(async () => {
            const badge = document.getElementById('etat-assistant');
            const until = async (test, ms) => { const end = Date.now() + ms;
                while (!test()) { if (Date.now() > end) return false; await new Promise(r => setTimeout(r, 50)); }
                return true; };
            await until(() => badge.dataset.state === 'online' && document.querySelector('#consultations tbody tr'), 20000);
            document.querySelector('button[data-kind="prepare"]').click();
            const done = await until(() => { const li = document.querySelector('#traitements li');
                return li && ['succeeded', 'failed', 'cancelled'].includes(li.className); }, 150000);
            const li = document.querySelector('#traitements li');
            return {done, state: li.className, text: li.innerText, page: document.body.innerText};
        })()""",
            timeout=180,
        )
    assert result["done"], result["page"]
    assert result["state"] == "succeeded", result["text"]
    assert (
        "7 fichier(s) à déposer, 10 signature(s)" in result["text"] and "marge avant la date limite" in result["text"]
    )
    assert len(asked) == 1 and asked[0].platform == "Plateforme de démonstration"
    assert len(pins) == 1
    assert str(tmp_path) not in result["page"] and pki.TOKEN_PIN not in result["page"]
    [job] = run.engine.jobs()
    assert job.type.value == "prepare" and job.origin == demo_platform.url
