"""`assistant verify` against the reference validators, on signatures other tools made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.signing.verify import verify_file
from tests import pki
from tests.signing.conftest import Tsa, make_pdf
from tests.signing.corpus import Sample, build_corpus, reference_valid


def _anchors(test_pki: pki.TestPki) -> list[object]:
    """The root and the issuing CA (the reference validators get the CA as an untrusted intermediate;
    most signatures of the corpus do not carry it)."""
    return [test_pki.root.certificate, test_pki.ca.certificate]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, test_pki: pki.TestPki, tsa: Tsa) -> dict[str, Sample]:
    for tool in ("openssl", "xmlsec1", "node"):
        pki.require_tool(tool)
    samples = build_corpus(tmp_path_factory.mktemp("corpus"), test_pki, tsa.url, make_pdf)
    return {s.name: s for s in samples}


@pytest.fixture(scope="session")
def references(corpus: dict[str, Sample], test_pki: pki.TestPki) -> dict[str, bool]:
    return {name: reference_valid(sample, test_pki) for name, sample in corpus.items()}


def test_the_corpus_is_what_it_claims(references: dict[str, bool], corpus: dict[str, Sample]) -> None:
    """The reference validators accept every original and reject every tampered copy."""
    wrong = {n: v for n, v in references.items() if v == corpus[n].tampered}
    assert not wrong, wrong
    assert len(corpus) >= 40


def test_verify_agrees_with_the_reference_validators(
    corpus: dict[str, Sample], references: dict[str, bool], test_pki: pki.TestPki
) -> None:
    disagreements = {}
    labels = {}
    for name, sample in corpus.items():
        report = verify_file(sample.path, detached_of=sample.data, trust_roots=_anchors(test_pki))
        ours = bool(report.signatures) and all(s.intact and s.signature_valid and s.trusted for s in report.signatures)
        if ours != references[name]:
            disagreements[name] = (ours, references[name], [s.problems for s in report.signatures])
        got = {s.format_label for s in report.signatures}
        if not sample.tampered and got != {sample.label}:
            labels[name] = (got, sample.label)
        if sample.packaging and not sample.tampered:
            assert {s.packaging for s in report.signatures} == {sample.packaging}, name
    assert not disagreements, disagreements
    assert not labels, labels


def test_every_signer_of_a_cms_is_reported(corpus: dict[str, Sample], test_pki: pki.TestPki) -> None:
    sample = corpus["openssl-cades-two-signers"]
    report = verify_file(sample.path, detached_of=sample.data, trust_roots=_anchors(test_pki))
    assert sorted(s.signer for s in report.signatures) == ["Jeanne Dupont", "Élise Martin (ECDSA)"]
    assert all(s.intact and s.signature_valid and s.trusted for s in report.signatures)


def test_attached_cms_content_is_saved_beside_it(
    corpus: dict[str, Sample], tmp_path: Path, test_pki: pki.TestPki
) -> None:
    sample = corpus["openssl-cades-attached"]
    copy = tmp_path / "offre.bin.p7m"
    copy.write_bytes(sample.path.read_bytes())
    report = verify_file(copy, trust_roots=_anchors(test_pki))
    assert report.signed_file is None and report.attached_content is not None
    saved = report.save_attached_content()
    assert saved == tmp_path / "offre.bin"
    assert saved.read_bytes() == (sample.path.parent / "offre.bin").read_bytes()
    again = report.save_attached_content()  # never over an existing file
    assert again != saved and again.read_bytes() == saved.read_bytes()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_LANG": "fr"}
    return subprocess.run([sys.executable, "-m", "assistant", "verify", *args], capture_output=True, text=True, env=env)


def test_detached_of_on_an_attached_cms_is_a_clear_message(corpus: dict[str, Sample], test_pki: pki.TestPki) -> None:
    sample = corpus["openssl-cades-attached"]
    done = _cli(
        str(sample.path),
        "--detached-of",
        str(corpus["openssl-cades-detached"].data),
        "--trust",
        str(test_pki.ca_bundle),
    )
    assert done.returncode != 0, done
    assert "Traceback" not in done.stderr
    assert "contient déjà le document signé" in done.stderr


def test_cli_report_in_three_formats(corpus: dict[str, Sample], tmp_path: Path, test_pki: pki.TestPki) -> None:
    sample = corpus["openssl-cades-two-signers"]
    for suffix in (".pdf", ".html", ".json"):
        out = tmp_path / f"rapport{suffix}"
        done = _cli(
            str(sample.path),
            "--detached-of",
            str(sample.data),
            "--trust",
            str(test_pki.ca_bundle),
            "--report",
            str(out),
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        if suffix == ".pdf":
            text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        else:
            text = out.read_text(encoding="utf-8")
        assert "Jeanne Dupont" in text and "Élise Martin (ECDSA)" in text
        assert "CAdES B-B".upper() in text.upper()
    data = json.loads((tmp_path / "rapport.json").read_text(encoding="utf-8"))
    assert [s["format_label"] for s in data["signatures"]] == ["CAdES B-B", "CAdES B-B"]


@pytest.mark.parametrize(
    "name",
    [
        "signxml-enveloped-c14n10-sha256",
        "xadesjs-detached-sha512",
        "openssl-cades-attached",
        "openssl-cades-two-signers",
        "pyhanko-pades",
        "pyhanko-adbe-pkcs7",
    ],
)
def test_no_traceback_on_mutations(name: str, corpus: dict[str, Sample], test_pki: pki.TestPki, tmp_path: Path) -> None:
    """Random byte mutations of corpus files: a report or a clear error, never anything else."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    sample = corpus[name]
    original = sample.path.read_bytes()
    target = tmp_path / sample.path.name

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        st.lists(st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)), min_size=1, max_size=8),
        st.integers(0, len(original)),
    )
    def check(mutations: list[tuple[int, int]], cut: int) -> None:
        data = bytearray(original)
        for index, value in mutations:
            data[index] = value
        target.write_bytes(bytes(data[: max(cut, 1)]) if cut < len(original) // 8 else bytes(data))
        try:
            report = verify_file(target, detached_of=sample.data, trust_roots=_anchors(test_pki))
        except AssistantError as exc:
            assert exc.message_fr
            return
        for sig in report.signatures:
            assert sig.verdict_fr

    check()


def test_cli_verifies_many_files_in_one_process(corpus: dict[str, Sample], test_pki: pki.TestPki) -> None:
    names = ["openssl-cades-attached", "pyhanko-pades", "signxml-enveloped-exc-sha256", "xadesjs-detached-sha512"]
    done = _cli(*(str(corpus[n].path) for n in names), "--trust", str(test_pki.ca_bundle), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] and len(data["reports"]) == 4
    broken = _cli(
        str(corpus["pyhanko-pades-tampered"].path),
        str(corpus["pyhanko-pades"].path),
        "--trust",
        str(test_pki.ca_bundle),
    )
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert broken.stdout.count("✓") == 1 and broken.stdout.count("✗") == 1


def test_json_reports_follow_the_documented_schema(corpus: dict[str, Sample], test_pki: pki.TestPki) -> None:
    """Every report of the corpus (all formats, valid or tampered) validates against docs/verification-report.schema.json."""
    import jsonschema

    root = Path(__file__).resolve().parents[2]
    schema = json.loads((root / "docs" / "verification-report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for name, sample in corpus.items():
        report = verify_file(sample.path, detached_of=sample.data, trust_roots=_anchors(test_pki))
        errors = sorted(validator.iter_errors(json.loads(json.dumps(report.to_dict()))), key=str)
        assert not errors, (name, [e.message for e in errors[:3]])


@pytest.mark.parametrize(
    ("name", "kind"), [("openssl-cades-attached-pdf", "PDF"), ("openssl-cades-attached-zip", "ZIP")]
)
def test_attached_cms_holding_a_pdf_or_a_zip(
    name: str, kind: str, corpus: dict[str, Sample], tmp_path: Path, test_pki: pki.TestPki
) -> None:
    """Neither taken for a damaged PDF nor for a detached signature: verified, and its content saved."""
    copy = tmp_path / "Offre signée.p7m"
    copy.write_bytes(corpus[name].path.read_bytes())
    report = verify_file(copy, trust_roots=_anchors(test_pki))
    assert report.ok and report.to_dict()["attached_content"] == kind
    saved = report.save_attached_content()
    assert saved.name == f"Offre signée.{kind.lower()}"
    assert saved.read_bytes()[:4] in (b"%PDF", b"PK\x03\x04")


def test_xades_signing_certificate_must_name_the_signer(tmp_path: Path, test_pki: pki.TestPki) -> None:
    """xadesjs signs with one key but names the CA in SigningCertificateV2 (SHA-512 digest): the
    XML-DSig holds (xmlsec1 accepts it, it does not read XAdES), the XAdES check does not."""
    import shutil

    from cryptography.hazmat.primitives import serialization

    from tests.signing.corpus import JS_DIR

    key = tmp_path / "signer.pk8.der"
    key.write_bytes(
        test_pki.signer.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    document = tmp_path / "offre.xml"
    document.write_text("<offre><prix>1000</prix></offre>", encoding="utf-8")
    out = tmp_path / "wrong-signing-cert.xml"
    node = shutil.which("node")
    assert node is not None
    subprocess.run(
        [
            node,
            str(JS_DIR / "xades-sign.js"),
            "enveloped",
            str(key),
            str(test_pki.signer.files["der"]),
            "RSASSA-PKCS1-v1_5",
            "SHA-512",
            "c14n",
            str(document),
            str(out),
            str(test_pki.ca.files["der"]),
        ],
        check=True,
        capture_output=True,
    )
    sig = verify_file(out, trust_roots=_anchors(test_pki)).signatures[0]
    assert sig.signature_valid and not sig.intact and not sig.ok
    assert any("n'est pas celui qui a signé" in p.text for p in sig.problems)
    assert "signing_certificate_mismatch" in {p.code.value for p in sig.problems}
    # The same tool naming the right certificate (SHA-512 digest) is accepted.
    good = tmp_path / "right-signing-cert.xml"
    subprocess.run(
        [
            node,
            str(JS_DIR / "xades-sign.js"),
            "enveloped",
            str(key),
            str(test_pki.signer.files["der"]),
            "RSASSA-PKCS1-v1_5",
            "SHA-512",
            "c14n",
            str(document),
            str(good),
        ],
        check=True,
        capture_output=True,
    )
    assert verify_file(good, trust_roots=_anchors(test_pki)).signatures[0].ok


def test_one_verifier_over_the_corpus_reports_what_one_call_per_file_does(
    corpus: dict[str, Sample], test_pki: pki.TestPki
) -> None:
    """A run over many files shares anchors, parsed certificates and an event loop: never a verdict.

    Every file of the corpus (all formats, originals and tampered copies interleaved) through one
    Verifier gives the very report `verify_file` gives it alone.
    """
    from assistant.signing.verify import Verifier

    def facts(report: object) -> dict[str, object]:
        data = dict(report.to_dict())  # type: ignore[attr-defined]
        data.pop("verified_at")
        return data

    alone = {
        name: facts(verify_file(sample.path, detached_of=sample.data, trust_roots=_anchors(test_pki)))
        for name, sample in corpus.items()
    }
    with Verifier(trust_roots=_anchors(test_pki)) as verifier:  # type: ignore[arg-type]
        for _round in range(2):  # the second round meets every certificate again
            together = {
                name: facts(verifier.verify(sample.path, detached_of=sample.data)) for name, sample in corpus.items()
            }
            assert together == alone
