"""The window stays responsive while a large envelope is decrypted: the GUI thread only receives
progress events (the engine's worker does the work), so its event loop keeps turning.

Size: a 1 GB envelope (OpenSSL `cms -encrypt -stream`, AES-256-CBC) on tmpfs (/dev/shm), the
bi-clé on the SoftHSM2 card: about 3 s of decryption and hundreds of progress events on this VM,
long enough for a blocking GUI to show, short enough for the suite (about 13 s in all). A timer asks for a tick every
10 ms; the latency is how late each tick comes: 99 % of the ticks must come less than 100 ms late.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
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
from tests.ui.conftest import wait_for_dialog

SIZE = 1024 * 1024 * 1024


@pytest.fixture
def shm_folder() -> Iterator[Path]:
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    folder = (
        Path(os.path.join(str(base), f"amp-latency-{os.getpid()}")) if base else Path(f"/tmp/amp-latency-{os.getpid()}")
    )
    folder.mkdir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_event_loop_latency_while_a_1_gb_envelope_is_decrypted(
    qtbot: Any,
    interaction: QtUserInteraction,
    softhsm_token: pki.SoftHsmToken,
    test_pki: pki.TestPki,
    shm_folder: Path,
) -> None:
    plain = shm_folder / "offre.bin"
    with plain.open("wb") as out:
        block = os.urandom(1024 * 1024)
        for _index in range(SIZE // len(block)):
            out.write(block)
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
        qtbot.waitUntil(lambda: page.panel.job is not None and page.panel.job.state.terminal, timeout=300000)
        elapsed = time.monotonic() - started
        timer.stop()
        assert page.panel.job is not None and page.panel.job.state is JobState.SUCCEEDED, page.panel.error.text()
        assert (shm_folder / "out" / "C-1" / "Pli 1" / "EL1_Enveloppe_Offre.bin").stat().st_size == SIZE
        delays.sort()
        worst, p99 = delays[-1], delays[int(len(delays) * 0.99)]
        print(
            f"\ndecrypted {SIZE >> 20} MB in {elapsed:.1f} s; {len(delays)} ticks; latency p99 {p99:.0f} ms, max {worst:.0f} ms; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        assert len(delays) > 50  # the measure covered the decryption
        # The 99th percentile is the application's doing; a single longest delay on a loaded shared
        # machine is the OS scheduler's (measured alone: max 25 ms at load 7.6, 158 ms at load 12
        # with p99 29 ms), so it only has to stay far from a frozen window.
        assert p99 < 100, f"the event loop was late by {p99:.0f} ms at the 99th percentile (max {worst:.0f} ms)"
        assert worst < 500, f"the event loop was blocked {worst:.0f} ms"
    finally:
        window.dispose()
        engine.shutdown(wait=True)
