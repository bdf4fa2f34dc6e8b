"""The "Test de configuration" page against real local servers, the tray menu and the application loop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.main_window import MainWindow
from assistant.ui.pages.diagnostics import DiagnosticsPage
from assistant.ui.tray import TrayController
from tests import pki
from tests.diagnostics.servers import https_server, valid_server_certificate
from tests.ui.conftest import shot


@pytest.fixture
def platform_cert(tmp_path: Path, test_pki: pki.TestPki, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("SSL_CERT_FILE", str(test_pki.ca_bundle))
    return valid_server_certificate(tmp_path / "tls", test_pki)


def _run_page(qtbot: Any, page: DiagnosticsPage) -> Any:
    with qtbot.waitSignal(page.report_ready, timeout=60000) as blocker:
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        assert not page.run_button.isEnabled()  # the test runs in the background; the window stays responsive
    return blocker.args[0]


def test_diagnostics_page_green_then_red(qtbot: Any, platform_cert: tuple[Path, Path], screens: Path) -> None:
    page = DiagnosticsPage(Settings())
    qtbot.addWidget(page)
    page.resize(1000, 740)
    page.show()
    assert page.run_button.text() == "Lancer le test de configuration de mon poste"
    with https_server(platform_cert) as server:
        page.url.setText(server.url)
        report = _run_page(qtbot, page)
    rows = dict(page.rows())
    assert rows["Communication avec le serveur distant"] == "Communication établie"
    assert rows["Système d'exploitation"] == report.get("os").value
    assert rows["Certificat du serveur (HTTPS)"].startswith("Certificat valide jusqu'au ")
    assert page.summary.isVisible() and page.summary.text().startswith(
        "<b>Résultat :</b> La configuration de votre poste"
    )
    assert page.progress.text().startswith("Test terminé en ")
    shot(page, screens, "diagnostics-ok")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    page.url.setText(f"https://127.0.0.1:{closed}/")
    report = _run_page(qtbot, page)
    assert report.status.value == "error"
    tcp = dict(page.rows())["Connexion au serveur"]
    assert tcp.startswith("Connexion refusée\nConnexion refusée par le serveur 127.0.0.1")
    assert "\n→ Vérifiez l'adresse et le port de la plateforme" in tcp
    assert page.summary.status == "error"
    assert "ne respecte pas tous les prérequis" in page.summary.text()
    shot(page, screens, "diagnostics-error")
    page.copy_report()
    copied = QApplication.clipboard().text()
    assert copied.startswith("Test de la configuration de votre poste") and "✗ Connexion au serveur" in copied


def test_tray_menu_and_fallback_window(qtbot: Any, engine: JobEngine, p12_settings: Settings) -> None:
    window = MainWindow(engine, None, p12_settings)
    qtbot.addWidget(window)
    tray = TrayController(window, engine)
    assert [a.text() for a in tray.menu.actions() if not a.isSeparator()] == [
        "Ouvrir",
        "Signer des fichiers…",
        "Mes certificats",
        "Traitements distants",
        "Tester la configuration de mon poste",
        "Quitter",
    ]
    tray.start()
    # Under a bare Xvfb there is no tray: the window is shown instead, and closing it quits.
    assert tray.available is QSystemTrayIcon.isSystemTrayAvailable()
    if not tray.available:
        assert window.isVisible() and not window.keep_running_in_tray
    tray.actions["Tester la configuration de mon poste"].trigger()
    assert window.isVisible() and window.current_page() == "diagnostics"
    tray.actions["Signer des fichiers…"].trigger()
    assert window.current_page() == "sign"
    tray.stop()
    window.dispose()


RUN_GUI_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.app import make_interaction, run_gui
from assistant.ui.main_window import MainWindow
from assistant.ui.tray import TrayController

engine = JobEngine(interaction=make_interaction(), settings=Settings())

def quit_from_tray_menu():
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    print(len(windows), windows[0].windowTitle() if windows else "", flush=True)
    windows[0].findChild(TrayController).actions["Quitter"].trigger()

QTimer.singleShot(800, quit_from_tray_menu)
code = run_gui(engine, None, Settings())
engine.shutdown()
sys.exit(code)
"""


def test_run_gui_runs_until_quit(tmp_path: Path) -> None:
    """As `assistant run` calls it: a window (no tray under Xvfb), the event loop, "Quitter" ends it with 0."""
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        [sys.executable, "-c", RUN_GUI_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("1 Assistant Marchés Publics (")
