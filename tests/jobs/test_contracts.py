"""The typed job contracts: each job type's parameters and result go to JSON and back unchanged,
the descriptor parser returns the job type's own parameter class (and shows a page the same
parameters it sent), and progress labels are made from numbers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from assistant.errors import ErrorInfo
from assistant.jobs.descriptor import PARAMS_TYPES, parse_descriptor
from assistant.jobs.journal import RESULT_TYPES, Journal, result_from_json
from assistant.jobs.model import Job, JobState, JobType
from assistant.jobs.params import (
    Consultation,
    DecryptParams,
    DiagnoseParams,
    DownloadParams,
    Envelope,
    KeygenParams,
    OpenParams,
    Pli,
    PrepareParams,
    RemoteFile,
    SignParams,
    VerifyParams,
)
from assistant.jobs.registry import RUNNERS
from assistant.jobs.results import (
    DecryptResult,
    DiagnoseResult,
    DownloadResult,
    FailedItem,
    FileVerification,
    JobResult,
    KeygenResult,
    OpenResult,
    PrepareResult,
    SignedFile,
    SignResult,
    VerifyResult,
)
from assistant.progress import Count, Phase, ProgressUpdate, Unit, label_fr

ORIGIN = "https://marches.example.fr"
SHA = "ab" * 32
ERROR = ErrorInfo("pin_incorrect", "Code PIN incorrect.", "Wrong PIN.")


def _file(n: int, upload: bool = False) -> RemoteFile:
    return RemoteFile(
        name=f"f{n}.p7m",
        url=f"{ORIGIN}/f/{n}",
        size=n,
        sha256=SHA,
        id=f"id{n}",
        label="Pièce",
        upload_url=f"{ORIGIN}/u/{n}" if upload else None,
    )


def _consultation(upload: bool) -> Consultation:
    return Consultation(
        id="C1",
        reference="2026-AO-17",
        plis=(
            Pli(
                id="P1",
                company="ACME",
                envelopes=(Envelope(id="E1", kind="offre", files=(_file(1, upload), _file(2, upload))),),
            ),
            Pli(id="P2", envelopes=(Envelope(id="E1", files=(_file(3, upload),)),)),
        ),
    )


CONSULTATION = _consultation(upload=False)

PARAMS = [
    DownloadParams(consultations=(CONSULTATION,), destination="/home/u/plis", connections=4),
    DownloadParams(descriptor_url=f"{ORIGIN}/d"),
    OpenParams(consultation=_consultation(upload=True), key="sha256:" + SHA, keep_decrypted_in="/tmp/x"),
    SignParams(format="pades", files=(_file(1, True),), level="B-T"),
    SignParams(format="cades", paths=("/a.pdf", "/b.pdf"), out_dir="/out", key="vault:moi"),
    VerifyParams(files=(_file(1),), report_url=f"{ORIGIN}/r"),
    VerifyParams(paths=("/a.pdf.p7s",), detached_of="/a.pdf"),
    KeygenParams(name="Clé", cn="Jean", upload_url=f"{ORIGIN}/k", key_size=3072, store="vault"),
    DecryptParams(folder="/plis", out_dir="/clair", key="x.p12", extract=False),
    DiagnoseParams(platform_url=ORIGIN),
    DiagnoseParams(),
    PrepareParams(deposit_rules={"signature_formats": ["PAdES"], "deadline": "2026-12-04T12:00:00+01:00"}, level="B-B"),
    PrepareParams(folder="/offre", out_dir="/depot", key="vault:moi"),
]

RESULTS: list[JobResult] = [
    DownloadResult(
        3,
        300,
        200,
        1,
        1,
        (FailedItem("C1/P1/E1/f1.p7m", ERROR),),
        "plis",
        destination="/home/u/plis",
        paths=("/a", "/b"),
    ),
    OpenResult("C1", 3, 3, 1234, SHA, kept=("/tmp/x/a",)),
    SignResult(
        1,
        (SignedFile("a.pdf", "a - Signature 1.pdf", uploaded=True), SignedFile("b.pdf", None, ERROR)),
        SHA,
        outputs=("/o/a.pdf",),
    ),
    VerifyResult(
        (
            FileVerification("a.pdf", True, {"signatures": [{"valid": True}]}),
            FileVerification("b.pdf", False, error=ERROR),
        ),
        paths=("/a.pdf",),
    ),
    KeygenResult(
        "CN=Jean",
        "1A",
        "2026-01-01T00:00:00+00:00",
        "2029-01-01T00:00:00+00:00",
        3072,
        SHA,
        "vault",
        "Coffre",
        False,
        {"sensitive": True},
        ("Sauvegardez.",),
        ("Back it up.",),
        uploaded=True,
        location="vault:Clé",
    ),
    DecryptResult(
        2, 1, (FailedItem("e2.p7m", None),), out_dir="/clair", outcomes=({"source": "/plis/e1.p7m", "ok": True},)
    ),
    DiagnoseResult({"checks": [{"id": "os", "status": "ok"}]}, {"checks": [{"id": "os", "details": {"path": "/x"}}]}),
    PrepareResult(
        7,
        10,
        10,
        {"PADES": 4, "XADES": 3},
        1,
        ({"severity": "warning", "code": "name_too_long", "file": "x.pdf"},),
        SHA,
        248_000,
        True,
        "2026-12-04T12:00:00+01:00",
        {"seconds": 1.5, "verdict": "ok"},
        3600.0,
        bid_folder="/offre",
        destination="/offre - dépôt signé",
        summary="/r.pdf",
        reports=None,
    ),
]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: type(p).__name__)
def test_params_round_trip_through_json(params: Any) -> None:
    data = json.loads(json.dumps(params.to_json()))
    assert type(params).from_json(data) == params


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: type(r).__name__)
def test_results_round_trip_through_json(result: JobResult) -> None:
    public = json.loads(json.dumps(result.to_json()))
    local = json.loads(json.dumps(result.local_json()))
    assert type(result).from_json(public, local) == result
    assert "/" not in json.dumps(public).replace(ORIGIN, "").replace("C1/P1/E1/f1.p7m", "")  # no local path


def test_every_job_type_has_its_params_result_and_runner() -> None:
    assert set(PARAMS_TYPES) == set(RESULT_TYPES) == set(RUNNERS) == set(JobType)
    for job_type, entry in RUNNERS.items():
        assert entry.params is PARAMS_TYPES[job_type]


def test_the_journal_keeps_typed_results_and_errors(assistant_home: Any) -> None:
    journal = Journal()
    try:
        for index, result in enumerate(RESULTS):
            job_type = next(t for t, cls in RESULT_TYPES.items() if isinstance(result, cls))
            params = next(p for p in PARAMS if isinstance(p, PARAMS_TYPES[job_type]))
            job = Job(
                id=f"j{index}",
                type=job_type,
                origin=ORIGIN,
                params=params,
                state=JobState.FAILED,
                result=result,
                error=ERROR,
            )
            journal.record_job(job)
        entries = {e.id: e for e in journal.history()}
        for index, result in enumerate(RESULTS):
            entry = entries[f"j{index}"]
            assert entry.error == ERROR
            assert entry.result is not None and entry.result.to_json() == result.to_json()
    finally:
        journal.close()
    # A row an older version wrote in another shape still lists (without its result).
    assert result_from_json("download", json.dumps({"files": "?"})) is None
    assert result_from_json("nope", "{}") is None


def _descriptor(job_type: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "type": job_type, "token": "tok", "params": params}


def test_the_parser_returns_typed_params_and_the_page_sees_what_it_sent() -> None:
    sent = {"consultations": [CONSULTATION.to_json()], "connections": 3}
    parsed = parse_descriptor(_descriptor("download", copy.deepcopy(sent)), ORIGIN)
    assert isinstance(parsed.params, DownloadParams)
    assert parsed.params.consultations == (CONSULTATION,)
    assert parsed.params.to_json() == sent
    signing = parse_descriptor(_descriptor("sign", {"files": [_file(1, True).to_json()], "format": "pades"}), ORIGIN)
    assert isinstance(signing.params, SignParams) and signing.params.files == (_file(1, True),)
    local = parse_descriptor(_descriptor("decrypt", {"folder": "/plis"}), "local")
    assert local.params == DecryptParams(folder="/plis")


def test_progress_labels_are_made_from_numbers() -> None:
    update = ProgressUpdate(step=2, steps=4, phase=Phase.SIGN_FILE, item=5, items=8, element="offre.pdf")
    assert update.label == "Signature du fichier 5 sur 8" and update.element_text == "offre.pdf"
    where = ProgressUpdate(position=(Count(Unit.PLI, 2, 5), Count(Unit.ENVELOPE, 1, 3), Count(Unit.FILE, 3, 3)))
    assert where.element_text == "pli 2 sur 5, enveloppe 1 sur 3, fichier 3 sur 3"
    assert label_fr(Phase.CHECK, 3, 9, "Navigateurs") == "Test 3 sur 9 : Navigateurs"
    assert all(label_fr(phase, 1, 2, "x") or phase is Phase.NONE for phase in Phase)


def test_a_runner_gets_only_its_own_parameter_class(assistant_home: Any) -> None:
    from assistant.jobs.context import JobContext, RunnerEntry
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.interaction import HeadlessInteraction

    seen: list[SignParams] = []

    def sign_runner(ctx: JobContext, params: SignParams) -> JobResult:
        seen.append(params)
        return SignResult(0, (), SHA)

    engine = JobEngine(interaction=HeadlessInteraction(), workers=1)
    try:
        engine.register_runner(JobType.DIAGNOSE, RunnerEntry(SignParams, sign_runner))  # the wrong table entry
        job = engine.submit({"version": 1, "type": "diagnose", "params": {}}, ORIGIN)
        final = engine.wait(job.id, timeout=10)
    finally:
        engine.shutdown()
    assert final is not None and final.state is JobState.FAILED and seen == []
    assert final.error is not None and final.error.code == "internal"
