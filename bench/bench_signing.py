"""Signing speed against the reference tools, on the same inputs in one run.

1. Hashing a 1 GB file for CAdES and XAdES against `sha256sum` (target: >= 0.9x its speed), with
   the peak RSS of a process that signs the 1 GB file next to one that signs a 1 MB file
   (constant memory: the two should be about the same).
2. 100 one-page PDFs signed in PAdES in one batch (one password entry) against one
   `pyhanko sign addsig` process per file, both with the same .p12 key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".bench-data" / "signing"
GIB = 1024**3


def _best_of(runs: int, func: object) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def _big_file(size: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"big-{size}.bin"
    if not path.exists() or path.stat().st_size != size:
        block = os.urandom(1 << 20)
        with open(path, "wb") as fh:
            for i in range(size >> 20):
                fh.write(block[i % 256 :] + block[: i % 256])
    return path


_SIGN_CHILD = """
import json, resource, sys, time
from pathlib import Path
from assistant.keystores.pkcs12 import Pkcs12Store
from assistant.signing import sign_files
p12, password, fmt, src, out = sys.argv[1:6]
store = Pkcs12Store(p12, lambda request: password)
credential = store.credentials()[0]
start = time.perf_counter()
batch = sign_files(credential, [Path(src)], fmt, out_dir=Path(out))
elapsed = time.perf_counter() - start
assert batch.ok, batch.results[0].error
print(json.dumps({"seconds": elapsed, "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _sign_in_child(p12: Path, password: str, fmt: str, source: Path, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _SIGN_CHILD, str(p12), password, fmt, str(source), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench_hashing(pki: object, work: Path) -> dict[str, object]:
    from assistant.signing.digest import hash_file

    big = _big_file(GIB)
    small = _big_file(1 << 20)
    subprocess.run(["cat", str(big)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    sha256sum = _best_of(3, lambda: subprocess.run(["sha256sum", str(big)], capture_output=True, check=True))
    openssl = _best_of(
        3, lambda: subprocess.run(["openssl", "dgst", "-sha256", str(big)], capture_output=True, check=True)
    )
    ours = _best_of(3, lambda: hash_file(big))
    p12 = pki.signer.files["p12"]  # type: ignore[attr-defined]
    from tests.pki import P12_PASSWORD

    out = work / "out"
    out.mkdir(exist_ok=True)
    cades = _sign_in_child(p12, P12_PASSWORD, "cades", big, out)
    xades = _sign_in_child(p12, P12_PASSWORD, "xades", big, out)
    small_run = _sign_in_child(p12, P12_PASSWORD, "cades", small, out)
    mb = GIB / 1e6
    return {
        "file_bytes": GIB,
        "sha256sum_seconds": round(sha256sum, 3),
        "sha256sum_MBps": round(mb / sha256sum, 1),
        "openssl_dgst_sha256_MBps": round(mb / openssl, 1),  # second reference: OpenSSL uses SHA-NI too
        "hash_file_seconds": round(ours, 3),
        "hash_file_MBps": round(mb / ours, 1),
        "hash_speed_ratio_vs_sha256sum": round(sha256sum / ours, 3),
        "cades_sign_1GB_seconds": round(cades["seconds"], 3),
        "cades_speed_ratio_vs_sha256sum": round(sha256sum / cades["seconds"], 3),
        "xades_sign_1GB_seconds": round(xades["seconds"], 3),
        "xades_speed_ratio_vs_sha256sum": round(sha256sum / xades["seconds"], 3),
        "peak_rss_MB_signing_1GB_cades": round(cades["max_rss_kb"] / 1024, 1),
        "peak_rss_MB_signing_1GB_xades": round(xades["max_rss_kb"] / 1024, 1),
        "peak_rss_MB_signing_1MB_cades": round(small_run["max_rss_kb"] / 1024, 1),
    }


def bench_pades(pki: object, work: Path, count: int = 100) -> dict[str, object]:
    from assistant.keystores.pkcs12 import Pkcs12Store
    from assistant.signing import SignFormat, sign_files
    from tests.pki import P12_PASSWORD
    from tests.signing.conftest import PinCounter, make_pdf

    pyhanko = shutil.which("pyhanko") or str(Path(sys.executable).parent / "pyhanko")
    if not Path(pyhanko).exists():
        raise RuntimeError("pyhanko CLI missing: pip install pyhanko-cli (dev extras)")
    src = work / "pdfs"
    src.mkdir()
    pdfs = [make_pdf(src / f"Document {i:03d}.pdf", f"Page {i}") for i in range(count)]
    p12 = pki.signer.files["p12"]  # type: ignore[attr-defined]

    ours_out = work / "ours"
    ours_out.mkdir()
    pin = PinCounter(P12_PASSWORD)
    start = time.perf_counter()
    store = Pkcs12Store(p12, pin)
    batch = sign_files(store.credentials()[0], pdfs, SignFormat.PADES, out_dir=ours_out)
    ours = time.perf_counter() - start
    assert batch.ok, [r.error for r in batch.results if r.error]

    ref_out = work / "pyhanko"
    ref_out.mkdir()
    passfile = work / "pass.txt"
    passfile.write_text(P12_PASSWORD)
    start = time.perf_counter()
    for pdf in pdfs:
        subprocess.run(
            [
                pyhanko,
                "sign",
                "addsig",
                "--field",
                "Signature1",
                "--use-pades",
                "pkcs12",
                "--passfile",
                str(passfile),
                str(pdf),
                str(ref_out / pdf.name),
                str(p12),
            ],
            check=True,
            capture_output=True,
        )
    reference = time.perf_counter() - start
    passfile.unlink()
    return {
        "pdf_count": count,
        "password_entries": pin.count,
        "ours_batch_seconds": round(ours, 3),
        "ours_ms_per_file": round(1000 * ours / count, 1),
        "pyhanko_cli_seconds": round(reference, 3),
        "pyhanko_cli_ms_per_file": round(1000 * reference / count, 1),
        "speedup_vs_pyhanko_cli_per_file": round(reference / ours, 1),
    }


def main() -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from tests.pki import make_pki

    with tempfile.TemporaryDirectory(
        prefix="amp-bench-signing-", dir=DATA.parent if DATA.parent.exists() else None
    ) as tmp:
        work = Path(tmp)
        pki = make_pki(work / "pki")
        figures: dict[str, object] = {}
        figures["hashing_1GB"] = bench_hashing(pki, work)
        figures["pades_100_pdfs"] = bench_pades(pki, work)
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
