"""'Préparer mon dépôt' on a bid folder made by the tests: the formats proposed, the ZIP warning
and its inner signing, one PIN for the whole bid on the SoftHSM2 card, every signature judged by
the reference validators, the problems listed, and the summary PDF as pdftotext reads it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from assistant.errors import OutputError
from assistant.jobs.descriptor import DescriptorError, UrlNotAllowedError, UrlPolicy
from assistant.keystores.base import Credential
from assistant.prepare.checks import Severity, find_problems
from assistant.prepare.deposit import default_destination
from assistant.prepare.plan import make_plan
from assistant.prepare.rules import PlatformRules, parse_rules
from assistant.prepare.scan import FileKind, scan_bid
from assistant.prepare.workflow import prepare_deposit
from assistant.signing.formats import SignFormat
from tests import pki
from tests.prepare.conftest import LONG_NAME, Bid
from tests.signing.conftest import PinCounter
from tests.signing.validators import openssl_cms_verify, pdfsig, pyhanko_validate, xmlsec_verify

RULES = {
    "platform": "Plateforme de démonstration",
    "signature_formats": ["PAdES", "XAdES", "CAdES"],
    "extensions": ["pdf", "xlsx", "ods", "zip", "docx"],
    "max_file_size": 50 << 20,
    "max_name_length": 100,
}


def _rules(**changes: object) -> PlatformRules:
    data = {**RULES, **changes}
    return parse_rules(data, UrlPolicy.for_origin("http://127.0.0.1:8123", None, loopback_http=True))


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_formats_proposed_and_problems_listed(bid: Bid) -> None:
    plan = make_plan(scan_bid(bid.root), _rules())
    formats = {str(p.file.relative): p.format for p in plan.files}
    assert formats == {
        "Lot 1/Candidature/DC1.pdf": SignFormat.PADES,
        "Lot 1/Offre/Acte d'engagement.pdf": SignFormat.PADES,
        "Lot 1/Offre/Annexes techniques.zip": SignFormat.XADES,
        "Lot 1/Offre/BPU.xlsx": SignFormat.XADES,
        "Lot 2/Offre/Acte d'engagement.pdf": SignFormat.PADES,
        "Lot 2/Offre/DPGF.ods": SignFormat.XADES,
        f"Lot 2/Offre/{LONG_NAME}": SignFormat.PADES,
    }  # the Office lock file is left out
    zipped = plan.find("Lot 1/Offre/Annexes techniques.zip")
    assert zipped.file.kind is FileKind.ZIP and zipped.sign_inside
    assert [m.name for m in zipped.file.members] == ["plan.pdf", "fiches/notice.pdf", "fiches/planning.docx"]
    assert {p.file.lot for p in plan.files} == {"Lot 1", "Lot 2"}

    problems = find_problems(plan)
    by_code = {p.code: p for p in problems}
    assert set(by_code) == {"name_too_long", "duplicate_name"}, [p.message for p in problems]
    assert by_code["name_too_long"].severity is Severity.ERROR
    assert by_code["name_too_long"].file == f"Lot 2/Offre/{LONG_NAME}"
    assert "caractères" in by_code["name_too_long"].message and "100 au plus" in by_code["name_too_long"].message
    assert "Lot 1/Offre/Acte d'engagement.pdf" in by_code["duplicate_name"].message
    assert "Lot 2/Offre/Acte d'engagement.pdf" in by_code["duplicate_name"].message

    # Signing the ZIP as is: the warning that its content stays unsigned.
    as_is = plan.with_sign_inside("Lot 1/Offre/Annexes techniques.zip", False)
    warning = next(p for p in find_problems(as_is) if p.code == "zip_content_unsigned")
    assert warning.severity is Severity.WARNING
    assert "ne signe pas les 3 documents" in warning.message

    # A platform that accepts only CAdES and PAdES, no ODS, 4 KB per file, closed yesterday.
    strict = _rules(
        signature_formats=["PAdES", "CAdES"],
        extensions=["pdf", "xlsx", "zip"],
        max_file_size=5000,
        deadline=(dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat(),
    )
    strict_plan = make_plan(scan_bid(bid.root), strict)
    assert strict_plan.find("Lot 1/Offre/BPU.xlsx").format is SignFormat.CADES
    codes = {(p.code, p.file) for p in find_problems(strict_plan)}
    assert ("extension_refused", "Lot 2/Offre/DPGF.ods") in codes
    assert ("file_too_large", "Lot 1/Offre/BPU.xlsx") in codes
    assert ("deadline_passed", "") in codes
    refused = find_problems(strict_plan.with_format("Lot 1/Offre/BPU.xlsx", "xades"))
    assert any(p.code == "format_refused" and p.file == "Lot 1/Offre/BPU.xlsx" for p in refused)


def test_whole_bid_signed_with_one_pin_and_accepted_by_the_validators(
    bid: Bid, tmp_path: Path, card: tuple[Credential, PinCounter], test_pki: pki.TestPki, pdfsig_nssdir: Path
) -> None:
    credential, pin = card
    originals = _tree(bid.root)
    plan = make_plan(scan_bid(bid.root), _rules()).with_format("Lot 2/Offre/DPGF.ods", "cades")
    destination = default_destination(bid.root)
    # The token holds no intermediate: the buyer's tool knows the qualified CA (trusted lists).
    anchors = [test_pki.root.certificate, test_pki.ca.certificate]
    outcome = prepare_deposit(plan, credential, destination, trust_roots=anchors)

    assert pin.count == 1, pin.requests  # one PIN for PAdES, XAdES, CAdES and the ZIP's members
    assert outcome.result.ok and outcome.result.folder == destination
    assert _tree(bid.root) == originals  # originals only read
    names = sorted(str(p.relative_to(destination)) for p in destination.rglob("*") if p.is_file())
    stamp = r"\d{14}"
    import re

    expected = [
        rf"Lot 1/Candidature/DC1 - {stamp} - Signature 1\.pdf",
        rf"Lot 1/Offre/Acte d'engagement - {stamp} - Signature 1\.pdf",
        r"Lot 1/Offre/Annexes techniques\.zip",
        rf"Lot 1/Offre/Annexes techniques\.zip - {stamp} - Signature 1\.xml",
        r"Lot 1/Offre/BPU\.xlsx",
        rf"Lot 1/Offre/BPU\.xlsx - {stamp} - Signature 1\.xml",
        rf"Lot 2/Offre/Acte d'engagement - {stamp} - Signature 1\.pdf",
        r"Lot 2/Offre/DPGF\.ods",
        rf"Lot 2/Offre/DPGF\.ods - {stamp} - Signature 1\.p7s",
        rf"Lot 2/Offre/{re.escape(LONG_NAME[:-4])} - {stamp} - Signature 1\.pdf",
    ]
    assert len(names) == len(expected), names
    for name, pattern in zip(names, sorted(expected, key=lambda p: p.replace("\\", "")), strict=True):
        assert re.fullmatch(pattern, name), (name, pattern)

    # The reference validators, each on the files of its format.
    for path in destination.rglob("*.pdf"):
        assert "Signature is Valid." in pdfsig(path, pdfsig_nssdir), path
        statuses = pyhanko_validate(path, test_pki)
        assert statuses and all(s.valid and s.intact and s.trusted for s in statuses)  # type: ignore[attr-defined]
    for path in destination.rglob("*.xml"):
        done = xmlsec_verify(path, test_pki.ca_bundle)
        assert done.returncode == 0, (path, done.stderr)
    [p7s] = list(destination.rglob("*.p7s"))
    assert openssl_cms_verify(p7s, destination / "Lot 2/Offre/DPGF.ods", test_pki.ca_bundle).returncode == 0

    # The ZIP was rebuilt with its documents signed inside.
    inside = tmp_path / "inside"
    with zipfile.ZipFile(destination / "Lot 1/Offre/Annexes techniques.zip") as archive:
        members = sorted(archive.namelist())
        archive.extractall(inside)
    assert [re.sub(r"\d{14}", "T", m) for m in members] == [
        "fiches/notice - T - Signature 1.pdf",
        "fiches/planning.docx",
        "fiches/planning.docx - T - Signature 1.xml",
        "plan - T - Signature 1.pdf",
    ]
    for path in inside.rglob("*.pdf"):
        assert "Signature is Valid." in pdfsig(path, pdfsig_nssdir)
    [inner_xml] = list(inside.rglob("*.xml"))
    assert xmlsec_verify(inner_xml, test_pki.ca_bundle).returncode == 0

    # What the buyer will see: every signature accepted, by the verification code.
    assert len(outcome.views) == 10  # 7 files + 3 documents inside the ZIP
    assert all(v.ok for v in outcome.views), [(v.label, v.verdict) for v in outcome.views]
    assert {v.label for v in outcome.views} >= {"Lot 1/Offre/Annexes techniques.zip › plan.pdf", "Lot 2/Offre/DPGF.ods"}
    assert {p.code for p in outcome.problems} == {"name_too_long", "duplicate_name"}

    # The buyer's report of each signature, as `assistant verify --report` writes it.
    assert outcome.reports is not None
    reports = sorted(outcome.reports.glob("*.pdf"))
    assert len(reports) == 10
    one = next(r for r in reports if r.name.startswith("Lot 1 - Offre - BPU.xlsx"))
    report_text = subprocess.run(["pdftotext", str(one), "-"], capture_output=True, check=True).stdout.decode()
    assert "Rapport de vérification de signature" in report_text and "Jeanne Dupont" in report_text

    # The one-page summary.
    assert outcome.summary is not None and outcome.summary.parent == destination.parent
    text = subprocess.run(
        ["pdftotext", "-layout", str(outcome.summary), "-"], capture_output=True, check=True
    ).stdout.decode()
    pages = subprocess.run(["pdfinfo", str(outcome.summary)], capture_output=True, check=True).stdout.decode()
    assert re.search(r"Pages:\s+1\b", pages), pages
    for line in (
        "Récapitulatif du dépôt",
        "Signataire",
        "Jeanne Dupont",
        "AMP Test Qualified CA",
        "Fichiers signés",
        "10",
        "Lot 2/Offre/DPGF.ods",
        "CADES — acceptée",
        "Annexes techniques.zip › fiches/notice.pdf",
        "signatures acceptées par la vérification",
        "Points d'attention",
        "À revoir : noms de fichiers acceptés, noms uniques entre les lots",
    ):
        assert line in text, (line, text)


def test_existing_destination_refused_before_the_pin(
    bid: Bid, card: tuple[Credential, PinCounter], tmp_path: Path
) -> None:
    credential, pin = card
    destination = tmp_path / "dépôt"
    destination.mkdir()
    (destination / "ancien.pdf").write_bytes(b"%PDF-1.4 old")
    with pytest.raises(OutputError) as info:
        prepare_deposit(make_plan(scan_bid(bid.root), _rules()), credential, destination)
    assert "existe déjà" in info.value.message
    assert pin.count == 0
    assert [p.name for p in destination.iterdir()] == ["ancien.pdf"]
    with pytest.raises(OutputError):
        prepare_deposit(make_plan(scan_bid(bid.root), _rules()), credential, bid.root / "dépôt")


def test_rules_from_a_page_are_strict() -> None:
    policy = UrlPolicy.for_origin("https://plateforme.example", None)
    rules = parse_rules(
        {"upload_test_url": "https://plateforme.example/api/upload-test", "deadline": "2026-12-04T12:00:00+01:00"},
        policy,
    )
    assert rules.published and rules.deadline is not None and rules.deadline.utcoffset() == dt.timedelta(hours=1)
    with pytest.raises(UrlNotAllowedError):
        parse_rules({"upload_test_url": "https://ailleurs.example/upload"}, policy)
    with pytest.raises(DescriptorError) as info:
        parse_rules({"deadline": "2026-12-04T12:00:00"}, policy)
    assert "fuseau horaire" in info.value.message
    with pytest.raises(DescriptorError) as info:
        parse_rules({"max_size": 3}, policy)
    assert info.value.field == "deposit_rules.max_size"
    with pytest.raises(DescriptorError):
        parse_rules({"signature_formats": ["PDF"]}, policy)


def test_cancelled_deposit_publishes_nothing(bid: Bid, p12_credential: Credential) -> None:
    from assistant.prepare.deposit import sign_bid
    from assistant.progress import CancelToken

    cancel = CancelToken()
    seen: list[int] = []

    def progress(update: object) -> None:
        seen.append(1)
        if len(seen) == 3:
            cancel.cancel()  # the user presses "Annuler" while the first files are signed

    destination = default_destination(bid.root)
    before = sorted(p.name for p in bid.root.parent.iterdir())
    result = sign_bid(
        make_plan(scan_bid(bid.root), _rules()), p12_credential, destination, progress=progress, cancel=cancel
    )
    assert result.folder is None and not result.ok
    assert any(f.error is not None and f.error.code == "cancelled" for f in result.files)
    assert not destination.exists()
    assert sorted(p.name for p in bid.root.parent.iterdir()) == before  # no staging or work folder left


def test_protected_pdf_and_hostile_zip_are_caught_before_signing(bid: Bid) -> None:
    from tests.signing.conftest import make_pdf

    make_pdf(bid.root / "Lot 2/Offre/Attestation protégée.pdf", encrypt_password="secret")
    hostile = bid.root / "Lot 2/Offre/Pièces.zip"
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("../../en dehors.pdf", b"%PDF-1.4 ...")
    plan = make_plan(scan_bid(bid.root), _rules())
    protected = plan.find("Lot 2/Offre/Attestation protégée.pdf")
    assert protected.format is SignFormat.XADES  # PAdES cannot sign it: a detached signature instead
    zipped = plan.find("Lot 2/Offre/Pièces.zip")
    assert not zipped.sign_inside and "sort du dossier" in zipped.file.zip_problem
    problems = {(p.code, p.file): p for p in find_problems(plan)}
    assert problems[("pdf_not_signable", "Lot 2/Offre/Attestation protégée.pdf")].severity is Severity.WARNING
    assert problems[("zip_unreadable", "Lot 2/Offre/Pièces.zip")].severity is Severity.WARNING
    forced = find_problems(plan.with_format("Lot 2/Offre/Attestation protégée.pdf", "pades"))
    assert any(p.code == "pdf_not_signable" and p.severity is Severity.ERROR for p in forced)


def test_certificate_problems(bid: Bid, test_pki: pki.TestPki) -> None:
    """An expired certificate is an error; a non-qualified one and one ending soon (or before the
    deadline) are warnings, each naming the holder and the date."""
    now = dt.datetime.now(dt.UTC)
    deadline = now + dt.timedelta(days=60)
    plan = make_plan(scan_bid(bid.root), _rules(deadline=deadline.isoformat()))

    def codes(cert: object) -> dict[str, Severity]:
        return {
            p.code: p.severity
            for p in find_problems(plan, certificate=cert, now=now)
            if p.code.startswith("certificate")
        }  # type: ignore[arg-type]

    assert codes(test_pki.signer.certificate) == {}  # qualified, two years left
    assert codes(test_pki.expired.certificate) == {"certificate_expired": Severity.ERROR}
    plain = pki.issue("plain", "Paul Simple", test_pki.ca, key_usage={"non_repudiation"}, qc=False)
    assert codes(plain.certificate) == {"certificate_not_qualified": Severity.WARNING}
    soon = pki.issue(
        "soon",
        "Anne Bientôt",
        test_pki.ca,
        key_usage={"non_repudiation"},
        qc=True,
        not_after=now + dt.timedelta(days=45),
    )
    problems = [
        p for p in find_problems(plan, certificate=soon.certificate, now=now) if p.code == "certificate_expiring"
    ]
    assert (
        len(problems) == 1 and "avant la date limite" in problems[0].message and "Anne Bientôt" in problems[0].message
    )


def test_summary_of_a_large_bid_stays_on_one_page(
    tmp_path: Path, p12_credential: Credential, test_pki: pki.TestPki
) -> None:
    from tests.signing.conftest import make_pdf

    root = tmp_path / "Grande réponse"
    for lot in ("Lot 1", "Lot 2", "Lot 3"):
        (root / lot).mkdir(parents=True)
        for i in range(9):
            make_pdf(root / lot / f"Pièce {i}.pdf", f"{lot} {i}")
        (root / lot / "BPU.xlsx").write_bytes(b"PK\x03\x04" + bytes(2000))
    plan = make_plan(scan_bid(root), _rules())
    outcome = prepare_deposit(
        plan,
        p12_credential,
        default_destination(root),
        trust_roots=[test_pki.root.certificate, test_pki.ca.certificate],
    )
    assert outcome.summary is not None and len(outcome.views) == 30
    pages = subprocess.run(["pdfinfo", str(outcome.summary)], capture_output=True, check=True).stdout.decode()
    assert re.search(r"Pages:\s+1\b", pages), pages
    text = subprocess.run(
        ["pdftotext", "-layout", str(outcome.summary), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "PADES — 9 acceptée(s)" in text and "XADES — 1 acceptée(s)" in text and "Lot 3" in text
    assert "autre(s) point(s)" in text  # 10 duplicate names: 5 shown, the rest counted
