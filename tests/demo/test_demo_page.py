"""The demo platform's own page, in headless Chromium, queues jobs through the real bridge and
shows their progress the way the original assistant words it."""

from __future__ import annotations

from pathlib import Path

from assistant.bridge import trust
from tests.bridge.cdp import Chromium
from tests.bridge.conftest import Running, start_bridge  # noqa: F401 - fixture
from tests.demo.process import DemoProcess


def test_demo_page_downloads_and_tests_configuration(tmp_path: Path, start_bridge, demo_platform: DemoProcess) -> None:  # noqa: F811
    run: Running = start_bridge(approved=(demo_platform.url,))
    home = tmp_path / "browser-home"
    home.mkdir()
    assert run.bridge.identity is not None
    assert all(o.ok for o in trust.trust(run.bridge.identity, home=home, platform="linux"))
    with Chromium(tmp_path / "profile", home=home) as browser:
        page = browser.open_page(f"{demo_platform.url}/?bridge={run.bridge.url}")
        result = page.evaluate(
            """(async () => {
                const until = async (test, ms = 60000) => {
                  const end = Date.now() + ms;
                  while (Date.now() < end) { const v = test(); if (v) return v; await new Promise(r => setTimeout(r, 50)); }
                  throw new Error('timeout');
                };
                await until(() => document.querySelectorAll('#consultations button').length === 6);
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
            })()""",
            timeout=120,
        )
    assert "En ligne" in result["status"]
    assert result["cls"] == "succeeded", result["error"]
    assert result["title"].startswith("Téléchargement des plis chiffrés")
    assert "Avancement global : 100 %" in result["details"]
    assert "15 fichiers vérifiés" in result["result"]
    assert any("Élément en cours : pli " in text for text in result["seen"])
    downloads = list((demo_platform.home / "downloads").rglob("*.p7m"))
    assert len(downloads) == 15
