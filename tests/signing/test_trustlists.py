"""Qualified status from trusted lists the tests make: a LOTL and national lists signed by xmlsec1,
served from 127.0.0.1, with a granted service, a withdrawn one, one granted after the signing
time, a CA absent from the lists, and a national list whose signature is not the pinned one."""

from __future__ import annotations

import datetime as dt
import functools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from assistant.signing.trustlists import TrustedListCache, TrustedListError
from assistant.signing.verify import verify_file
from tests import pki

TSL = "http://uri.etsi.org/02231/v2#"
DS = "http://www.w3.org/2000/09/xmldsig#"
GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
WITHDRAWN = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"
QC_POLICY = "1.2.250.1.219.1.1.3.1"


def _b64(item: pki.Issued) -> str:
    import base64

    return base64.b64encode(item.cert_der).decode()


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _service(ca: pki.Issued, status: str, start: dt.datetime, history: list[tuple[str, dt.datetime]] = ()) -> str:  # type: ignore[assignment]
    qualifications = (
        '<Extension Critical="true"><ecc:Qualifications xmlns:ecc="http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#">'
        "<ecc:QualificationElement><ecc:Qualifiers>"
        '<ecc:Qualifier uri="http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCWithQSCD"/>'
        '<ecc:Qualifier uri="http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCForESig"/>'
        '</ecc:Qualifiers><ecc:CriteriaList assert="all"><ecc:PolicySet><ecc:PolicyIdentifier>'
        f'<xades:Identifier xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Qualifier="OIDAsURN">urn:oid:{QC_POLICY}</xades:Identifier>'
        "</ecc:PolicyIdentifier></ecc:PolicySet></ecc:CriteriaList></ecc:QualificationElement>"
        "</ecc:Qualifications></Extension>"
    )

    def info(tag: str, state: str, when: dt.datetime) -> str:
        return (
            f"<{tag}><ServiceTypeIdentifier>http://uri.etsi.org/TrstSvc/Svctype/CA/QC</ServiceTypeIdentifier>"
            f'<ServiceName><Name xml:lang="en">{ca.certificate.subject.rfc4514_string()}</Name></ServiceName>'
            f"<ServiceDigitalIdentity><DigitalId><X509Certificate>{_b64(ca)}</X509Certificate></DigitalId></ServiceDigitalIdentity>"
            f"<ServiceStatus>{state}</ServiceStatus><StatusStartingTime>{_when(when)}</StatusStartingTime>"
            f"<ServiceInformationExtensions>{qualifications}</ServiceInformationExtensions></{tag}>"
        )

    old = "".join(info("ServiceHistoryInstance", s, w) for s, w in history)
    return (
        f"<TSPService>{info('ServiceInformation', status, start)}"
        f"{f'<ServiceHistory>{old}</ServiceHistory>' if old else ''}</TSPService>"
    )


def _list(territory: str, sequence: int, body: str) -> str:
    now = dt.datetime.now(dt.UTC)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><TrustServiceStatusList xmlns="{TSL}" '
        f'xmlns:tslx="http://uri.etsi.org/02231/v2/additionaltypes#" Id="tsl-{territory}" TSLTag="http://uri.etsi.org/19612/TSLTag">'
        f"<SchemeInformation><TSLVersionIdentifier>5</TSLVersionIdentifier><TSLSequenceNumber>{sequence}</TSLSequenceNumber>"
        f'<SchemeOperatorName><Name xml:lang="en">Test operator {territory}</Name></SchemeOperatorName>'
        f"<SchemeTerritory>{territory}</SchemeTerritory><ListIssueDateTime>{_when(now)}</ListIssueDateTime>"
        f"<NextUpdate><dateTime>{_when(now + dt.timedelta(days=180))}</dateTime></NextUpdate>{body}"
    )


def _pointer(territory: str, url: str, signer: pki.Issued) -> str:
    return (
        "<OtherTSLPointer><ServiceDigitalIdentities><ServiceDigitalIdentity><DigitalId>"
        f"<X509Certificate>{_b64(signer)}</X509Certificate></DigitalId></ServiceDigitalIdentity></ServiceDigitalIdentities>"
        f"<TSLLocation>{url}</TSLLocation><AdditionalInformation>"
        f"<OtherInformation><SchemeTerritory>{territory}</SchemeTerritory></OtherInformation>"
        "<OtherInformation><tslx:MimeType>application/vnd.etsi.tsl+xml</tslx:MimeType></OtherInformation>"
        "</AdditionalInformation></OtherTSLPointer>"
    )


def _sign_list(xml: str, signer: pki.Issued, out: Path) -> Path:
    """xmlsec1 signs the list (enveloped, exclusive c14n, RSA-SHA256), as a scheme operator would."""
    template = xml.replace(
        "</TrustServiceStatusList>",
        f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>'
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        '<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>'
        "</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>"
        "</ds:Signature></TrustServiceStatusList>",
    )
    tmpl = out.with_suffix(".tmpl.xml")
    tmpl.write_text(template, encoding="utf-8")
    pki.run(
        [
            "xmlsec1",
            "--sign",
            "--privkey-pem",
            f"{signer.files['key']},{signer.files['cert']}",
            "--output",
            str(out),
            str(tmpl),
        ]
    )
    tmpl.unlink()
    return out


@dataclass
class TlWorld:
    lotl_url: str
    lotl_signer: pki.Issued
    folder: Path
    signatures: dict[str, tuple[Path, Path]]  # case -> (signature, data)
    anchors: list[object]


@pytest.fixture(scope="session")
def tl_world(tmp_path_factory: pytest.TempPathFactory, test_pki: pki.TestPki) -> Iterator[TlWorld]:
    pki.require_tool("xmlsec1")
    pki.require_tool("openssl")
    folder = tmp_path_factory.mktemp("trusted-lists")
    served = folder / "www"
    served.mkdir()
    now = dt.datetime.now(dt.UTC)
    root = test_pki.root
    cas = {
        name: pki.write_files(pki.issue(f"tl-{name}", f"AMP TL CA {name}", root, ca=True), folder)
        for name in ("granted", "withdrawn", "future", "absent", "badlist")
    }
    signatures: dict[str, tuple[Path, Path]] = {}
    data = folder / "offre.bin"
    data.write_bytes(b"Offre technique")
    for name, ca in cas.items():
        signer = pki.write_files(
            pki.issue(f"tl-signer-{name}", f"Signataire {name}", ca, qc=True, policies=[QC_POLICY]), folder
        )
        out = folder / f"{name}.p7s"
        pki.run(
            [
                "openssl",
                "cms",
                "-sign",
                "-binary",
                "-cades",
                "-in",
                str(data),
                "-signer",
                str(signer.files["cert"]),
                "-inkey",
                str(signer.files["key"]),
                "-certfile",
                str(ca.files["cert"]),
                "-outform",
                "DER",
                "-out",
                str(out),
            ]
        )
        signatures[name] = (out, data)
    lotl_signer = pki.write_files(pki.issue("lotl-signer", "EU LOTL test signer", None), folder)
    fr_signer = pki.write_files(pki.issue("fr-signer", "FR TL test signer", None), folder)
    be_signer = pki.write_files(pki.issue("be-signer", "BE TL test signer", None), folder)
    rogue = pki.write_files(pki.issue("rogue-signer", "Not the BE signer", None), folder)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(served)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fr = _list(
        "FR",
        42,
        "</SchemeInformation><TrustServiceProviderList><TrustServiceProvider><TSPInformation><TSPName>"
        '<Name xml:lang="fr">Prestataire test</Name></TSPName></TSPInformation><TSPServices>'
        + _service(cas["granted"], GRANTED, now - dt.timedelta(days=400))
        + _service(cas["withdrawn"], WITHDRAWN, now - dt.timedelta(days=2), [(GRANTED, now - dt.timedelta(days=900))])
        + _service(cas["future"], GRANTED, now + dt.timedelta(days=1))
        + "</TSPServices></TrustServiceProvider></TrustServiceProviderList></TrustServiceStatusList>",
    )
    _sign_list(fr, fr_signer, served / "tl-fr.xml")
    be = _list(
        "BE",
        7,
        "</SchemeInformation><TrustServiceProviderList><TrustServiceProvider><TSPInformation><TSPName>"
        '<Name xml:lang="en">BE provider</Name></TSPName></TSPInformation><TSPServices>'
        + _service(cas["badlist"], GRANTED, now - dt.timedelta(days=400))
        + "</TSPServices></TrustServiceProvider></TrustServiceProviderList></TrustServiceStatusList>",
    )
    _sign_list(be, rogue, served / "tl-be.xml")  # the LOTL pins be_signer: this signature must fail
    lotl = _list(
        "EU",
        301,
        "<PointersToOtherTSL>"
        + _pointer("FR", f"{base}/tl-fr.xml", fr_signer)
        + _pointer("BE", f"{base}/tl-be.xml", be_signer)
        + "</PointersToOtherTSL></SchemeInformation>"
        "</TrustServiceStatusList>",
    )
    _sign_list(lotl, lotl_signer, served / "eu-lotl.xml")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield TlWorld(f"{base}/eu-lotl.xml", lotl_signer, folder, signatures, [root.certificate])
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def updated_cache(tl_world: TlWorld, tmp_path_factory: pytest.TempPathFactory) -> TrustedListCache:
    cache = TrustedListCache(tmp_path_factory.mktemp("tl-cache"))
    cache.update(tl_world.lotl_url, [tl_world.lotl_signer.certificate])
    return cache


def test_update_keeps_only_lists_whose_signature_holds(updated_cache: TrustedListCache) -> None:
    state = updated_cache.state()
    by_territory = {item.territory: item for item in state.lists}
    assert by_territory["EU"].sequence_number == 301 and not by_territory["EU"].error
    assert by_territory["FR"].sequence_number == 42 and not by_territory["FR"].error
    assert by_territory["BE"].error and "signature" in by_territory["BE"].error
    assert by_territory["BE"].file is None
    assert state.updated_at and dt.datetime.fromisoformat(state.updated_at) <= dt.datetime.now(dt.UTC)
    assert {tl.territory for tl in updated_cache.lists()} == {"FR"}


def test_granted_service_confirms_the_qualified_status(tl_world: TlWorld, updated_cache: TrustedListCache) -> None:
    signature, data = tl_world.signatures["granted"]
    sig = verify_file(
        signature, detached_of=data, trust_roots=tl_world.anchors, trusted_lists=updated_cache
    ).signatures[0]  # type: ignore[arg-type]
    assert sig.intact and sig.trusted
    assert sig.qualified and sig.declares_qualified
    assert sig.trusted_list.territory == "FR" and sig.trusted_list.sequence_number == 42
    assert sig.trusted_list.status == "granted"
    assert {"QCWithQSCD", "QCForESig"} <= set(sig.trusted_list.qualifiers) and sig.trusted_list.qscd is True
    assert "liste de confiance FR (n° 42)" in sig.qualified_label
    assert not any("non confirmé" in p.text for p in sig.problems)


@pytest.mark.parametrize(
    ("case", "why"),
    [
        ("withdrawn", "statut « withdrawn »"),
        ("future", "pas encore listé"),
        ("absent", "ne figure dans aucune liste"),
        ("badlist", "ne figure dans aucune liste"),  # its only list failed its signature check
    ],
)
def test_not_confirmed_cases(tl_world: TlWorld, updated_cache: TrustedListCache, case: str, why: str) -> None:
    signature, data = tl_world.signatures[case]
    sig = verify_file(
        signature, detached_of=data, trust_roots=tl_world.anchors, trusted_lists=updated_cache
    ).signatures[0]  # type: ignore[arg-type]
    assert sig.intact and sig.trusted and sig.declares_qualified
    assert not sig.qualified
    assert sig.qualified_label.startswith("se déclare qualifié ; non confirmé par la liste de confiance")
    assert why in sig.qualified_label


def test_lotl_signed_by_someone_else_is_refused_and_nothing_cached(
    tl_world: TlWorld, tmp_path: Path, test_pki: pki.TestPki
) -> None:
    cache = TrustedListCache(tmp_path / "cache")
    with pytest.raises(TrustedListError) as info:
        cache.update(tl_world.lotl_url, [test_pki.root.certificate])
    assert "ne se vérifie avec aucun des certificats attendus" in info.value.message_fr
    assert cache.lists() == []
    assert not (tmp_path / "cache" / "lotl.xml").exists()


def test_cli_update_then_status(tl_world: TlWorld, tmp_path: Path) -> None:
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home")}
    run = functools.partial(subprocess.run, capture_output=True, text=True, env=env)
    done = run([sys.executable, "-m", "assistant", "trusted-lists", "status"])
    assert done.returncode == 1 and "Aucune liste de confiance" in done.stdout
    pem = tmp_path / "lotl.pem"
    pem.write_bytes(tl_world.lotl_signer.certificate.public_bytes(serialization.Encoding.PEM))
    done = run(
        [
            sys.executable,
            "-m",
            "assistant",
            "trusted-lists",
            "update",
            "--lotl",
            tl_world.lotl_url,
            "--lotl-cert",
            str(pem),
        ]
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done  # BE is refused
    assert "2 liste(s) de confiance vérifiée(s)" in done.stdout and "BE" in done.stdout
    done = run([sys.executable, "-m", "assistant", "trusted-lists", "status"])
    assert done.returncode == 0 and "FR n° 42" in done.stdout and "✗ BE" in done.stdout
    # The address and pins were saved: the next update needs no option.
    done = run([sys.executable, "-m", "assistant", "trusted-lists", "update"])
    assert "2 liste(s) de confiance vérifiée(s)" in done.stdout
    signature, data = tl_world.signatures["granted"]
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(tl_world.anchors[0].public_bytes(serialization.Encoding.PEM))  # type: ignore[attr-defined]
    done = run(
        [
            sys.executable,
            "-m",
            "assistant",
            "verify",
            str(signature),
            "--detached-of",
            str(data),
            "--trust",
            str(root_pem),
        ]
    )
    assert "qualifié selon la liste de confiance FR (n° 42)" in done.stdout, done.stdout + done.stderr
