"""A download queued by a platform page asks where the plis go, in its card on "Traitements distants",
as the original assistant does ("Répertoire de destination", PARCOURIR, LANCER LE TÉLÉCHARGEMENT);
the demo platform is a separate process and the files are checked against their SHA-256."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QLineEdit, QListWidget, QPushButton

from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import DownloadSummary
from assistant.jobs.model import Job, JobState, JobType
from assistant.jobs.runners.common import downloads_root
from assistant.settings import Settings
from assistant.ui.destination import BROWSE, DESTINATION_PROMPT, START_DOWNLOAD
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from assistant.ui.pages.jobs import WAITING, JobCard
from assistant.ui.widgets import fmt_size
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess
from tests.ui.conftest import shot, wait_for_dialog

CONSULTATION = "DEMO-2026-003"
PROPOSED_NAME = "Plateforme de démonstration"


@pytest.fixture
def main_window(qtbot: Any, demo_engine: JobEngine, interaction: QtUserInteraction) -> Iterator[MainWindow]:
    win = MainWindow(demo_engine, None, demo_engine.settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(win)
    win.resize(1024, 768)
    win.show()
    qtbot.waitExposed(win)
    win.show_page("home")
    yield win
    win.dispose()


def expected_files(descriptor: dict[str, Any]) -> dict[str, str]:
    """rel path under the destination -> sha256, from the platform's own descriptor."""
    return {
        f"{c['id']}/{p['id']}/{e['id']}/{f['name']}": f["sha256"]
        for c in descriptor["params"]["consultations"]
        for p in c["plis"]
        for e in p["envelopes"]
        for f in e["files"]
    }


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def click(qtbot: Any, card: JobCard, name: str) -> None:
    button = card.findChild(QPushButton, name)
    assert button is not None and button.isVisible() and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def asked(card: JobCard) -> bool:
    block = card.destination
    return block is not None and block.start_button.isVisible()


def queue_and_wait_for_question(
    qtbot: Any, engine: JobEngine, window: MainWindow, demo: DemoProcess
) -> tuple[Job, JobCard, dict[str, Any]]:
    descriptor = demo.get(f"/api/descriptors/download?consultation={CONSULTATION}")
    job = engine.submit(descriptor, demo.url)
    page = window.jobs
    qtbot.waitUntil(lambda: job.id in page.cards and asked(page.cards[job.id]), timeout=30000)
    return job, page.cards[job.id], descriptor


def test_page_download_asks_the_folder_in_its_card_then_downloads_there(
    qtbot: Any,
    demo_engine: JobEngine,
    main_window: MainWindow,
    demo_platform: DemoProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    screens: Path,
) -> None:
    assert main_window.current_page() == "home"
    demo_platform.faults(rate=1_500_000)  # slow enough to see it running
    job, card, descriptor = queue_and_wait_for_question(qtbot, demo_engine, main_window, demo_platform)

    # The window came forward on "Traitements distants"; the job waits for the user.
    assert main_window.current_page() == "jobs"
    current = demo_engine.get(job.id)
    assert current is not None and current.state is JobState.WAITING_USER
    assert card.title.text() == "Téléchargement des plis chiffrés — En attente de votre action"
    assert re.match(r"Date de lancement de ce traitement : \d\d/\d\d/\d{4} - \d\d:\d\d:\d\d", card.started.text())
    assert card.facts.text() == "Nombre de plis chiffrés à télécharger : 5"
    block = card.destination
    assert block is not None and card.waiting is not None
    assert block.prompt.text() == DESTINATION_PROMPT
    assert (
        (block.browse_button.text(), block.start_button.text())
        == (BROWSE, START_DOWNLOAD)
        == ("PARCOURIR", "LANCER LE TÉLÉCHARGEMENT")
    )
    assert card.waiting.isVisible() and card.waiting.text() == WAITING == "En attente des étapes précédentes..."
    assert not card.progress_box.isVisible()
    proposed = downloads_root() / PROPOSED_NAME
    assert block.folder.text() == str(proposed)
    assert not proposed.exists()  # nothing is created before the user answers
    shot(main_window, screens, "download-asks-folder")

    # PARCOURIR (the native dialog stands in for the user's pick), then LANCER.
    chosen = tmp_path / "Marchés 2026"
    chosen.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *args, **kwargs: str(chosen)))
    click(qtbot, card, "downloadBrowse")
    assert block.folder.text() == str(chosen)
    click(qtbot, card, "downloadStart")
    assert not block.start_button.isVisible() and not block.browse_button.isVisible()
    assert block.folder.isReadOnly() and block.folder.text() == str(chosen)

    qtbot.waitUntil(lambda: card.element.isVisible() and card.speed.isVisible(), timeout=30000)
    assert not card.waiting.isVisible()
    assert re.fullmatch(
        r"Élément en cours de téléchargement : pli \d sur 5, enveloppe \d sur 3, fichier 1 sur 1\.", card.element.text()
    ), card.element.text()
    assert re.fullmatch(r"Vitesse de téléchargement : \d+ Ko/seconde", card.speed.text()), card.speed.text()
    shot(main_window, screens, "download-running")

    final = demo_engine.wait(job.id, timeout=60)
    assert final is not None and final.state is JobState.SUCCEEDED, final and final.error
    qtbot.waitUntil(lambda: card.percent.text() == "100 %", timeout=10000)
    assert card.bar.value() == 100
    assert card.title.text() == "Téléchargement des plis chiffrés — Terminé"
    expected = expected_files(descriptor)
    got = {p.relative_to(chosen).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files_under(chosen)}
    assert got == expected
    assert not proposed.exists()
    assert Settings.load().download_folders == {demo_platform.url: str(chosen)}
    # The finished card collapses to what was downloaded: count, size, folder, "Ouvrir le dossier".
    qtbot.waitUntil(lambda: card.outcome.isVisible(), timeout=5000)
    lines = card.outcome.text().splitlines()
    assert re.fullmatch(rf"{len(expected)} fichiers téléchargés \(\d+(,\d)? (octets|Ko|Mo)\)", lines[0]), lines
    assert f"Dossier : {chosen}" in lines
    assert card.open_folder_button.isVisible() and card.folder == str(chosen)
    assert not card.body.isVisible() and card.details_button.isVisible()
    click(qtbot, card, "jobDetails")
    assert card.body.isVisible()
    shot(main_window, screens, "download-done")

    # The history row opens the job's details, with the same outcome.
    page = main_window.jobs
    qtbot.waitUntil(
        lambda: any(
            row[2] == "Téléchargement des plis chiffrés" and row[4] == "Terminé" for row in page.history_rows()
        ),
        timeout=10000,
    )
    row = next(i for i, r in enumerate(page.history_rows()) if r[4] == "Terminé")
    page.open_history_row(row)
    dialog = page.details_dialog
    assert dialog is not None and dialog.isVisible()
    assert f"Dossier : {chosen}" in dialog.outcome.toPlainText()
    dialog.close()

    # The next download from this platform proposes the same folder; what is there is not fetched again.
    before = sum(demo_platform.stats()["requests"].values())
    job2, card2, _ = queue_and_wait_for_question(qtbot, demo_engine, main_window, demo_platform)
    assert card2.destination is not None and card2.destination.folder.text() == str(chosen)
    click(qtbot, card2, "downloadStart")
    final2 = demo_engine.wait(job2.id, timeout=60)
    assert final2 is not None and final2.state is JobState.SUCCEEDED and final2.result is not None
    assert final2.result.already_verified == len(expected)
    assert sum(demo_platform.stats()["requests"].values()) == before

    # A finished card stays until closed.
    click(qtbot, card, "jobClose")
    qtbot.waitUntil(lambda: job.id not in main_window.jobs.cards, timeout=5000)


def test_cancelling_the_question_writes_nothing(
    qtbot: Any,
    demo_engine: JobEngine,
    main_window: MainWindow,
    demo_platform: DemoProcess,
) -> None:
    job, card, _ = queue_and_wait_for_question(qtbot, demo_engine, main_window, demo_platform)
    click(qtbot, card, "jobCancel")
    # The GUI loop withdraws the question (a blocking engine.wait here would stall it).
    qtbot.waitUntil(lambda: getattr(demo_engine.get(job.id), "state", None) is JobState.CANCELLED, timeout=30000)
    qtbot.waitUntil(lambda: job.id not in main_window.jobs.cards, timeout=10000)
    assert not downloads_root().exists()
    assert demo_platform.stats()["requests"] == {}
    qtbot.waitUntil(
        lambda: bool(main_window.jobs.history_rows()) and main_window.jobs.history_rows()[0][4] == "Annulé",
        timeout=10000,
    )
    assert main_window.jobs.history_rows()[0][2] == "Téléchargement des plis chiffrés"
    assert Settings.load().download_folders == {}


def test_an_unusable_folder_is_explained_and_asked_again(
    qtbot: Any,
    demo_engine: JobEngine,
    main_window: MainWindow,
    demo_platform: DemoProcess,
    tmp_path: Path,
    screens: Path,
) -> None:
    job, card, descriptor = queue_and_wait_for_question(qtbot, demo_engine, main_window, demo_platform)
    block = card.destination
    assert block is not None
    blocker = tmp_path / "rapport.pdf"  # a file where a folder is expected
    blocker.write_text("pas un dossier")
    for typed, reason in (
        (str(blocker / "plis"), "un élément du chemin est un fichier, pas un dossier"),
        (str(blocker), "un élément du chemin est un fichier, pas un dossier"),
        ("plis/relatif", None),
        ("", None),
    ):
        block.folder.clear()
        qtbot.keyClicks(block.folder, typed)
        click(qtbot, card, "downloadStart")
        assert block.error.isVisible()
        if reason is not None:
            assert block.error.text() == (
                f"Le répertoire « {typed} » ne peut pas recevoir les plis chiffrés : {reason}. Choisissez un autre répertoire."
            )
        current = demo_engine.get(job.id)
        assert current is not None and current.state is JobState.WAITING_USER
        assert block.start_button.isVisible()
    assert block.error.text() == "Sélectionnez le répertoire de destination des plis chiffrés."
    block.folder.clear()
    qtbot.keyClicks(block.folder, "plis/relatif")
    click(qtbot, card, "downloadStart")
    assert (
        block.error.text()
        == "« plis/relatif » n'est pas un chemin complet : choisissez le répertoire avec « Parcourir »."
    )
    shot(main_window, screens, "download-folder-error")
    assert blocker.read_text() == "pas un dossier"

    good = tmp_path / "nouveau" / "dossier"  # created on LANCER
    block.folder.clear()
    qtbot.keyClicks(block.folder, str(good))
    qtbot.keyClick(block.folder, Qt.Key.Key_Return)
    final = demo_engine.wait(job.id, timeout=60)
    assert final is not None and final.state is JobState.SUCCEEDED
    assert not block.error.isVisible()
    got = {p.relative_to(good).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files_under(good)}
    assert got == expected_files(descriptor)


def test_without_a_window_the_question_is_a_dialog(qtbot: Any, interaction: QtUserInteraction, tmp_path: Path) -> None:
    job = Job(id="j1", type=JobType.DOWNLOAD, origin="https://marches.example.fr", params={})
    summary = DownloadSummary(plis=2, files=6, bytes=1000, consultations=("2026-AO-17",))
    box: dict[str, Any] = {}

    def ask() -> None:
        box["answer"] = interaction.choose_download_folder(job, tmp_path / "proposé", summary)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    dialog = wait_for_dialog(qtbot, "downloadFolderDialog")
    heading = dialog.findChild(QLabel, "downloadFolderHeading")
    assert heading is not None and "Nombre de plis chiffrés à télécharger : 2" in heading.text()
    cancel = dialog.findChild(QPushButton, "downloadFolderCancel")
    assert cancel is not None
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    thread.join(10)
    assert box == {"answer": None}
    assert not (tmp_path / "proposé").exists()

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    dialog = wait_for_dialog(qtbot, "downloadFolderDialog")
    start = dialog.findChild(QPushButton, "downloadStart")
    assert start is not None
    qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
    thread.join(10)
    assert box == {"answer": tmp_path / "proposé"} and (tmp_path / "proposé").is_dir()


def test_online_opening_card_shows_the_four_steps(
    qtbot: Any,
    demo_engine: JobEngine,
    main_window: MainWindow,
    demo_platform: DemoProcess,
    screens: Path,
) -> None:
    """A real opening with the demo bi-clé of the assistant's vault: the user picks it and types its
    password in the dialogs, and the card follows the original's four steps."""
    demo_platform.faults(upload_delay=0.15)  # slow enough to see step 3 running
    descriptor = demo_platform.get("/api/descriptors/open?consultation=DEMO-2026-002")
    main_window.show_page("jobs")
    job = demo_engine.submit(descriptor, demo_platform.url)
    page = main_window.jobs
    qtbot.waitUntil(lambda: job.id in page.cards, timeout=10000)
    card = page.cards[job.id]
    assert card.facts.text() == (
        "Référence de la consultation concernée : DEMO-2026-002\nNombre d'enveloppes à ouvrir/déchiffrer : 15"
    )
    assert [row.text for row in card.steps][1:] == [
        "Récupération de la clé privée dans votre magasin de certificats",
        "Déchiffrement",
        "Déchiffrement terminé",
    ]
    assert card.steps[0].text == "Récupération des fichiers descripteurs"

    dialog = wait_for_dialog(qtbot, "chooseCredentialDialog", timeout=60)
    assert [row.state for row in card.steps] == ["done", "running", "waiting", "waiting"]
    assert card.steps[1].text.endswith("en attente de votre action (code PIN ou choix du certificat)")
    shot(main_window, screens, "open-step2")
    listing = dialog.findChild(QListWidget, "credentialList")
    assert listing is not None
    rows = [i for i in range(listing.count()) if "Démo Acheteur" in listing.item(i).text()]
    assert rows, [listing.item(i).text() for i in range(listing.count())]
    listing.setCurrentRow(rows[0])
    choose = dialog.findChild(QPushButton, "credentialChoose")
    assert choose is not None
    qtbot.mouseClick(choose, Qt.MouseButton.LeftButton)
    pin = wait_for_dialog(qtbot, "pinDialog", timeout=30)
    # The password is part of step 2 (the key is unlocked there), not asked behind envelope 1.
    assert [row.state for row in card.steps] == ["done", "running", "waiting", "waiting"]
    field = pin.findChild(QLineEdit, "pinField")
    assert field is not None
    qtbot.keyClicks(field, "demo")
    qtbot.keyClick(field, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: card.steps[2].state == "running", timeout=30000)
    assert [row.state for row in card.steps] == ["done", "done", "running", "waiting"]
    assert re.fullmatch(r"Déchiffrement de l'enveloppe \d+ sur 15", card.steps[2].text), card.steps[2].text
    bar = card.steps[2].bar
    assert bar is not None and bar.isVisible()
    shot(main_window, screens, "open-step3")

    qtbot.waitUntil(lambda: getattr(demo_engine.get(job.id), "state", None) is JobState.SUCCEEDED, timeout=120000)
    qtbot.waitUntil(lambda: [row.state for row in card.steps] == ["done"] * 4, timeout=10000)
    assert card.steps[3].text == "Déchiffrement terminé"
    # Step 4's progress event and the job's end are two events: the title follows the second.
    qtbot.waitUntil(lambda: card.title.text().endswith("— Terminé"), timeout=10000)
    shot(main_window, screens, "open-done")

    # The finished card collapses to what the opening did: the envelopes opened and sent back, the
    # byte count being what the platform received (its own record of the uploads).
    qtbot.waitUntil(lambda: card.outcome.isVisible(), timeout=10000)
    uploads = demo_platform.stats()["uploads"]
    assert len(uploads) == 15
    sent = fmt_size(sum(int(item["size"]) for item in uploads.values()))
    expected_outcome = ["15 enveloppes ouvertes", f"15 transmise(s) à la plateforme ({sent})"]
    assert card.outcome.text().splitlines() == expected_outcome
    assert not card.body.isVisible() and card.details_button.isVisible() and card.close_button.isVisible()
    assert not card.open_folder_button.isVisible()  # nothing decrypted stays on the workstation
    click(qtbot, card, "jobDetails")
    assert [row.state for row in card.steps] == ["done"] * 4 and card.steps[0].isVisible()
    shot(main_window, screens, "open-outcome")

    # The history row opens the job's details with the same outcome.
    qtbot.waitUntil(
        lambda: any(
            row[2] == "Ouverture en ligne — DEMO-2026-002" and row[4] == "Terminé" for row in page.history_rows()
        ),
        timeout=10000,
    )
    row = next(i for i, r in enumerate(page.history_rows()) if r[2] == "Ouverture en ligne — DEMO-2026-002")
    page.open_history_row(row)
    dialog = page.details_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.outcome.toPlainText().splitlines() == expected_outcome
    shot(dialog, screens, "open-history-details")
    dialog.close()
