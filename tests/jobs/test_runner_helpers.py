"""Helpers the sign, verify and decrypt runners share: the work folder of a page's files never
outlives its job, and a partly failed batch says how many items failed and why the first did."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.i18n import M_
from assistant.jobs.engine import JobContext, JobEngine, JobFailed
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.model import JobState, JobType
from assistant.jobs.params import JobParams, VerifyParams
from assistant.jobs.results import JobResult, SignResult, VerifyResult
from assistant.jobs.runners.common import batch_failed
from assistant.jobs.runners.remote import remote_files_job

ORIGIN = "https://marches.example.fr"
FILE = {"name": "offre.pdf", "url": f"{ORIGIN}/f/1", "size": 10, "sha256": "ab" * 32}


@pytest.fixture
def engine() -> JobEngine:
    engine = JobEngine(interaction=HeadlessInteraction(), workers=1)
    yield engine  # type: ignore[misc]
    engine.shutdown()


@pytest.mark.parametrize("fails", [False, True])
def test_work_folder_of_a_pages_files_is_removed_whatever_the_outcome(engine: JobEngine, fails: bool) -> None:
    seen: list[tuple[Path | None, bool, list[str]]] = []

    def runner(ctx: JobContext, params: JobParams) -> JobResult:
        assert isinstance(params, VerifyParams) and params.files is not None
        with remote_files_job(ctx, "verification", params.files) as (_client, folder):
            assert folder is not None
            (folder / "offre.pdf").write_bytes(b"copie")  # what fetch_inputs would leave there
            seen.append((folder, folder.is_dir(), [f.name for f in params.files]))
            if fails:
                raise AssistantError("Échec voulu.", "Intended failure.", code="intended")
        return VerifyResult(())

    engine.register_runner(JobType.VERIFY, runner)
    job = engine.submit({"version": 1, "type": "verify", "params": {"files": [FILE]}}, ORIGIN)
    final = engine.wait(job.id, timeout=10)
    assert final is not None and final.state is (JobState.FAILED if fails else JobState.SUCCEEDED)
    ((folder, existed, names),) = seen
    assert existed and names == ["offre.pdf"]
    assert folder is not None and not folder.exists()


def test_local_paths_get_no_work_folder(engine: JobEngine, tmp_path: Path) -> None:
    seen: list[Path | None] = []

    def runner(ctx: JobContext, params: JobParams) -> JobResult:
        assert isinstance(params, VerifyParams)
        assert params.files is None and params.paths == (str(tmp_path),)
        with remote_files_job(ctx, "verification", ()) as (_client, folder):
            seen.append(folder)
        return VerifyResult(())

    engine.register_runner(JobType.VERIFY, runner)
    job = engine.submit({"version": 1, "type": "verify", "params": {"paths": [str(tmp_path)]}}, "local")
    final = engine.wait(job.id, timeout=10)
    assert final is not None and final.state is JobState.SUCCEEDED and seen == [None]


def test_partial_failure_counts_and_gives_the_first_reason() -> None:
    first = AssistantError("Code PIN incorrect.", "Wrong PIN.", code="pin_incorrect")
    result = SignResult(1, (), "ab" * 32)
    failure = batch_failed(
        M_("{failed} fichier(s) sur {total} n'ont pas été signés", failed=2, total=3), first, "sign_failed", result
    )
    assert isinstance(failure, JobFailed)
    assert failure.error.message_fr == "2 fichier(s) sur 3 n'ont pas été signés : Code PIN incorrect."
    assert failure.error.message_en == "2 of 3 file(s) were not signed: Wrong PIN."
    assert failure.error.code == "pin_incorrect" and failure.partial is result
    unknown = batch_failed(
        M_("{failed} enveloppe(s) sur {total} n'ont pas pu être déchiffrées", failed=1, total=4),
        None,
        "decrypt_failed",
        result,
    )
    assert unknown.error.message_fr == "1 enveloppe(s) sur 4 n'ont pas pu être déchiffrées."
    assert unknown.error.message_en == "1 of 4 envelope(s) could not be decrypted."
    assert unknown.error.code == "decrypt_failed"
