"""Where a page's bulk download goes: the job asks the user (UserInteraction.choose_download_folder),
proposing the folder last chosen for that platform; an unusable answer is asked again with the French
reason; a cancel writes nothing. Against the demo platform as a separate process."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import paths
from assistant.errors import OutputError
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import DownloadSummary, HeadlessInteraction, UserInteraction, prepare_download_folder
from assistant.jobs.model import Job, JobState
from assistant.jobs.runners.common import downloads_root
from assistant.progress import CancelToken
from assistant.settings import SETTINGS_FILE, Settings
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess

CONSULTATION = "DEMO-2026-001"
UNUSABLE = "un élément du chemin est un fichier, pas un dossier"


class ScriptedUser(HeadlessInteraction):
    """A user who answers the folder questions from a list, and a record of what he was asked."""

    def __init__(self, answers: list[Path | None], engine_box: dict[str, JobEngine]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.asked: list[dict[str, Any]] = []
        self.engine_box = engine_box

    def choose_download_folder(
        self, job: Job, proposed: Path, summary: DownloadSummary, *, error: str = "", cancel: CancelToken | None = None
    ) -> Path | None:
        current = self.engine_box["engine"].get(job.id)
        self.asked.append(
            {
                "proposed": proposed,
                "summary": summary,
                "error": error,
                "state": current.state if current else None,
                "cancel": cancel,
            }
        )
        return self.answers.pop(0)


@pytest.fixture
def engine_box() -> Iterator[dict[str, JobEngine]]:
    box: dict[str, JobEngine] = {}
    yield box
    if "engine" in box:
        box["engine"].shutdown()


def start(box: dict[str, JobEngine], interaction: UserInteraction) -> JobEngine:
    box["engine"] = JobEngine(interaction=interaction, settings=Settings.load(), loopback_http=True, workers=1)
    return box["engine"]


def expected(descriptor: dict[str, Any]) -> dict[str, str]:
    return {
        f"{c['id']}/{p['id']}/{e['id']}/{f['name']}": f["sha256"]
        for c in descriptor["params"]["consultations"]
        for p in c["plis"]
        for e in p["envelopes"]
        for f in e["files"]
    }


def downloaded(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_user_is_asked_and_his_folder_is_proposed_next_time(
    demo_platform: DemoProcess,
    engine_box: dict[str, JobEngine],
    tmp_path: Path,
) -> None:
    chosen = tmp_path / "Plis reçus"
    user = ScriptedUser([chosen, chosen], engine_box)
    engine = start(engine_box, user)
    descriptor = demo_platform.get(f"/api/descriptors/download?consultation={CONSULTATION}")
    job = engine.submit(descriptor, demo_platform.url)
    final = engine.wait(job.id, timeout=60)
    assert final is not None and final.state is JobState.SUCCEEDED, final and final.error

    first = user.asked[0]
    assert first["proposed"] == downloads_root() / "Plateforme de démonstration"
    assert first["state"] is JobState.WAITING_USER  # "En attente de votre action" while asked
    assert first["error"] == "" and isinstance(first["cancel"], CancelToken)
    files = expected(descriptor)
    assert first["summary"] == DownloadSummary(
        plis=5, files=len(files), bytes=first["summary"].bytes, consultations=(CONSULTATION,)
    )
    assert first["summary"].bytes == sum(
        f["size"]
        for c in descriptor["params"]["consultations"]
        for p in c["plis"]
        for e in p["envelopes"]
        for f in e["files"]
    )
    assert downloaded(chosen) == files
    assert not downloads_root().exists()
    assert final.result.destination == str(chosen)
    assert (
        final.result is not None
        and "destination" not in final.result.to_json()
        and str(chosen) not in json.dumps(final.to_public_dict())
    )

    # Remembered for this platform (and only for it), in the settings file.
    assert Settings.load().download_folders == {demo_platform.url: str(chosen)}
    again = engine.submit(descriptor, demo_platform.url)
    final = engine.wait(again.id, timeout=60)
    assert final is not None and final.state is JobState.SUCCEEDED
    assert user.asked[1]["proposed"] == chosen
    assert final.result is not None and final.result.already_verified == len(files)


def test_an_unusable_answer_is_asked_again_with_the_reason(
    demo_platform: DemoProcess,
    engine_box: dict[str, JobEngine],
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("un fichier")
    good = tmp_path / "bon"
    user = ScriptedUser([blocker / "plis", good], engine_box)
    engine = start(engine_box, user)
    descriptor = demo_platform.get(f"/api/descriptors/download?consultation={CONSULTATION}")
    final = engine.wait(engine.submit(descriptor, demo_platform.url).id, timeout=60)
    assert final is not None and final.state is JobState.SUCCEEDED
    assert [a["error"] for a in user.asked] == [
        "",
        f"Le répertoire « {blocker / 'plis'} » ne peut pas recevoir les plis chiffrés : {UNUSABLE}. Choisissez un autre répertoire.",
    ]
    assert user.asked[1]["proposed"] == blocker / "plis"  # the field keeps what the user typed
    assert downloaded(good) == expected(descriptor)
    assert blocker.read_text() == "un fichier"


def test_a_cancelled_question_writes_nothing(
    demo_platform: DemoProcess,
    engine_box: dict[str, JobEngine],
) -> None:
    user = ScriptedUser([None], engine_box)
    engine = start(engine_box, user)
    descriptor = demo_platform.get(f"/api/descriptors/download?consultation={CONSULTATION}")
    final = engine.wait(engine.submit(descriptor, demo_platform.url).id, timeout=60)
    assert final is not None and final.state is JobState.CANCELLED
    assert final.error is not None and final.error.code == "cancelled"
    assert not downloads_root().exists()
    assert demo_platform.stats()["requests"] == {}
    assert not (paths.config_dir() / SETTINGS_FILE).exists()


def test_headless_takes_the_proposed_folder_and_fails_clearly_when_it_is_unusable(
    demo_platform: DemoProcess,
    engine_box: dict[str, JobEngine],
    tmp_path: Path,
) -> None:
    engine = start(engine_box, HeadlessInteraction())
    descriptor = demo_platform.get(f"/api/descriptors/download?consultation={CONSULTATION}")
    final = engine.wait(engine.submit(descriptor, demo_platform.url).id, timeout=60)
    assert final is not None and final.state is JobState.SUCCEEDED
    default = downloads_root() / "Plateforme de démonstration"
    assert downloaded(default) == expected(descriptor)
    assert not (paths.config_dir() / SETTINGS_FILE).exists()  # the default is not worth remembering
    engine.shutdown()

    # A remembered folder that became unusable: the operator cannot choose, the job says why.
    blocker = tmp_path / "plus-un-dossier"
    blocker.write_text("x")
    settings = Settings.load()
    settings.download_folders[demo_platform.url] = str(blocker)
    settings.save()
    engine = start(engine_box, HeadlessInteraction())
    final = engine.wait(engine.submit(descriptor, demo_platform.url).id, timeout=60)
    assert final is not None and final.state is JobState.FAILED and final.error is not None
    assert final.error.code == "output"
    assert final.error.message == (
        f"Le répertoire « {blocker} » ne peut pas recevoir les plis chiffrés : {UNUSABLE}. Choisissez un autre répertoire."
    )
    assert blocker.read_text() == "x"


def test_prepare_download_folder_and_old_settings_files(tmp_path: Path) -> None:
    made = prepare_download_folder(f"  {tmp_path / 'a' / 'b'}  ")
    assert made == tmp_path / "a" / "b" and made.is_dir() and list(made.iterdir()) == []
    with pytest.raises(OutputError) as info:
        prepare_download_folder("")
    assert info.value.message_fr == "Sélectionnez le répertoire de destination des plis chiffrés."
    with pytest.raises(OutputError) as info:
        prepare_download_folder("relatif/dossier")
    assert "n'est pas un chemin complet" in info.value.message_fr

    # A settings file written before the field existed still loads, and keeps its other values.
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"tsa_url": "http://tsa.example", "approved_origins": ["https://m.example"]}))
    old = Settings.load(path)
    assert old.download_folders == {} and old.approved_origins == ["https://m.example"]
    old.download_folders["https://m.example"] = "/srv/plis"
    old.save(path)
    assert Settings.load(path).download_folders == {"https://m.example": "/srv/plis"}
