"""A page's "Préparer mon dépôt" asks the bid folder in the window (QtUserInteraction.choose_bid_folder):
the dialog names the platform; a chosen folder is the answer, a cancel answers None, and a job
cancelled meanwhile withdraws the question."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from assistant.jobs.interaction import BidFolderChooser, BidQuestion
from assistant.jobs.model import Job, JobType
from assistant.progress import CancelToken
from assistant.ui.interaction import QtUserInteraction
from tests.ui.conftest import wait_for_dialog

QUESTION = BidQuestion("Plateforme exemple", ("PADES", "XADES"), (".pdf",), 10 << 20, "2026-12-04T12:00:00+01:00")


def _ask(interaction: QtUserInteraction, box: dict[str, Any], cancel: CancelToken | None = None) -> threading.Thread:
    job = Job(id="p1", type=JobType.PREPARE, origin="https://plateforme.example", params={})

    def ask() -> None:
        box["answer"] = interaction.choose_bid_folder(job, QUESTION, cancel=cancel)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    return thread


def test_the_user_picks_the_bid_folder_in_the_window(
    qtbot: Any, interaction: QtUserInteraction, tmp_path: Path
) -> None:
    assert isinstance(interaction, BidFolderChooser)
    bid = tmp_path / "Réponse AO"
    bid.mkdir()
    box: dict[str, Any] = {}
    thread = _ask(interaction, box)
    dialog = wait_for_dialog(qtbot, "bidFolderDialog")
    assert isinstance(dialog, QFileDialog) and "Plateforme exemple" in dialog.windowTitle()
    dialog.setDirectory(str(bid))  # the user opens his bid folder and clicks « Choisir »
    dialog.accept()
    thread.join(10)
    assert box == {"answer": bid}

    thread = _ask(interaction, box)
    wait_for_dialog(qtbot, "bidFolderDialog").reject()
    thread.join(10)
    assert box == {"answer": None}

    cancel = CancelToken()
    thread = _ask(interaction, box, cancel)
    wait_for_dialog(qtbot, "bidFolderDialog")
    cancel.cancel()
    deadline = 0
    while thread.is_alive() and deadline < 200:
        qtbot.wait(25)
        deadline += 1
    assert not thread.is_alive() and box == {"answer": None}


def test_the_card_shows_the_deposit_the_estimate_and_the_problems() -> None:
    from assistant.jobs.results import PrepareResult
    from assistant.ui.outcomes import describe

    result = PrepareResult(
        7,
        10,
        10,
        {"PADES": 4, "XADES": 3},
        1,
        (
            {
                "severity": "warning",
                "code": "name_too_long",
                "file": "Lot 2/x.pdf",
                "message": "Nom trop long : x.pdf",
                "message_en": "Name too long",
            },
        ),
        "ab" * 32,
        248_000,
        True,
        "2026-12-04T12:00:00+01:00",
        {"seconds": 1.5, "verdict": "ok", "message": "Envoi estimé : 2 s", "message_en": "Estimated upload: 1 s"},
        3600.0,
        bid_folder="/offre",
        destination="/offre - dépôt signé",
        summary="/offre - dépôt signé - récapitulatif.pdf",
    )
    outcome = describe(result)
    assert outcome.folder == "/offre - dépôt signé"
    assert outcome.lines[1:] == (
        "Dossier à déposer : /offre - dépôt signé",
        "Récapitulatif : /offre - dépôt signé - récapitulatif.pdf",
        "Envoi estimé : 2 s",
        "Problèmes détectés",
        "  ! Nom trop long : x.pdf",
    )
