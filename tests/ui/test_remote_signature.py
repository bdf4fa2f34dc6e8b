"""A signature a page asks for: before any certificate, the platform and every file (name, size,
format) are shown and the user consents — each time. A refusal signs and sends nothing."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from assistant.jobs.engine import JobEngine
from assistant.jobs.model import JobState
from assistant.ui.dialogs.approve_signature import ApproveSignatureDialog
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess
from tests.ui.conftest import shot, wait_for_dialog


def test_remote_signature_lists_the_files_and_needs_consent_each_time(
    qtbot: Any,
    demo_engine: JobEngine,
    demo_platform: DemoProcess,
    screens: Any,
) -> None:
    descriptor = demo_platform.get("/api/descriptors/sign?format=pades")
    files = descriptor["params"]["files"]
    job = demo_engine.submit(descriptor, demo_platform.url)
    dialog = wait_for_dialog(qtbot, "approveSignatureDialog")
    assert isinstance(dialog, ApproveSignatureDialog)
    rows = dialog.rows()
    assert [name for name, _size, _fmt in rows] == [f["name"] for f in files]
    assert all(fmt == "PAdES" and size for _name, size, fmt in rows)
    heading = dialog.findChild(QLabel, "approveSignatureHeading")
    assert heading is not None and demo_platform.url.rstrip("/") in heading.text()
    assert heading.text().endswith(f"vous demande de signer {len(files)} fichier" + ("s :" if len(files) > 1 else " :"))
    shot(dialog, screens, "approve-signature")
    # Refused: nothing is signed, nothing sent; the job ends cancelled.
    qtbot.mouseClick(dialog.findChild(QPushButton, "approveSignatureRefuse"), Qt.MouseButton.LeftButton)
    final = demo_engine.wait(job.id, timeout=30)
    assert final is not None and final.state is JobState.CANCELLED

    # The next request asks again (no consent is remembered); accepting leads to the certificate choice.
    job2 = demo_engine.submit(demo_platform.get("/api/descriptors/sign?format=pades"), demo_platform.url)
    again = wait_for_dialog(qtbot, "approveSignatureDialog")
    assert again is not dialog
    qtbot.mouseClick(again.findChild(QPushButton, "approveSignatureAccept"), Qt.MouseButton.LeftButton)
    choice = wait_for_dialog(qtbot, "chooseCredentialDialog")
    qtbot.mouseClick(choice.findChild(QPushButton, "credentialCancel"), Qt.MouseButton.LeftButton)
    final2 = demo_engine.wait(job2.id, timeout=30)
    assert final2 is not None and final2.state.terminal
