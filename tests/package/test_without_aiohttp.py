"""pyHanko without aiohttp, as in the bundle, checked in the venv without building one.

build.spec leaves aiohttp out and its runtime hook (installers/pyi_rth_pyhanko_without_aiohttp.py)
stands in for pyHanko's two aiohttp modules. Here a fresh interpreter that cannot import aiohttp
runs the hook, then the assistant's command line signs PAdES and CAdES at level B-T against the
tests' RFC 3161 TSA and verifies them: a signing or verification path that starts needing aiohttp
(a new pyHanko call with its default fetchers, say) fails here in seconds, before the bundle tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests import pki as pki_mod
from tests.package.conftest import ROOT
from tests.signing.conftest import Tsa, make_pdf, tsa  # noqa: F401 (the TSA fixture, requested by name)

WITHOUT_AIOHTTP = f"""
import runpy, sys
sys.modules["aiohttp"] = None  # as in the bundle: `import aiohttp` fails
runpy.run_path({str(ROOT / "installers" / "pyi_rth_pyhanko_without_aiohttp.py")!r})  # what the bundle runs first
from pyhanko.sign.timestamps import HTTPTimeStamper
assert "Stand-in" in (sys.modules[HTTPTimeStamper.__module__].__doc__ or "")
from assistant.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _assistant(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_AIOHTTP, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "AMP_PIN": pki_mod.P12_PASSWORD},
    )


def test_b_t_signatures_and_their_verification_need_no_aiohttp(
    tmp_path: Path, test_pki: pki_mod.TestPki, tsa: Tsa
) -> None:
    document = make_pdf(tmp_path / "Offre.pdf", "Lot 1")
    anchors = [tmp_path / "racine.pem", tmp_path / "autorite.pem"]
    anchors[0].write_bytes(test_pki.root.cert_pem)
    anchors[1].write_bytes(test_pki.ca.cert_pem)
    trust = [arg for anchor in anchors for arg in ("--trust", str(anchor))]
    key = str(test_pki.signer.files["p12"])
    for fmt in ("pades", "cades"):
        out = tmp_path / fmt
        out.mkdir()
        options = ["--format", fmt, "--level", "B-T", "--tsa", tsa.url, "--key", key, "--pin-env", "AMP_PIN"]
        done = _assistant("sign", *options, "--out-dir", str(out), str(document))
        assert done.returncode == 0, done.stderr
        (signature,) = list(out.iterdir())
        detached = ["--detached-of", str(document)] if fmt == "cades" else []
        checked = _assistant("verify", "--json", *trust, *detached, str(signature))
        report = json.loads(checked.stdout)
        (found,) = (report[0] if isinstance(report, list) else report)["signatures"]
        assert (found["level"], found["intact"], found["signature_valid"]) == ("B-T", True, True), found
        assert found["timestamp_valid"] is True and found["trusted"] is True, found
