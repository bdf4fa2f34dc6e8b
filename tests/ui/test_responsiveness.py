"""The window stays responsive while a 1 GB signature or decryption runs: the GUI thread only
receives progress events (the engine's worker does the work), so its event loop keeps turning.

Sizes: a 1 GB file signed in CAdES (hashing it is the work), and a 1 GB envelope (OpenSSL
`cms -encrypt -stream`, AES-256-CBC) decrypted with the bi-clé on the SoftHSM2 card; both on tmpfs
(/dev/shm) so the disk is not what is measured. A timer asks for a tick every 10 ms while the job
runs; the latency is how late each tick comes. The goal is 100 ms at worst.

What used to make it late (measured with a sampling probe thread and cProfile on the GUI thread):
QProgressBar.setValue paints at once, synchronously, and the window's bars were fed by every
progress event: 2.5 ms on average and up to 80 ms a call at load 7, the ticks up to 154 ms late.
The bars now queue their paint (ui.widgets.ProgressBar). What remains is the OS scheduler's share
of two cores among all the machine's processes, which no code of ours controls: the assertion is
the worst case under 100 ms, with the figures printed for the record (see docs/architecture.md).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QPushButton

from assistant.jobs.engine import JobEngine
from assistant.jobs.model import JobState
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests import pki
from tests.envelopes.helpers import openssl_encrypt
from tests.signing.validators import openssl_cms_verify
from tests.ui.conftest import wait_for_dialog

SIZE = 1024 * 1024 * 1024
#: the worst tick delay allowed (the issue's goal)
WORST_MS = 100


@pytest.fixture
def shm_folder() -> Iterator[Path]:
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")
    folder = base / f"amp-latency-{os.getpid()}"
    folder.mkdir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def write_gigabyte(path: Path) -> Path:
    with path.open("wb") as out:
        block = os.urandom(1024 * 1024)
        for _index in range(SIZE // len(block)):
            out.write(block)
    return path


def measure_latency(qtbot: Any, done: Callable[[], bool], what: str) -> list[float]:
    """Tick every 10 ms until `done()`; return how late each tick came (ms), sorted; print the figures."""
    delays: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        delays.append(max(0.0, now - last[0] - 10))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    timer.start()
    started = time.monotonic()
    qtbot.waitUntil(done, timeout=300000)
    elapsed = time.monotonic() - started
    timer.stop()
    delays.sort()
    assert len(delays) > 50, f"the measure did not cover the job ({len(delays)} ticks)"
    p99 = delays[int(len(delays) * 0.99)]
    print(
        f"\n{what}: {SIZE >> 20} MB in {elapsed:.1f} s; {len(delays)} ticks; latency p50 "
        f"{delays[len(delays) // 2]:.0f} ms, p99 {p99:.0f} ms, max {delays[-1]:.0f} ms; load {os.getloadavg()[0]:.1f}"
    )
    return delays


def assert_responsive(delays: list[float]) -> None:
    worst = delays[-1]
    assert worst < WORST_MS, f"the event loop was late by {worst:.0f} ms (ticks late by >20 ms: {delays[-5:]})"


def test_event_loop_latency_while_a_1_gb_envelope_is_decrypted(
    qtbot: Any,
    interaction: QtUserInteraction,
    softhsm_token: pki.SoftHsmToken,
    test_pki: pki.TestPki,
    shm_folder: Path,
) -> None:
    plain = write_gigabyte(shm_folder / "offre.bin")
    root = shm_folder / "download" / "C-1" / "Pli 1"
    root.mkdir(parents=True)
    openssl_encrypt(plain, root / "EL1_Enveloppe_Offre.bin.p7m", [test_pki.encryption.files["cert"]], stream=True)
    plain.unlink()
    settings = Settings()
    engine = JobEngine(interaction=interaction, settings=settings, journal_path=shm_folder / "journal.sqlite3")
    window = MainWindow(engine, None, settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    try:
        window.show_page("decrypt")
        page = window.decrypt
        page.folder.setText(str(shm_folder / "download"))
        page.out_dir.setText(str(shm_folder / "out"))
        page.extract.setChecked(False)
        qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
        dialog = wait_for_dialog(qtbot, "chooseCredentialDialog")
        qtbot.mouseClick(dialog.findChild(QPushButton, "credentialChoose"), Qt.MouseButton.LeftButton)
        pin = wait_for_dialog(qtbot, "pinDialog")
        pin.findChild(QLineEdit, "pinField").setText(softhsm_token.pin)
        qtbot.mouseClick(pin.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
        delays = measure_latency(
            qtbot, lambda: page.panel.job is not None and page.panel.job.state.terminal, "decryption"
        )
        assert page.panel.job is not None and page.panel.job.state is JobState.SUCCEEDED, page.panel.error.text()
        assert (shm_folder / "out" / "C-1" / "Pli 1" / "EL1_Enveloppe_Offre.bin").stat().st_size == SIZE
        assert_responsive(delays)
    finally:
        window.dispose()
        engine.shutdown(wait=True)


def test_event_loop_latency_while_a_1_gb_file_is_signed(
    qtbot: Any, window: MainWindow, test_pki: pki.TestPki, shm_folder: Path
) -> None:
    source = write_gigabyte(shm_folder / "Offre technique.bin")
    wizard = window.sign
    window.show_page("sign")
    wizard.add_files([source])
    assert wizard.files_table.cellWidget(0, 2).currentText() == "CAdES"  # type: ignore[union-attr]
    qtbot.mouseClick(wizard.files_next, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.cert_state.text().startswith("Sélectionnez le certificat"), timeout=20000)
    assert wizard.select_certificate(test_pki.signer.fingerprint)  # on the SoftHSM card
    finished: list[bool] = []
    wizard.finished.connect(lambda: finished.append(True))
    qtbot.mouseClick(wizard.sign_button, Qt.MouseButton.LeftButton)
    pin = wait_for_dialog(qtbot, "pinDialog")
    pin.findChild(QLineEdit, "pinField").setText(pki.TOKEN_PIN)
    qtbot.mouseClick(pin.findChild(QPushButton, "pinOk"), Qt.MouseButton.LeftButton)
    delays = measure_latency(qtbot, lambda: bool(finished), "signature")
    assert wizard.summary.text().startswith("<b>La signature électronique des fichiers sélectionnés s'est terminée")
    signatures = list(shm_folder.glob("Offre technique.bin - * - Signature 1.p7s"))
    assert len(signatures) == 1
    verified = openssl_cms_verify(signatures[0], source, test_pki.ca_bundle)
    assert verified.returncode == 0, verified.stderr.decode()
    assert_responsive(delays)
