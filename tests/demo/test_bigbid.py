"""The big consultation of the demo platform: its shape at full scale (planned, not written), and
envelopes that OpenSSL and the assistant decrypt with the SoftHSM2 bi-clé, byte for byte."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from assistant.demo import bigbid
from tests import pki
from tests.demo.process import assistant_cmd, assistant_env


def test_full_scale_is_the_issue_s_consultation() -> None:
    spec = bigbid.BigBidSpec.scaled(1.0)
    files = bigbid.plan(spec)
    assert len({f.pli for f in files}) == 500  # 100 lots x 5 plis
    assert len({(f.pli, f.envelope) for f in files}) == 1500
    assert 9_000 <= len(files) <= 11_000
    total = sum(f.plain_size for f in files)
    assert 9e9 <= total <= 11.5e9, total
    archives = [f for f in files if f.name.endswith(".zip.p7m")]
    assert 5 <= len(archives) <= 12 and all(f.plain_size >= 200e6 for f in archives)
    assert sum(1 for f in files if f.plain_size < 1e6) > len(files) / 2  # mostly small documents
    assert bigbid.plan(spec) == files  # deterministic
    small = bigbid.BigBidSpec.scaled(0.05)
    assert small.lots == 5 and len(bigbid.plan(small)) < len(files) / 10


def test_envelopes_decrypt_with_openssl_and_the_softhsm_bicle(
    tmp_path: Path, test_pki: pki.TestPki, softhsm_token: pki.SoftHsmToken, assistant_home: Path
) -> None:
    pki.require_tool("openssl")
    spec = bigbid.BigBidSpec(lots=1, plis_per_lot=1, archive_factor=0.004, size_factor=0.05)
    manifest = bigbid.ensure(tmp_path / "data", test_pki.encryption.files["cert"], spec)
    root = bigbid.folder(tmp_path / "data", spec) / "consultation"
    files = list(bigbid.files_of(manifest))
    assert len(files) >= 9 and any(f["name"].endswith(".zip.p7m") for f in files)
    for f in files:
        envelope = root / f["rel"]
        assert hashlib.sha256(envelope.read_bytes()).hexdigest() == f["sha256"]
        plain = subprocess.run(
            [
                "openssl",
                "cms",
                "-decrypt",
                "-inform",
                "DER",
                "-binary",
                "-in",
                str(envelope),
                "-inkey",
                str(test_pki.encryption.files["key"]),
                "-recip",
                str(test_pki.encryption.files["cert"]),
            ],
            capture_output=True,
            check=True,
        ).stdout
        assert hashlib.sha256(plain).hexdigest() == f["plain_sha256"], f["rel"]
        kind = f["name"][:-4].rsplit(".", 1)[1]
        assert plain.startswith(b"%PDF-" if kind == "pdf" else b"PK\x03\x04"), f["rel"]
    # The assistant decrypts the folder with the key on the token (the PIN from the environment).
    out = tmp_path / "clair"
    env = {**assistant_env(assistant_home), "SOFTHSM2_CONF": str(softhsm_token.conf), "AMP_TEST_PIN": pki.TOKEN_PIN}
    result = subprocess.run(
        assistant_cmd(
            "decrypt",
            str(root),
            "--key",
            softhsm_token.uri("encryption"),
            "--pin-env",
            "AMP_TEST_PIN",
            "--out-dir",
            str(out),
            "--json",
        ),
        env=env,
        capture_output=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == len(files) and all(line["ok"] for line in lines), lines
    pdfs = {p.name for p in out.rglob("*.pdf")}
    assert {f["name"][:-4] for f in files if f["name"].endswith(".pdf.p7m")} <= pdfs
