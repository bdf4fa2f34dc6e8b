"""The LOTL's signers: the Official Journal's certificates shipped with the assistant, and the pivot
LOTLs that carry trust from them to the certificates signing the current LOTL. Lists made and signed
by the tests (xmlsec1), served from 127.0.0.1: never the network."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from assistant.signing import lotl_signers
from assistant.signing.errors import SigningCode
from assistant.signing.trustlists import TrustedListCache, TrustedListError
from tests import pki
from tests.signing.test_trustlists import _list, _pointer, _QuietHandler, _sign_list

OJ_NOTICE = "https://oj.example.test/eli/C/2099/1/oj"
LOTL_TYPE = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists"


def _self_pointer(url: str, signers: list[pki.Issued]) -> str:
    """A LOTL's pointer to itself: the certificates that may sign it (what a pivot announces)."""
    identities = "".join(
        f"<ServiceDigitalIdentity><DigitalId><X509Certificate>{base64.b64encode(s.cert_der).decode()}"
        "</X509Certificate></DigitalId></ServiceDigitalIdentity>"
        for s in signers
    )
    return (
        f"<OtherTSLPointer><ServiceDigitalIdentities>{identities}</ServiceDigitalIdentities>"
        f"<TSLLocation>{url}</TSLLocation><AdditionalInformation>"
        f"<OtherInformation><TSLType>{LOTL_TYPE}</TSLType></OtherInformation>"
        "<OtherInformation><SchemeTerritory>EU</SchemeTerritory></OtherInformation>"
        "<OtherInformation><tslx:MimeType>application/vnd.etsi.tsl+xml</tslx:MimeType></OtherInformation>"
        "</AdditionalInformation></OtherTSLPointer>"
    )


def _lotl(sequence: int, uris: list[str], pointers: str) -> str:
    listed = "".join(f'<URI xml:lang="en">{uri}</URI>' for uri in uris)
    return _list(
        "EU",
        sequence,
        f"<SchemeInformationURI>{listed}</SchemeInformationURI><PointersToOtherTSL>{pointers}</PointersToOtherTSL>"
        "</SchemeInformation></TrustServiceStatusList>",
    )


@dataclass
class PivotWorld:
    base: str
    oj_signer: pki.Issued  # what the (test) Official Journal published
    new_signer: pki.Issued  # introduced by the pivot, signs the current LOTL


@pytest.fixture(scope="session")
def pivot_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PivotWorld]:
    pki.require_tool("xmlsec1")
    folder = tmp_path_factory.mktemp("lotl-pivots")
    served = folder / "www"
    served.mkdir()
    signer = functools.partial(pki.issue, ca=False)
    oj_signer = pki.write_files(signer("oj-signer", "LOTL signer published in the OJ", None), folder)
    new_signer = pki.write_files(signer("new-signer", "LOTL signer introduced by a pivot", None), folder)
    rogue = pki.write_files(signer("rogue-signer", "Nobody the OJ published", None), folder)
    fr_signer = pki.write_files(signer("pivot-fr-signer", "FR TL signer", None), folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(served)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fr = _list(
        "FR", 42, "</SchemeInformation><TrustServiceProviderList></TrustServiceProviderList></TrustServiceStatusList>"
    )
    _sign_list(fr, fr_signer, served / "tl-fr.xml")
    # Pivot 300, signed by the OJ's certificate, announces the new signer.
    _sign_list(
        _lotl(300, [OJ_NOTICE], _self_pointer(f"{base}/eu-lotl.xml", [new_signer])),
        oj_signer,
        served / "eu-lotl-pivot-300.xml",
    )
    # The current LOTL, signed by the new signer: pivots newest first, then the notice.
    explanation = "https://ec.example.test/tools/lotl/pivot-lotl-explanation.html"
    _sign_list(
        _lotl(
            301,
            [explanation, f"{base}/eu-lotl-pivot-300.xml", OJ_NOTICE, f"{base}/legal-notice.html"],
            _self_pointer(f"{base}/eu-lotl.xml", [new_signer]) + _pointer("FR", f"{base}/tl-fr.xml", fr_signer),
        ),
        new_signer,
        served / "eu-lotl.xml",
    )
    # A forged chain: a "pivot" signed by someone else announcing itself.
    _sign_list(
        _lotl(300, [OJ_NOTICE], _self_pointer(f"{base}/forged-lotl.xml", [rogue])),
        rogue,
        served / "forged-pivot.xml",
    )
    _sign_list(
        _lotl(
            301,
            [f"{base}/forged-pivot.xml", OJ_NOTICE],
            _self_pointer(f"{base}/forged-lotl.xml", [rogue]) + _pointer("FR", f"{base}/tl-fr.xml", fr_signer),
        ),
        rogue,
        served / "forged-lotl.xml",
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield PivotWorld(base, oj_signer, new_signer)
    server.shutdown()
    server.server_close()


def _names_notice(uri: str) -> bool:
    return uri == OJ_NOTICE


def test_the_pivot_carries_trust_from_the_notice_to_the_current_signer(pivot_world: PivotWorld, tmp_path: Path) -> None:
    fetched: list[str] = []

    def fetch(url: str, what: str = "") -> bytes:
        from assistant.signing.fetching import fetch as real_fetch

        fetched.append(url)
        return real_fetch(url, what=what)

    cache = TrustedListCache(tmp_path / "cache")
    state = cache.update(
        f"{pivot_world.base}/eu-lotl.xml", [pivot_world.oj_signer.certificate], fetch=fetch, announcement=_names_notice
    )
    by_territory = {item.territory: item for item in state.lists}
    assert by_territory["EU"].sequence_number == 301 and not by_territory["EU"].error
    assert by_territory["FR"].sequence_number == 42 and not by_territory["FR"].error
    assert [item.territory for item in state.lists].count("EU") == 1  # its pointer to itself is not a national list
    assert f"{pivot_world.base}/eu-lotl-pivot-300.xml" in fetched
    assert not any(url.endswith("legal-notice.html") for url in fetched)


def test_without_a_pivot_the_current_signer_verifies_directly(pivot_world: PivotWorld, tmp_path: Path) -> None:
    fetched: list[str] = []

    def fetch(url: str, what: str = "") -> bytes:
        from assistant.signing.fetching import fetch as real_fetch

        fetched.append(url)
        return real_fetch(url, what=what)

    state = TrustedListCache(tmp_path / "cache").update(
        f"{pivot_world.base}/eu-lotl.xml", [pivot_world.new_signer.certificate], fetch=fetch
    )
    assert {item.territory for item in state.lists if not item.error} == {"EU", "FR"}
    assert not any("pivot" in url for url in fetched)


def test_pins_the_user_gives_follow_every_pivot(pivot_world: PivotWorld, tmp_path: Path) -> None:
    state = TrustedListCache(tmp_path / "cache").update(
        f"{pivot_world.base}/eu-lotl.xml", [pivot_world.oj_signer.certificate]
    )
    assert {item.territory for item in state.lists if not item.error} == {"EU", "FR"}


def test_a_pivot_signed_by_someone_else_introduces_nobody(pivot_world: PivotWorld, tmp_path: Path) -> None:
    cache = TrustedListCache(tmp_path / "cache")
    with pytest.raises(TrustedListError) as info:
        cache.update(
            f"{pivot_world.base}/forged-lotl.xml", [pivot_world.oj_signer.certificate], announcement=_names_notice
        )
    assert info.value.code == SigningCode.TRUSTED_LIST_SIGNATURE
    assert cache.lists() == [] and not (tmp_path / "cache" / "lotl.xml").exists()


def test_a_lotl_that_no_longer_names_the_notice_says_the_certificates_are_superseded(
    pivot_world: PivotWorld, tmp_path: Path
) -> None:
    with pytest.raises(TrustedListError) as info:
        TrustedListCache(tmp_path / "cache").update(
            f"{pivot_world.base}/eu-lotl.xml",
            [pivot_world.oj_signer.certificate],
            announcement=lambda uri: uri.endswith("/C/2100/7/oj"),
        )
    assert "ne cite plus la publication du Journal officiel" in info.value.message_fr
    assert "--lotl-cert" in info.value.message_en


def test_the_shipped_certificates_are_the_official_journal_ones() -> None:
    certificates = lotl_signers.shipped_signers()
    digests = {hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest() for c in certificates}
    assert digests == lotl_signers.FINGERPRINTS and len(certificates) == 6
    readme = (lotl_signers.signers_dir() / "README.md").read_text(encoding="utf-8")
    assert lotl_signers.OJ_REFERENCE in readme and all(digest in readme for digest in digests)
    assert lotl_signers.names_this_notice("https://eur-lex.europa.eu/eli/C/2026/1944/oj")
    assert lotl_signers.names_this_notice("https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:C_202601944")
    assert not lotl_signers.names_this_notice(
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=uriserv:OJ.C_.2019.276.01.0001.01.ENG"
    )


def test_a_certificate_dropped_beside_them_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_pki: pki.TestPki
) -> None:
    folder = tmp_path / "eu-lotl-signers"
    folder.mkdir()
    for path in lotl_signers.signers_dir().glob("*.pem"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "extra.pem").write_bytes(test_pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setattr(lotl_signers, "signers_dir", lambda: folder)
    assert len(lotl_signers.shipped_signers()) == 6


def test_cli_update_without_pins_uses_the_shipped_certificates(pivot_world: PivotWorld, tmp_path: Path) -> None:
    """No --lotl-cert: the Official Journal's certificates, not a request for them. The test LOTL is not
    signed by the Commission, so the update refuses it, saying so."""
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_LANG": "fr"}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "trusted-lists", "update", "--lotl", f"{pivot_world.base}/eu-lotl.xml"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "--lotl-cert), tel que publié" not in done.stderr  # no longer asks for certificates
    assert "ne cite plus la publication du Journal officiel" in done.stderr, done.stderr
