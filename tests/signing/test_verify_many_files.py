"""What makes `assistant verify F1 … Fn` fast, checked where it could silently stop working or change a verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from asn1crypto import x509

from assistant.signing import asn1_names
from tests import pki


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )


def test_cms_validation_loads_without_the_pdf_signer_and_pyhanko_still_works_whole() -> None:
    done = _python(
        """
import sys
from assistant.signing.pyhanko_import import import_module
cms = import_module("pyhanko.sign.validation.generic_cms")
assert callable(cms.async_validate_detached_cms)
from pyhanko.sign.timestamps.api import TimeStamper  # what reading a timestamp token needs
before = sorted(m for m in sys.modules if m.startswith(("pyhanko.sign.signers", "aiohttp", "pyhanko.sign.validation.pdf_embedded")))
# afterwards pyhanko is the ordinary package: names of both __init__s, submodules by attribute
from pyhanko.sign import PdfSigner, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
assert issubclass(HTTPTimeStamper, TimeStamper)
from pyhanko.sign.validation import async_validate_detached_cms, async_validate_pdf_signature, validate_pdf_signature
import pyhanko.sign.validation
assert pyhanko.sign.validation.dss.DocumentSecurityStore
assert signers.PdfSigner is PdfSigner and callable(async_validate_pdf_signature) and callable(validate_pdf_signature)
assert async_validate_detached_cms is cms.async_validate_detached_cms
print(before)
"""
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_name_preparation_is_memoised_with_the_same_results() -> None:
    asn1_names.install()
    asn1_names.install()  # idempotent: not wrapped twice
    method = x509.NameTypeAndValue._ldap_string_prep
    assert getattr(method, "_memoised", False)

    def name(value: str) -> x509.Name:
        return x509.Name.build({"common_name": value, "organization_name": "Assistant  Marchés\u00adPublics"})

    assert name("Jeanne  DUPONT") == name("jeanne dupont")  # RFC 4518: case and spaces
    assert name("Jeanne Dupont") != name("Jeanne Durand")
    assert name("Jeanne Dupont").hashable == name("JEANNE DUPONT").hashable
    assert name("Jeanne Dupont").hashable != name("Jeanne Durand").hashable
    # an explicitly tagged copy (an ESS IssuerSerial's [4] directoryName) is the same name
    tagged = x509.GeneralName({"directory_name": name("Jeanne Dupont")})
    reloaded = x509.GeneralName.load(tagged.dump()).chosen
    assert reloaded.dump() != name("Jeanne Dupont").dump()
    assert reloaded == name("Jeanne Dupont") and reloaded != name("Jeanne Durand")
    for _ in range(2):  # a prohibited character is refused every time, not cached as a value
        value = x509.NameTypeAndValue({"type": "common_name", "value": x509.DirectoryString("utf8_string", "a\ufffdb")})
        with pytest.raises(ValueError):
            _ = value.prepped_value


def test_verify_of_cades_files_does_not_load_the_signing_engine(
    tmp_path: Path, test_pki: pki.TestPki, assistant_home: Path
) -> None:
    from assistant.keystores.pkcs12 import Pkcs12Store
    from assistant.signing import SignFormat, sign_files

    store = Pkcs12Store(test_pki.signer.files["p12"], lambda _request: pki.P12_PASSWORD)
    sources = []
    for index in range(3):
        source = tmp_path / f"offre-{index}.bin"
        source.write_bytes(os.urandom(2000))
        sources.append(source)
    outputs = [r.output for r in sign_files(store.credentials()[0], sources, SignFormat.CADES).results]
    store.close()
    done = _python(
        f"""
import sys
from assistant.cli import main
code = main(["verify", "--json", "--trust", {str(test_pki.ca_bundle)!r}, *{[str(o) for o in outputs]!r}])
loaded = sorted(m for m in sys.modules if m.startswith(("pyhanko.sign.signers", "aiohttp", "assistant.signing.batch", "assistant.keystores.pkcs11")))
print(code, loaded, file=sys.stderr)
""",
        ASSISTANT_HOME=str(assistant_home),
    )
    assert done.stderr.strip().splitlines()[-1] == "0 []", done.stderr
    data = json.loads(done.stdout)
    assert data["ok"] and [r["signatures"][0]["format_label"] for r in data["reports"]] == ["CAdES B-B"] * 3


def _bid(folder: Path, test_pki: pki.TestPki, count: int) -> list[Path]:
    """`count` CAdES signatures, one of whose documents is altered, plus a file that is no signature."""
    from assistant.keystores.pkcs12 import Pkcs12Store
    from assistant.signing import SignFormat, sign_files

    folder.mkdir()
    store = Pkcs12Store(test_pki.signer.files["p12"], lambda _request: pki.P12_PASSWORD)
    sources = []
    for index in range(count):
        source = folder / f"piece-{index:02}.bin"
        source.write_bytes(os.urandom(3000))
        sources.append(source)
    outputs = [r.output for r in sign_files(store.credentials()[0], sources, SignFormat.CADES).results]
    store.close()
    sources[7].write_bytes(b"altered")
    junk = folder / "notes.p7s"
    junk.write_bytes(b"not a signature")
    paths = [o for o in outputs if o is not None]
    paths.insert(5, junk)
    return paths


def _facts(outcomes: list[object]) -> list[tuple[str, object]]:
    facts = []
    for outcome in outcomes:
        if outcome.error is not None:  # type: ignore[attr-defined]
            facts.append((outcome.path.name, outcome.error.code))  # type: ignore[attr-defined]
        else:
            report = dict(outcome.report)  # type: ignore[attr-defined]
            report.pop("verified_at")
            facts.append((outcome.path.name, report))  # type: ignore[attr-defined]
    return facts


def test_many_files_on_several_processes_give_the_same_outcomes_in_order(
    tmp_path: Path, test_pki: pki.TestPki, assistant_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.signing import verify_many as many

    paths = _bid(tmp_path / "offre", test_pki, 30)
    anchors = [test_pki.root.certificate, test_pki.ca.certificate]
    one = _facts(list(many.verify_many(paths, trust_roots=anchors, workers=1)))
    assert [name for name, _facts in one] == [p.name for p in paths]
    oks = [facts["ok"] for name, facts in one if isinstance(facts, dict)]
    assert oks.count(False) == 1 and len(oks) == 30  # the altered document
    assert dict(one)["notes.p7s"] == "not_a_signature"
    assert many.worker_count(100) >= 1 and many.worker_count(3) == 1
    assert _facts(list(many.verify_many(paths, trust_roots=anchors, workers=3))) == one

    # A worker that dies leaves its files to the parent, which verifies them itself.
    marker = tmp_path / "a-worker-ran"

    def die(*_args: object) -> None:
        marker.touch()
        os._exit(3)

    monkeypatch.setattr(many, "_work", die)
    assert _facts(list(many.verify_many(paths, trust_roots=anchors, workers=3))) == one
    assert marker.exists()  # the files were indeed given to forked workers
