"""The "let the browsers trust the assistant" question and the Accueil line, against a real NSS db.

HOME points at a temporary folder holding Chrome's NSS database (~/.pki/nssdb, made by certutil);
what counts is what `certutil -L` lists afterwards, as Chrome would read it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from assistant.bridge import ca, trust
from assistant.ui.main_window import MainWindow
from assistant.ui.trust_offer import TITLE, TrustOfferDialog, offer_at_start
from tests import pki
from tests.ui.conftest import shot, visible_top_level, wait_for_dialog


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's home with Chrome's NSS database, empty, as a first Chrome start leaves it."""
    certutil = pki.require_tool("certutil")
    home = tmp_path / "user"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, capture_output=True)
    monkeypatch.setenv("HOME", str(home))
    return home


def chrome_db_listing(home: Path) -> str:
    done = subprocess.run(
        ["certutil", "-L", "-d", f"sql:{home / '.pki' / 'nssdb'}"], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def identity() -> ca.BridgeIdentity:
    """The bridge's CA, as its first start leaves it in the (isolated) ASSISTANT_HOME."""
    made, _renewed = ca.ensure()
    return made


def _button(dialog: QWidget, name: str) -> QPushButton:
    button = dialog.findChild(QPushButton, name)
    assert button is not None, name
    return button


def _message(dialog: QWidget) -> str:
    label = dialog.findChild(QLabel, "trustMessage")
    assert label is not None
    return str(label.text())


def _wait_result(qtbot: Any, dialog: QWidget) -> str:
    qtbot.waitUntil(lambda: _button(dialog, "trustClose").isVisible(), timeout=30000)
    return _message(dialog)


def test_autoriser_adds_the_ca_to_chrome_nss_db(
    qtbot: Any, window: MainWindow, user_home: Path, identity: ca.BridgeIdentity, screens: Path
) -> None:
    assert identity.nickname not in chrome_db_listing(user_home)
    window.home.refresh_trust()  # the window fixture was built before the CA existed
    qtbot.waitUntil(
        lambda: "<b>non reconnu</b> par Chrome / Chromium" in window.home.trust_status.text(), timeout=20000
    )
    dialog = offer_at_start(window, None)
    assert dialog is not None
    assert wait_for_dialog(qtbot, "trustOfferDialog") is dialog
    assert dialog.windowTitle() == TITLE == "Permettre à vos navigateurs de joindre l'assistant ?"
    assert "valable uniquement pour l'adresse 127.0.0.1" in _message(dialog)
    assert "Chrome/Chromium, Firefox" in _message(dialog)
    shot(dialog, screens, "trust-offer")
    qtbot.mouseClick(_button(dialog, "trustAllow"), Qt.MouseButton.LeftButton)
    result = _wait_result(qtbot, dialog)
    assert "✓ Chrome / Chromium : certificat ajouté" in result
    assert "Redémarrez vos navigateurs" in result
    shot(dialog, screens, "trust-done")
    # What Chrome reads: the CA, trusted to issue TLS server certificates (C,,).
    listing = chrome_db_listing(user_home)
    line = next(row for row in listing.splitlines() if row.startswith(identity.nickname))
    assert line.split()[-1] == "C,,"
    qtbot.mouseClick(_button(dialog, "trustClose"), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    # Accepted: not asked again, and the Accueil line says so.
    assert offer_at_start(window, None) is None
    window.home.refresh_trust()
    qtbot.waitUntil(lambda: "<b>reconnu</b> (Chrome / Chromium)" in window.home.trust_status.text(), timeout=20000)


def test_plus_tard_records_the_decline_and_next_start_does_not_ask(
    qtbot: Any, window: MainWindow, user_home: Path, identity: ca.BridgeIdentity
) -> None:
    dialog = offer_at_start(window, None)
    assert dialog is not None
    qtbot.mouseClick(_button(dialog, "trustLater"), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert trust.load_state(identity).get("declined") is True
    assert identity.nickname not in chrome_db_listing(user_home)
    assert offer_at_start(window, None) is None
    assert visible_top_level("trustOfferDialog") is None


def test_no_question_before_the_bridge_has_a_ca(qtbot: Any, window: MainWindow, user_home: Path) -> None:
    assert offer_at_start(window, None) is None
    assert window.home.trust_status.text().startswith("Confiance des navigateurs : l'assistant n'a pas encore")
    assert not window.home.trust_button.isEnabled()


def test_accueil_button_trusts_after_a_decline(
    qtbot: Any, window: MainWindow, user_home: Path, identity: ca.BridgeIdentity
) -> None:
    trust.record_declined(identity)
    window.home.refresh_trust()
    qtbot.waitUntil(lambda: "non reconnu" in window.home.trust_status.text(), timeout=20000)
    button = window.home.trust_button
    assert button.text() == "Faire confiance dans les navigateurs"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, "trustOfferDialog")
    assert "✓ Chrome / Chromium : certificat ajouté" in _wait_result(qtbot, dialog)
    assert identity.nickname in chrome_db_listing(user_home)
    qtbot.waitUntil(lambda: "<b>reconnu</b>" in window.home.trust_status.text(), timeout=20000)
    dialog.close()


def test_a_damaged_store_shows_the_french_failure(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, identity: ca.BridgeIdentity
) -> None:
    pki.require_tool("certutil")
    home = tmp_path / "broken"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    (nssdb / "cert9.db").write_bytes(b"not a database" * 100)
    (nssdb / "key4.db").write_bytes(b"not a database" * 100)
    monkeypatch.setenv("HOME", str(home))
    dialog = TrustOfferDialog(identity, window)
    dialog.show()
    qtbot.mouseClick(_button(dialog, "trustAllow"), Qt.MouseButton.LeftButton)
    result = _wait_result(qtbot, dialog)
    assert result.startswith("✗ Chrome / Chromium : échec — ")
    assert "ne pourront pas joindre l'assistant" in result
    assert trust.load_state(identity)["added"] == []
    dialog.close()


RUN_GUI_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QPushButton
from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.app import make_interaction, run_gui
from assistant.ui.main_window import MainWindow
from assistant.ui.tray import TrayController

engine = JobEngine(interaction=make_interaction(), settings=Settings())
answer = sys.argv[1]

def top(name):
    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)

def quit_app():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    window.findChild(TrayController).actions["Quitter"].trigger()

def poll():
    dialog = top("trustOfferDialog")
    if dialog is None:
        print("no-question", flush=True)
        return quit_app()
    if answer == "later":
        dialog.findChild(QPushButton, "trustLater").click()
        print("declined", flush=True)
        return quit_app()
    dialog.findChild(QPushButton, "trustAllow").click()
    wait_result(dialog)

def wait_result(dialog):
    if not dialog.findChild(QPushButton, "trustClose").isVisible():
        return QTimer.singleShot(100, lambda: wait_result(dialog))
    print("result:", dialog.findChild(QLabel, "trustMessage").text().splitlines()[0], flush=True)
    quit_app()

from PySide6.QtWidgets import QLabel
QTimer.singleShot(800, poll)
code = run_gui(engine, None, Settings())
engine.shutdown()
sys.exit(code)
"""


def _run_gui(answer: str, assistant_home: Path, home: Path) -> str:
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home), "HOME": str(home), "QT_QPA_PLATFORM": "xcb"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", RUN_GUI_SCRIPT, answer],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 120
    return done.stdout.strip()


def test_run_gui_asks_at_first_start_only(user_home: Path, identity: ca.BridgeIdentity) -> None:
    """As `assistant run` starts: the question comes up by itself; after "Plus tard" it does not."""
    assistant_home = Path(os.environ["ASSISTANT_HOME"])
    assert _run_gui("later", assistant_home, user_home) == "declined"
    assert _run_gui("later", assistant_home, user_home) == "no-question"
    assert identity.nickname not in chrome_db_listing(user_home)


def test_run_gui_autoriser_updates_chrome_store(user_home: Path, identity: ca.BridgeIdentity) -> None:
    assistant_home = Path(os.environ["ASSISTANT_HOME"])
    assert _run_gui("allow", assistant_home, user_home) == "result: ✓ Chrome / Chromium : certificat ajouté"
    assert identity.nickname in chrome_db_listing(user_home)
    assert _run_gui("allow", assistant_home, user_home) == "no-question"
