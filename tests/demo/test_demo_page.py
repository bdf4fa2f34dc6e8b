"""The demo platform's own page, in headless Chromium, queues jobs through the real bridge and
shows their progress the way the original assistant words it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.bridge import trust
from tests.bridge.cdp import Chromium
from tests.bridge.conftest import Running, start_bridge  # noqa: F401 - fixture
from tests.bridge.helpers import connect_demo_page
from tests.demo.process import DemoProcess


def _on_demo_page(tmp_path: Path, run: Running, demo_platform: DemoProcess, script: str) -> dict[str, Any]:
    """Open the demo page in Chromium (the bridge's CA trusted in its NSS db), wait for its six
    consultations, then run `script` (a body that may await `until(test)`) and return its result."""
    home = tmp_path / "browser-home"
    home.mkdir()
    assert run.bridge.identity is not None
    assert all(o.ok for o in trust.trust(run.bridge.identity, home=home, platform="linux"))
    with Chromium(tmp_path / "profile", home=home) as browser:
        page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
        connect_demo_page(page, run, demo_platform.url)  # the user connects the page (code typed)
        result: dict[str, Any] = page.evaluate(
            """(async () => {
                const until = async (test, ms = 60000) => {
                  const end = Date.now() + ms;
                  while (Date.now() < end) { const v = test(); if (v) return v; await new Promise(r => setTimeout(r, 50)); }
                  throw new Error('timeout');
                };
                await until(() => document.querySelectorAll('#consultations button').length === 6);
"""
            + script
            + "})()",
            timeout=120,
        )
    return result


def test_demo_page_downloads_and_tests_configuration(tmp_path: Path, start_bridge, demo_platform: DemoProcess) -> None:
    run: Running = start_bridge(approved=(demo_platform.url,))
    result = _on_demo_page(
        tmp_path,
        run,
        demo_platform,
        """
                const status = document.getElementById('etat-assistant').innerText;
                const seen = new Set();
                const watcher = setInterval(() => {
                  const d = document.querySelector('#traitements li .details');
                  if (d && d.textContent) seen.add(d.textContent);
                }, 20);
                document.querySelector('#consultations button').click();
                const item = await until(() => document.querySelector('#traitements li.succeeded, #traitements li.failed'));
                clearInterval(watcher);
                return {status, cls: item.className, title: item.querySelector('.titre').innerText,
                        details: item.querySelector('.details').textContent,
                        result: item.querySelector('.resultat').textContent,
                        error: item.querySelector('.erreur').textContent, seen: [...seen]};
    """,
    )
    assert "En ligne" in result["status"]
    assert result["cls"] == "succeeded", result["error"]
    assert result["title"].startswith("Téléchargement des plis chiffrés")
    assert "Avancement global : 100 %" in result["details"]
    assert "15 fichiers vérifiés" in result["result"]
    assert any("Élément en cours : pli " in text for text in result["seen"])
    downloads = list((demo_platform.home / "downloads").rglob("*.p7m"))
    assert len(downloads) == 15


def test_demo_page_online_opening_shows_the_four_steps(
    tmp_path: Path, start_bridge, demo_platform: DemoProcess, monkeypatch
) -> None:
    """Ouverture en ligne from the page: the four steps of the original assistant, all done, and the
    platform got the decrypted envelopes (demo bi-clé seeded in the vault by the demo platform)."""
    monkeypatch.setenv("AMP_DEMO_VAULT", "demo")
    run: Running = start_bridge(approved=(demo_platform.url,), key_spec="vault:Démo Acheteur", pin_env="AMP_DEMO_VAULT")
    result = _on_demo_page(
        tmp_path,
        run,
        demo_platform,
        """
                const labels = new Set();
                const watcher = setInterval(() => {
                  for (const li of document.querySelectorAll('#traitements li .etapes li.encours')) labels.add(li.textContent);
                }, 10);
                document.querySelectorAll('#consultations button')[1].click();
                const item = await until(() => document.querySelector('#traitements li.succeeded, #traitements li.failed'));
                clearInterval(watcher);
                return {cls: item.className, error: item.querySelector('.erreur').textContent,
                        steps: [...item.querySelectorAll('.etapes li')].map(li => [li.textContent, li.className]),
                        result: item.querySelector('.resultat').textContent, seen: [...labels]};
    """,
    )
    assert result["cls"] == "succeeded", result["error"]
    assert [s[0] for s in result["steps"]] == [
        "1 Récupération des fichiers",
        "2 Récupération de la clé privée dans votre magasin de certificats",
        "3 Déchiffrement",
        "4 Déchiffrement terminé",
    ]
    assert all(cls == "fait" for _text, cls in result["steps"])
    assert "15 enveloppe(s) déchiffrée(s) et transmise(s)" in result["result"]
    assert len(list((demo_platform.data_dir / "uploads" / "ouverture" / "DEMO-2026-001").rglob("*.zip"))) == 15
