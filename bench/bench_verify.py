"""Verification speed against the reference validators, on the same files in one run.

1. 100 signed files of each format (CAdES detached, XAdES detached, PAdES) verified by one
   `assistant verify F1 … F100` process, against one reference validator process per file
   (`openssl cms -verify`, `xmlsec1 --verify`, `pyhanko sign validate`). Rounds are interleaved
   (ours, reference, ours, …) and the medians compared.
2. A 1 GB detached CAdES: wall time and peak RSS of `assistant verify`, next to `openssl cms -verify`.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".bench-data" / "verify"
ROUNDS = int(os.environ.get("BENCH_VERIFY_ROUNDS", "3"))
COUNT = int(os.environ.get("BENCH_VERIFY_COUNT", "100"))
#: e.g. BENCH_VERIFY_FORMATS=cades BENCH_VERIFY_BIG=0 for the CAdES figure alone
FORMATS = os.environ.get("BENCH_VERIFY_FORMATS", "cades,xades,pades").split(",")
BIG = os.environ.get("BENCH_VERIFY_BIG", "1") == "1"


def _timed(cmd: list[str], **kwargs: object) -> tuple[float, int]:
    """Wall seconds and exit code of one process."""
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start, int(done.returncode)


def _children_cpu() -> float:
    """User + system seconds of the children waited for so far (their own children included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _peak(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time and peak RSS (MiB) of that one process.

    Measured by GNU time (`/usr/bin/time -f %M`) when installed: the process then starts from time's
    own small footprint. Without it, wait4's ru_maxrss, which starts from the RSS of this benchmark
    at fork time (before exec): a small tool's figure is then an upper bound that may be this
    benchmark's own size, not the tool's.
    """
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    with tempfile.NamedTemporaryFile(prefix="amp-peak-", suffix=".txt") as measure:
        launcher = [gnu_time, "-f", "%M", "-o", measure.name] if gnu_time else []
        start = time.perf_counter()
        process = subprocess.Popen([*launcher, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        peak_kib = float(usage.ru_maxrss)
        if gnu_time:
            with contextlib.suppress(ValueError, IndexError):
                peak_kib = float(Path(measure.name).read_text().split()[-1])
    return {
        "seconds": round(wall, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "exit": process.returncode,
        "measured_by": "GNU time" if gnu_time else "wait4 (upper bound)",
    }


def _corpus(pki: object, work: Path, count: int) -> dict[str, list[Path]]:
    sys.path.insert(0, str(ROOT))
    from assistant.keystores.pkcs12 import Pkcs12Store
    from assistant.signing import SignFormat, sign_files
    from tests.pki import P12_PASSWORD
    from tests.signing.conftest import make_pdf

    store = Pkcs12Store(pki.signer.files["p12"], lambda _request: P12_PASSWORD)  # type: ignore[attr-defined]
    credential = store.credentials()[0]
    files: dict[str, list[Path]] = {}
    for fmt in (SignFormat.CADES, SignFormat.XADES, SignFormat.PADES):
        folder = work / fmt.value
        folder.mkdir()
        sources = []
        for index in range(count):
            if fmt is SignFormat.PADES:
                sources.append(make_pdf(folder / f"offre-{index:03}.pdf", f"Offre {index}"))
            else:
                path = folder / f"offre-{index:03}.bin"
                path.write_bytes(os.urandom(50_000))
                sources.append(path)
        batch = sign_files(credential, sources, fmt)
        files[fmt.value] = [r.output for r in batch.results if r.output is not None]
    store.close()
    return files


def _reference(fmt: str, signature: Path, pki: object) -> list[str]:
    bundle = str(pki.ca_bundle)  # type: ignore[attr-defined]
    if fmt == "cades":
        data = signature.with_name(signature.name.split(" - ")[0])
        return [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(signature),
            "-content",
            str(data),
            "-CAfile",
            bundle,
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ]
    if fmt == "xades":
        return [
            "xmlsec1",
            "--verify",
            "--trusted-pem",
            str(pki.root.files["cert"]),  # type: ignore[attr-defined]
            "--untrusted-pem",
            str(pki.ca.files["cert"]),  # type: ignore[attr-defined]
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
            str(signature),
        ]
    pyhanko = str(Path(sys.executable).with_name("pyhanko"))
    return [
        pyhanko,
        "sign",
        "validate",
        "--trust",
        str(pki.root.files["cert"]),  # type: ignore[attr-defined]
        "--other-certs",
        str(pki.ca.files["cert"]),
        "--no-revocation-check",
        str(signature),
    ]  # type: ignore[attr-defined]


def _as_installed() -> None:
    """Bytecode and compiled catalogues, as pip and the PyInstaller bundle provide them.

    Under PYTHONDONTWRITEBYTECODE (set on the development machines) a source tree recompiles every
    module of the assistant at each start, 0.1 s of CPU that no installed copy pays; and a `.po`
    newer than its `.mo` (after a merge) is compiled by Babel at each start (the certificate
    assessment's English sentences), another 50 ms.
    """
    import compileall

    compileall.compile_dir(str(ROOT / "assistant"), quiet=1)
    subprocess.run([sys.executable, "-m", "assistant.i18n", "compile"], cwd=ROOT, capture_output=True, check=False)


def bench_hundred(pki: object, work: Path, count: int = 100) -> dict[str, object]:
    files = _corpus(pki, work, count)
    _as_installed()
    ours_cmd = [sys.executable, "-m", "assistant", "verify", "--trust", str(pki.ca_bundle), "--json"]  # type: ignore[attr-defined]
    env = {**os.environ, "ASSISTANT_HOME": str(work / "home")}
    figures: dict[str, object] = {}
    for fmt, signatures in files.items():
        if fmt not in FORMATS:
            continue
        ours: list[float] = []
        reference: list[float] = []
        ours_cpu: list[float] = []
        reference_cpu: list[float] = []
        loads: list[float] = []
        failures = 0
        for _round in range(ROUNDS):  # interleaved: ours, then the reference, then ours again…
            loads.append(os.getloadavg()[0])
            cpu = _children_cpu()
            seconds, code = _timed([*ours_cmd, *map(str, signatures)], env=env)
            ours.append(seconds)
            ours_cpu.append(_children_cpu() - cpu)
            failures += code != 0
            cpu = _children_cpu()
            start = time.perf_counter()
            for signature in signatures:
                _seconds, code = _timed(_reference(fmt, signature, pki), cwd=signature.parent)
                failures += code != 0
            reference.append(time.perf_counter() - start)
            reference_cpu.append(_children_cpu() - cpu)
        figures[fmt] = {
            "files": len(signatures),
            "assistant_one_process_median_s": round(statistics.median(ours), 2),
            "reference_process_per_file_median_s": round(statistics.median(reference), 2),
            "ratio_reference_over_assistant": round(statistics.median(reference) / statistics.median(ours), 2),
            "per_file_ms_assistant": round(1000 * statistics.median(ours) / len(signatures), 1),
            "per_file_ms_reference": round(1000 * statistics.median(reference) / len(signatures), 1),
            "assistant_cpu_median_s": round(statistics.median(ours_cpu), 2),
            "reference_cpu_median_s": round(statistics.median(reference_cpu), 2),
            "ratio_cpu": round(statistics.median(reference_cpu) / statistics.median(ours_cpu), 2),
            "load_average_1min_at_rounds": [round(load, 1) for load in loads],
            "non_zero_exits": failures,
        }
        print(json.dumps({fmt: figures[fmt]}), flush=True)  # each format as soon as measured
    return figures


def bench_big_cades(pki: object, work: Path, size: int = 1 << 30) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from assistant.keystores.pkcs12 import Pkcs12Store
    from assistant.signing import SignFormat, sign_files
    from tests.pki import P12_PASSWORD

    DATA.mkdir(parents=True, exist_ok=True)
    big = DATA / "big-1GiB.bin"
    if not big.exists() or big.stat().st_size != size:
        block = os.urandom(1 << 20)
        with open(big, "wb") as fh:
            for index in range(size >> 20):
                fh.write(block[index % 256 :] + block[: index % 256])
    store = Pkcs12Store(pki.signer.files["p12"], lambda _request: P12_PASSWORD)  # type: ignore[attr-defined]
    signature = sign_files(store.credentials()[0], [big], SignFormat.CADES, out_dir=work).results[0].output
    store.close()
    assert signature is not None
    _as_installed()
    env = {**os.environ, "ASSISTANT_HOME": str(work / "home")}
    ours = _peak(
        [
            sys.executable,
            "-m",
            "assistant",
            "verify",
            str(signature),
            "--detached-of",
            str(big),
            "--trust",
            str(pki.ca_bundle),
            "--json",
        ],
        env,
    )  # type: ignore[attr-defined]
    reference = _peak(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(signature),
            "-content",
            str(big),
            "-CAfile",
            str(pki.ca_bundle),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ]
    )  # type: ignore[attr-defined]
    return {"size_bytes": size, "assistant_verify": ours, "openssl_cms_verify": reference}


def main() -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from tests.pki import make_pki

    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="amp-bench-verify-", dir=DATA) as tmp:
        work = Path(tmp)
        pki = make_pki(work / "pki")
        figures: dict[str, object] = {"load_average_before": os.getloadavg()}
        if BIG:
            figures["big_cades_1GiB"] = bench_big_cades(pki, work)
            print(json.dumps({"big_cades_1GiB": figures["big_cades_1GiB"]}), flush=True)
        figures["hundred_files"] = bench_hundred(pki, work, COUNT)
        figures["load_average_after"] = os.getloadavg()
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
