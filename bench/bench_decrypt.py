"""Envelope decryption: `assistant decrypt` against `openssl cms -decrypt`, same file, same key.

1. A 500 MB AES-256-CBC envelope made by `openssl cms -encrypt -stream` (indefinite length, 4 KB
   chunks, as a streaming platform writes it) and the same without `-stream` (one definite block):
   each tool decrypts it to a file, as a whole process (start-up included), three times
   alternately; the medians give the ratio. Peak memory (RSS) of each process via wait4.
2. A 4 GB envelope: OpenSSL is tried (it reads the whole envelope into memory and fails), then
   the assistant decrypts it; peak RSS and the SHA-256 of the output against the plaintext's.

Data lives in /tmp/amp-bench-decrypt-*/ and is deleted at the end. Run: `.venv/bin/python -m bench
decrypt` (BENCH_DECRYPT_BIG_GB=0 skips part 2).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MB = 1_000_000
SMALL = 500 * MB
P12_PASSWORD = secrets.token_urlsafe(16)  # throwaway key of a throwaway folder
ROOT = Path(__file__).resolve().parent.parent


def _hwm_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM) as the kernel keeps it for its current program."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _run_measured(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 3600) -> dict[str, Any]:
    """Wall time, exit code and peak RSS (MB) of one process.

    The peak is VmHWM from /proc, polled every 5 ms: wait4's ru_maxrss would also count this
    (bigger) benchmark process, whose memory the child shares between fork and exec.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    deadline = start + timeout
    peak_kb = 0
    while True:
        peak_kb = max(peak_kb, _hwm_kb(proc.pid))
        pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, _usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.005)
    wall = time.perf_counter() - start
    # Not timed: write back whatever this run left dirty (OpenSSL does not fsync, we do), so that
    # the next run does not pay for this one's writes.
    os.sync()
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": wall,
        "cpu_s": _usage.ru_utime + _usage.ru_stime,
        "rc": proc.returncode,
        "peak_rss_mb": peak_kb / 1024,
        "stderr": stderr[-300:],
    }


def _write_plaintext(path: Path, size: int) -> str:
    """Random-looking data (a 64 MB random block, each copy varied) and its SHA-256."""
    block = bytearray(os.urandom(64 << 20))
    digest = hashlib.sha256()
    written = 0
    with open(path, "wb") as fh:
        counter = 0
        while written < size:
            block[:8] = counter.to_bytes(8, "big")
            piece = memoryview(block)[: min(len(block), size - written)]
            fh.write(piece)
            digest.update(piece)
            written += len(piece)
            counter += 1
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _make_key(folder: Path) -> tuple[Path, Path, Path]:
    key, cert, p12 = folder / "key.pem", folder / "cert.pem", folder / "key.p12"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:3072",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=Clé de déchiffrement de Bench",
            "-days",
            "2",
            "-addext",
            "keyUsage=critical,keyEncipherment,dataEncipherment",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-export",
            "-inkey",
            str(key),
            "-in",
            str(cert),
            "-out",
            str(p12),
            "-passout",
            f"pass:{P12_PASSWORD}",
        ],
        check=True,
        capture_output=True,
    )
    return key, cert, p12


def _encrypt(plain: Path, envelope: Path, cert: Path, *, stream: bool) -> float:
    cmd = (
        [
            "openssl",
            "cms",
            "-encrypt",
            "-binary",
            "-aes-256-cbc",
            "-outform",
            "DER",
            "-in",
            str(plain),
            "-out",
            str(envelope),
        ]
        + (["-stream"] if stream else [])
        + [str(cert)]
    )
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def _openssl_cmd(envelope: Path, key: Path, cert: Path, out: Path) -> list[str]:
    return [
        "openssl",
        "cms",
        "-decrypt",
        "-binary",
        "-inform",
        "DER",
        "-in",
        str(envelope),
        "-inkey",
        str(key),
        "-recip",
        str(cert),
        "-out",
        str(out),
    ]


def _ours_cmd(envelope: Path, p12: Path, out_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "assistant",
        "decrypt",
        str(envelope),
        "--key",
        str(p12),
        "--pin-env",
        "BENCH_P12_PASSWORD",
        "--out-dir",
        str(out_dir),
        "--no-extract",
        "--json",
    ]


def _compare(
    envelope: Path, key: Path, cert: Path, p12: Path, work: Path, env: dict[str, str], plain_sha: str, rounds: int = 5
) -> dict[str, Any]:
    size = envelope.stat().st_size
    openssl_runs: list[dict[str, Any]] = []
    ours_runs: list[dict[str, Any]] = []
    for _ in range(rounds):
        out = work / "openssl.out"
        res = _run_measured(_openssl_cmd(envelope, key, cert, out))
        if res["rc"] != 0:
            raise RuntimeError(f"openssl cms -decrypt failed: {res['stderr']}")
        openssl_runs.append(res)
        out.unlink()
        os.sync()
        out_dir = work / "ours"
        res = _run_measured(_ours_cmd(envelope, p12, out_dir), env=env)
        if res["rc"] != 0:
            raise RuntimeError(f"assistant decrypt failed: {res['stderr']}")
        ours_runs.append(res)
        produced = next(out_dir.iterdir())
        if len(ours_runs) == 1 and _sha256(produced) != plain_sha:
            raise RuntimeError("assistant decrypt produced different bytes")
        shutil.rmtree(out_dir)
        os.sync()
    o = statistics.median(r["seconds"] for r in openssl_runs)
    a = statistics.median(r["seconds"] for r in ours_runs)
    return {
        "envelope_mb": round(size / MB, 1),
        "openssl_seconds": round(o, 3),
        "assistant_seconds": round(a, 3),
        "openssl_mb_s": round(size / MB / o, 1),
        "assistant_mb_s": round(size / MB / a, 1),
        "ratio_speed_assistant_over_openssl": round(o / a, 2),
        "openssl_peak_rss_mb": round(max(r["peak_rss_mb"] for r in openssl_runs), 1),
        "assistant_peak_rss_mb": round(max(r["peak_rss_mb"] for r in ours_runs), 1),
        "rounds": rounds,
    }


def main() -> dict[str, object]:
    big_gb = float(os.environ.get("BENCH_DECRYPT_BIG_GB", "4"))
    work = Path(tempfile.mkdtemp(prefix="amp-bench-decrypt-", dir="/tmp"))
    env = {
        **os.environ,
        "BENCH_P12_PASSWORD": P12_PASSWORD,
        "ASSISTANT_HOME": str(work / "home"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    figures: dict[str, object] = {
        "machine_cpus": os.cpu_count(),
        "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
    }
    try:
        key, cert, p12 = _make_key(work)
        plain = work / "plain.bin"
        plain_sha = _write_plaintext(plain, SMALL)
        streamed, definite = work / "streamed.p7m", work / "definite.p7m"
        _encrypt(plain, streamed, cert, stream=True)
        _encrypt(plain, definite, cert, stream=False)
        plain.unlink()
        figures["500MB_aes256cbc_streamed"] = _compare(streamed, key, cert, p12, work, env, plain_sha)
        streamed.unlink()
        figures["500MB_aes256cbc_definite"] = _compare(definite, key, cert, p12, work, env, plain_sha)
        definite.unlink()
        if big_gb > 0:
            figures[f"{big_gb:g}GB_aes256cbc_streamed"] = _big(work, key, cert, p12, env, int(big_gb * (1 << 30)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def _big(work: Path, key: Path, cert: Path, p12: Path, env: dict[str, str], size: int) -> dict[str, Any]:
    plain = work / "big.bin"
    plain_sha = _write_plaintext(plain, size)
    envelope = work / "big.p7m"
    encrypt_seconds = _encrypt(plain, envelope, cert, stream=True)
    plain.unlink()
    result: dict[str, Any] = {
        "envelope_mb": round(envelope.stat().st_size / MB, 1),
        "openssl_encrypt_seconds": round(encrypt_seconds, 1),
    }
    out = work / "openssl-big.out"
    res = _run_measured(_openssl_cmd(envelope, key, cert, out), timeout=900)
    produced_ok = res["rc"] == 0 and out.exists() and _sha256(out) == plain_sha
    result["openssl"] = {
        "exit_code": res["rc"],
        "seconds": round(res["seconds"], 1),
        "peak_rss_mb": round(res["peak_rss_mb"], 1),
        "correct_output": produced_ok,
        "error": res["stderr"].strip().splitlines()[-1:] if res["rc"] else [],
    }
    out.unlink(missing_ok=True)
    out_dir = work / "ours-big"
    res = _run_measured(_ours_cmd(envelope, p12, out_dir), env=env, timeout=1800)
    if res["rc"] != 0:
        raise RuntimeError(f"assistant decrypt failed on the big envelope: {res['stderr']}")
    produced = next(out_dir.iterdir())
    result.update(
        {
            "assistant_seconds": round(res["seconds"], 1),
            "assistant_mb_s": round(envelope.stat().st_size / MB / res["seconds"], 1),
            "assistant_peak_rss_mb": round(res["peak_rss_mb"], 1),
            "assistant_output_identical": _sha256(produced) == plain_sha,
        }
    )
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2, ensure_ascii=False))
