""" "Préparer mon dépôt" started by a platform's page (job type `prepare`): the deposit rules come in
the descriptor, strictly checked (a foreign upload-test URL refused); the bid folder never does —
the user picks it in the window (here a test interaction), confirms, and signs with one PIN; the
page sees counts, formats, problems, the estimate and the deadline margin, never a local path.
Against the demo platform as a separate process (its descriptor, its upload-test endpoint)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.jobs.descriptor import LocalOnlyFieldError, UrlNotAllowedError, parse_descriptor
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import BidQuestion, HeadlessInteraction
from assistant.jobs.model import Job, JobState, JobType
from assistant.jobs.params import PrepareParams
from assistant.jobs.results import PrepareResult
from assistant.keystores.base import PinRequest
from assistant.progress import CancelToken
from assistant.settings import Settings
from tests import pki
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess
from tests.prepare.conftest import LONG_NAME, Bid, make_bid

ORIGIN = "https://plateforme.example"
RULES = {
    "platform": "Plateforme exemple",
    "signature_formats": ["PAdES", "CAdES"],
    "extensions": ["pdf", "xlsx", "zip"],
    "max_file_size": 10 << 20,
    "deadline": "2026-12-04T12:00:00+01:00",
    "upload_test_url": "https://plateforme.example/api/upload-test",
}


def _descriptor(params: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "type": "prepare", "token": "t", "params": params}


def test_the_job_is_parsed_from_a_pages_descriptor_with_its_rules() -> None:
    parsed = parse_descriptor(_descriptor({"deposit_rules": RULES, "level": "B-B"}), ORIGIN)
    assert parsed.type is JobType.PREPARE and parsed.token == "t"
    assert isinstance(parsed.params, PrepareParams)
    assert parsed.params.deposit_rules == RULES and parsed.params.folder is None
    assert PrepareParams.from_json(parsed.params.to_json()) == parsed.params  # what the page sees of its job


def test_a_foreign_upload_test_url_and_a_local_folder_are_refused() -> None:
    with pytest.raises(UrlNotAllowedError) as info:
        parse_descriptor(
            _descriptor({"deposit_rules": {**RULES, "upload_test_url": "https://ailleurs.example/t"}}), ORIGIN
        )
    assert info.value.field == "params.deposit_rules.upload_test_url"
    with pytest.raises(UrlNotAllowedError):  # plain HTTP outside demo mode
        parse_descriptor(
            _descriptor({"deposit_rules": {"upload_test_url": "http://plateforme.example/t"}}),
            ORIGIN,
            loopback_http=False,
        )
    with pytest.raises(LocalOnlyFieldError):  # a page never names the bid folder, the output or the key
        parse_descriptor(_descriptor({"folder": "/home/user/Réponse"}), ORIGIN)
    with pytest.raises(LocalOnlyFieldError):
        parse_descriptor(_descriptor({"key": "pkcs11:token=x"}), ORIGIN)
    with pytest.raises(Exception) as unzoned:
        parse_descriptor(_descriptor({"deposit_rules": {"deadline": "2026-12-04T12:00:00"}}), ORIGIN)
    assert "fuseau horaire" in str(unzoned.value)


def _fingerprint(test_pki: pki.TestPki) -> str:
    from cryptography.hazmat.primitives import hashes

    return test_pki.signer.certificate.fingerprint(hashes.SHA256()).hex()


class Company(HeadlessInteraction):
    """The company's user: picks the bid folder when asked, confirms, picks his certificate (the one
    on the SoftHSM2 card, by its fingerprint) and types its PIN; every question is recorded (the
    PINs counted)."""

    def __init__(self, folder: Path | None, key: str, box: dict[str, JobEngine]) -> None:
        super().__init__(key_spec=key, pin_env="PREPARE_TEST_PIN", confirm_all=True)
        self.folder = folder
        self.box = box
        self.questions: list[tuple[BidQuestion, JobState | None]] = []
        self.pins: list[PinRequest] = []
        self.confirmations: list[str] = []

    def choose_bid_folder(
        self, job: Job, question: BidQuestion, *, error: str = "", cancel: CancelToken | None = None
    ) -> Path | None:
        current = self.box["engine"].get(job.id)
        self.questions.append((question, current.state if current else None))
        return self.folder

    def ask_pin(self, request: PinRequest) -> str | None:
        self.pins.append(request)
        return super().ask_pin(request)

    def confirm(self, job: Job, message_fr: str) -> bool:
        self.confirmations.append(message_fr)
        return True


@pytest.fixture
def box() -> Iterator[dict[str, JobEngine]]:
    engines: dict[str, JobEngine] = {}
    yield engines
    if "engine" in engines:
        engines["engine"].shutdown()


def _start(box: dict[str, JobEngine], interaction: HeadlessInteraction) -> JobEngine:
    box["engine"] = JobEngine(interaction=interaction, settings=Settings.load(), loopback_http=True, workers=1)
    return box["engine"]


def test_a_pages_prepare_job_end_to_end_with_one_pin_and_no_local_path(
    demo_platform: DemoProcess,
    box: dict[str, JobEngine],
    tmp_path: Path,
    test_pki: pki.TestPki,
    softhsm_token: pki.SoftHsmToken,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREPARE_TEST_PIN", softhsm_token.pin)
    bid: Bid = make_bid(tmp_path / "entreprise")
    user = Company(bid.root, f"sha256:{_fingerprint(test_pki)}", box)
    engine = _start(box, user)
    descriptor = demo_platform.get("/api/descriptors/prepare")
    assert descriptor["params"]["deposit_rules"]["upload_test_url"].startswith(demo_platform.url)
    job = engine.submit(descriptor, demo_platform.url)
    final = engine.wait(job.id, timeout=240)
    assert final is not None and final.state is JobState.SUCCEEDED, final and final.error

    # The user was asked for the folder in the window (the job waiting for him), once; one PIN.
    assert len(user.questions) == 1
    question, state = user.questions[0]
    assert state is JobState.WAITING_USER
    assert question.platform == "Plateforme de démonstration" and question.deadline is not None
    assert len(user.pins) == 1, user.pins
    assert len(user.confirmations) == 1 and "avec un seul code PIN" in user.confirmations[0]

    result = final.result
    assert isinstance(result, PrepareResult)
    # 7 files (Office's lock file left out); the ZIP's 3 members signed first, inside it.
    assert result.files == 7 and result.signed == 10
    assert result.formats == {"PADES": 4, "XADES": 3}  # PAdES for PDFs, the platform's detached format else
    assert 0 <= result.accepted <= result.signed
    assert result.zip_archives == 1
    assert any(p["code"] == "name_too_long" for p in result.problems), result.problems
    assert result.estimate is not None and result.estimate["seconds"] > 0 and result.estimate["verdict"] == "ok"
    assert result.deadline is not None and result.margin_seconds is not None and 3600 < result.margin_seconds <= 7200
    assert result.certificate_sha256 == _fingerprint(test_pki)
    assert user.pins[0].store_label == softhsm_token.label  # the card's PIN, asked once for the whole bid

    # The deposit folder and its summary exist, beside the bid (local half only).
    assert result.destination is not None and Path(result.destination).is_dir()
    assert result.summary is not None and Path(result.summary).is_file()

    # What the page reads: no local path anywhere (GET /v1/jobs/{id} is job.to_public_dict()).
    public = json.dumps(final.to_public_dict(), ensure_ascii=False)
    for local in (str(tmp_path), str(bid.root), result.destination, result.summary, "/tmp/"):
        assert local not in public, local
    assert LONG_NAME[:40] in public  # names relative to the bid are what the page may see
    assert json.loads(public)["result"]["files"] == 7


def test_headless_cannot_pick_the_folder_and_fails_clearly(
    box: dict[str, JobEngine],
    tmp_path: Path,
    test_pki: pki.TestPki,
    assistant_home: Path,
) -> None:
    engine = _start(box, HeadlessInteraction(key_spec=f"sha256:{_fingerprint(test_pki)}", confirm_all=True))
    job = engine.submit(_descriptor({"deposit_rules": {"deadline": "2030-01-01T12:00:00+01:00"}}), "http://127.0.0.1:9")
    final = engine.wait(job.id, timeout=60)
    assert final is not None and final.state is JobState.FAILED
    assert final.error is not None and final.error.code == "bid_folder_needs_user"
    assert "dans la fenêtre de l'assistant" in final.error.message


def test_a_cancelled_folder_question_writes_nothing(
    box: dict[str, JobEngine],
    tmp_path: Path,
    test_pki: pki.TestPki,
    assistant_home: Path,
) -> None:
    bid = make_bid(tmp_path / "entreprise")
    user = Company(None, f"sha256:{_fingerprint(test_pki)}", box)
    engine = _start(box, user)
    job = engine.submit(_descriptor({}), "http://127.0.0.1:9")
    final = engine.wait(job.id, timeout=60)
    assert final is not None and final.state is JobState.CANCELLED
    assert user.pins == [] and sorted(p.name for p in bid.root.parent.iterdir()) == [bid.root.name, "inner"]


def test_the_local_user_names_his_folder_and_is_not_asked(
    box: dict[str, JobEngine],
    tmp_path: Path,
    test_pki: pki.TestPki,
    softhsm_token: pki.SoftHsmToken,
    monkeypatch: pytest.MonkeyPatch,
    assistant_home: Path,
) -> None:
    from assistant.jobs.model import LOCAL_ORIGIN

    monkeypatch.setenv("PREPARE_TEST_PIN", softhsm_token.pin)
    bid = make_bid(tmp_path / "entreprise")
    user = Company(None, f"sha256:{_fingerprint(test_pki)}", box)
    engine = _start(box, user)
    out = tmp_path / "à déposer"
    job = engine.submit(_descriptor({"folder": str(bid.root), "out_dir": str(out)}), LOCAL_ORIGIN)
    final = engine.wait(job.id, timeout=240)
    assert final is not None and final.state is JobState.SUCCEEDED, final and final.error
    assert user.questions == [] and len(user.pins) == 1
    assert isinstance(final.result, PrepareResult) and final.result.destination == str(out) and out.is_dir()
    assert final.to_public_dict()["params"] == {}  # a local job's paths are not shown


def test_declining_the_confirmation_asks_no_pin_and_writes_nothing(
    box: dict[str, JobEngine],
    tmp_path: Path,
    test_pki: pki.TestPki,
    assistant_home: Path,
) -> None:
    class Declines(Company):
        def confirm(self, job: Job, message_fr: str) -> bool:
            self.confirmations.append(message_fr)
            return False

    bid = make_bid(tmp_path / "entreprise")
    user = Declines(bid.root, f"sha256:{_fingerprint(test_pki)}", box)
    engine = _start(box, user)
    job = engine.submit(_descriptor({"deposit_rules": {"signature_formats": ["PAdES", "CAdES"]}}), "http://127.0.0.1:9")
    final = engine.wait(job.id, timeout=60)
    assert final is not None and final.state is JobState.CANCELLED
    [message] = user.confirmations
    assert (
        "Signer les 7 fichier(s) de « Réponse AO 2026-014 »" in message
        and "CADES × 3" in message
        and "PADES × 4" in message
    )
    assert "ZIP" in message and user.pins == []
    assert sorted(p.name for p in bid.root.parent.iterdir()) == [bid.root.name, "inner"]
