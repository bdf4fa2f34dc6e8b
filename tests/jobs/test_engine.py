"""The job engine: queueing, progress events, cancel, the journal, and what pages may see."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from assistant.errors import AssistantError, ErrorInfo
from assistant.jobs.descriptor import DescriptorError
from assistant.jobs.engine import JobContext, JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.journal import Journal
from assistant.jobs.model import JobEvent, JobState, JobType
from assistant.jobs.params import JobParams
from assistant.jobs.results import DiagnoseResult, DownloadResult, JobResult
from assistant.progress import Count, Phase, ProgressUpdate, Unit

ORIGIN = "https://marches.example.fr"
TOKEN = "secret-token-for-this-job"


def diagnose(token: str | None = TOKEN) -> dict[str, object]:
    descriptor: dict[str, object] = {"version": 1, "type": "diagnose", "params": {"platform_url": f"{ORIGIN}/"}}
    if token:
        descriptor["token"] = token
    return descriptor


@pytest.fixture
def engine() -> JobEngine:
    engine = JobEngine(interaction=HeadlessInteraction(), workers=2)
    yield engine  # type: ignore[misc]
    engine.shutdown()


def test_progress_events_with_speed_and_the_token_never_leaks(engine: JobEngine, assistant_home: Path) -> None:
    events: list[JobEvent] = []
    seen_token: list[str | None] = []

    def runner(ctx: JobContext, params: JobParams) -> JobResult:
        seen_token.append(ctx.token)
        for i in range(1, 6):
            ctx.progress(
                ProgressUpdate(
                    step=i,
                    steps=5,
                    phase=Phase.VERIFY_FILE,
                    item=i,
                    items=5,
                    bytes_done=i * 100_000,
                    bytes_total=500_000,
                    position=(Count(Unit.PLI, i, 5),),
                )
            )
            time.sleep(0.06)
        return DownloadResult(1, 1, 1, 0, 0, (), "secret", destination="/home/user/secret")

    engine.register_runner(JobType.DIAGNOSE, runner)
    engine.subscribe(events.append)
    job = engine.submit(diagnose(), ORIGIN)
    final = engine.wait(job.id, timeout=10)
    assert final is not None and final.state is JobState.SUCCEEDED
    assert seen_token == [TOKEN]
    states = [e.job.state.value for e in events if e.kind == "state"]
    assert states == ["queued", "running", "succeeded"]
    progress = [e.job.to_public_dict()["progress"] for e in events if e.kind == "progress"]
    # The sentences are made from the numbers; the numbers travel too.
    assert progress[-1]["label"] == "Vérification du fichier 5 sur 5" and progress[-1]["element"] == "pli 5 sur 5"
    assert (progress[-1]["phase"], progress[-1]["item"], progress[-1]["items"]) == ("verify_file", 5, 5)
    assert any(p["speed_bps"] > 100_000 for p in progress)  # ~1.6 MB/s moved, not 0
    assert final.progress.fraction == 1.0
    # What pages see: never the token, never local paths.
    for event in events:
        text = json.dumps(event.job.to_public_dict())
        assert TOKEN not in text and "/home/user" not in text
    assert TOKEN not in json.dumps(final.to_public_dict())
    assert isinstance(final.result, DownloadResult) and final.result.destination == "/home/user/secret"
    assert final.local_result_json()["destination"] == "/home/user/secret"
    # The token is not kept after the job.
    assert TOKEN not in json.dumps(
        [p.read_text(errors="ignore") for p in assistant_home.rglob("*") if p.is_file() and p.suffix != ".sqlite3"]
    )
    assert TOKEN.encode() not in b"".join(p.read_bytes() for p in assistant_home.rglob("*") if p.is_file())


def test_cancel_running_and_queued_jobs(assistant_home: Path) -> None:
    engine = JobEngine(interaction=HeadlessInteraction(), workers=1)
    started = threading.Event()
    written: list[Path] = []

    def runner(ctx: JobContext, params: JobParams) -> JobResult:
        started.set()
        tmp = assistant_home / f".{ctx.job_id}.part"
        try:
            while True:
                tmp.write_bytes(b"partial")
                ctx.progress(ProgressUpdate(step=1, steps=2, phase=Phase.FETCH_FILES))
                time.sleep(0.01)
        finally:
            tmp.unlink(missing_ok=True)  # nothing half-written stays
        written.append(tmp)
        return DiagnoseResult({})

    engine.register_runner(JobType.DIAGNOSE, runner)
    running = engine.submit(diagnose(), ORIGIN)
    queued = engine.submit(diagnose(), ORIGIN)
    assert started.wait(5)
    assert engine.get(queued.id).state is JobState.QUEUED  # type: ignore[union-attr]
    assert engine.cancel(queued.id)
    assert engine.cancel(running.id)
    first = engine.wait(running.id, timeout=5)
    second = engine.wait(queued.id, timeout=5)
    assert first is not None and first.state is JobState.CANCELLED
    assert first.error is not None and first.error.code == "cancelled"
    assert second is not None and second.state is JobState.CANCELLED
    assert not list(assistant_home.glob("*.part"))
    assert engine.cancel(running.id) is False  # already over
    engine.shutdown()


def test_failures_are_reported_in_french_and_journaled(engine: JobEngine) -> None:
    def runner(ctx: JobContext, params: JobParams) -> JobResult:
        raise AssistantError("La plateforme est injoignable.", "The platform is unreachable.", code="platform")

    def crashing(ctx: JobContext, params: JobParams) -> JobResult:
        raise RuntimeError("boom /home/user/secret")

    engine.register_runner(JobType.DIAGNOSE, runner)
    failed = engine.wait(engine.submit(diagnose(), ORIGIN).id, timeout=5)
    assert failed is not None and failed.state is JobState.FAILED
    assert failed.error == ErrorInfo("platform", "La plateforme est injoignable.", "The platform is unreachable.")
    engine.register_runner(JobType.DIAGNOSE, crashing)
    crashed = engine.wait(engine.submit(diagnose(), ORIGIN).id, timeout=5)
    assert crashed is not None and crashed.error is not None
    assert crashed.error.code == "internal" and "/home/user" not in crashed.error.message
    history = engine.journal.history()
    assert [h.state for h in history[:2]] == ["failed", "failed"]
    assert history[0].title == "Test de la configuration utilisateur"
    assert history[0].started_at and history[0].ended_at


def test_invalid_descriptor_creates_no_job(engine: JobEngine) -> None:
    with pytest.raises(DescriptorError) as info:
        engine.submit(
            {"version": 1, "type": "download", "params": {"descriptor_url": "https://evil.example/d"}}, ORIGIN
        )
    assert info.value.field == "params.descriptor_url"
    assert engine.jobs() == []
    assert engine.journal.history() == []


def test_jobs_are_listed_per_origin(engine: JobEngine) -> None:
    engine.register_runner(JobType.DIAGNOSE, lambda ctx, params: DiagnoseResult({}))
    mine = engine.submit(diagnose(), ORIGIN)
    other = engine.submit({"version": 1, "type": "diagnose", "params": {}}, "https://autre.example")
    engine.wait(mine.id, timeout=5)
    engine.wait(other.id, timeout=5)
    assert [j.id for j in engine.jobs(ORIGIN)] == [mine.id]
    assert {j.id for j in engine.jobs()} == {mine.id, other.id}


def test_waiting_for_the_user_is_a_visible_state(engine: JobEngine) -> None:
    states: list[str] = []

    def runner(ctx: JobContext, params: JobParams) -> JobResult:
        ctx.confirm("Conserver les fichiers déchiffrés ?")
        return DiagnoseResult({})

    engine.register_runner(JobType.DIAGNOSE, runner)
    engine.subscribe(lambda e: states.append(e.job.state.value) if e.kind == "state" else None)
    engine.wait(engine.submit(diagnose(), ORIGIN).id, timeout=5)
    assert states == ["queued", "running", "waiting_user", "running", "succeeded"]


def test_jobs_left_running_by_a_dead_process_end_as_interrupted(assistant_home: Path) -> None:
    import sqlite3

    journal = Journal()
    journal.close()
    db = sqlite3.connect(journal.path)
    db.execute(
        "INSERT INTO jobs VALUES ('x','download','local','Téléchargement des plis chiffrés','running','2026-01-01T00:00:00+00:00',NULL,NULL,NULL,NULL,999999999)"
    )
    db.commit()
    db.close()
    engine = JobEngine(interaction=HeadlessInteraction())
    entry = engine.journal.history()[0]
    assert entry.state == "failed" and entry.error is not None and entry.error.code == "interrupted"
    engine.shutdown()


def test_finished_jobs_are_pruned_from_memory_not_from_the_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.jobs.engine as engine_module

    monkeypatch.setattr(engine_module, "KEEP_FINISHED", 2)
    engine = JobEngine(interaction=HeadlessInteraction(), workers=1)
    engine.register_runner(JobType.DIAGNOSE, lambda ctx, params: DiagnoseResult({}))
    ids = []
    for _ in range(4):
        job = engine.submit(diagnose(), ORIGIN)
        engine.wait(job.id, timeout=5)
        ids.append(job.id)
    assert [j.id for j in engine.jobs()] == ids[2:]
    assert len(engine.journal.history()) == 4
    engine.shutdown()
