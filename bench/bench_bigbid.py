"""The big consultation end to end: descriptor, download, kill and resume, offline decryption,
online opening, at the size of a real big bid (100 lots x 5 plis x 3 envelopes, ~9,750 files,
~10 GB at BENCH_SCALE=1).

1. A SoftHSM2 token with a bi-clé (the test PKI's encryption key, imported not extractable) is
   the buyer's card; the demo platform's big consultation is made for its certificate
   (`assistant.demo.bigbid`, timed) and served by the demo platform as its own process, behind
   the network profile BENCH_PROFILE (default: none, loopback) if one is named.
2. `assistant download <descriptor_url>` (a fresh process): wall time, throughput, peak memory
   (VmHWM polled), journal size, one progress line of the terminal.
3. Into a second folder: the same download SIGKILLed once half the bytes arrived, then run
   again: time to finish, time to the first new byte (the journal check of ~10,000 files),
   bytes the platform served twice, and whether any file verified before the kill was asked again.
4. `assistant decrypt` of the whole folder with the token (no extraction, like OpenSSL) against
   one `openssl cms -decrypt` process per envelope with the same key as a PEM file; peak memory.
5. `assistant open` of the first BENCH_OPEN_ENVELOPES (1,000) envelopes: time and upload
   throughput; the platform's copies checked against the plaintext's SHA-256.

    BENCH_SCALE=0.05 .venv/bin/python -m bench bigbid      # ~5 lots, ~500 files, ~0.5 GB
    BENCH_SCALE=1 BENCH_KEEP=1 .venv/bin/python bench/bench_bigbid.py   # the full 10 GB once
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_decrypt import _hwm_kb, _run_measured  # noqa: E402
from bench.bench_download import _env  # noqa: E402

SCALE = float(os.environ.get("BENCH_SCALE", "0.05"))
PROFILE = os.environ.get("BENCH_PROFILE", "")
OPEN_ENVELOPES = int(os.environ.get("BENCH_OPEN_ENVELOPES", "1000"))
WORK = Path(os.environ.get("BENCH_BIGBID_DIR", str(ROOT / ".bench-data" / "bigbid")))
MB = 1e6


def _token(folder: Path) -> tuple[Path, Path, Any]:
    """The buyer's card: a SoftHSM2 token holding the test PKI's encryption key (not extractable).
    Kept between runs (the consultation is made for its certificate); returns the certificate,
    the same key as a PEM file (for OpenSSL's side of the comparison) and the token."""
    from tests import pki

    saved = folder / "token.json"
    if saved.exists():
        info = json.loads(saved.read_text())
        token = pki.SoftHsmToken(info["module"], Path(info["conf"]), info["label"], info["pin"], info["so_pin"])
        return Path(info["cert"]), Path(info["key"]), token
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    test_pki = pki.make_pki(folder / "pki")
    token = pki.make_softhsm(folder / "softhsm")
    pki.import_into_softhsm(token, test_pki.encryption, "03")
    cert, key = test_pki.encryption.files["cert"], test_pki.encryption.files["key"]
    info = {
        "module": token.module,
        "conf": str(token.conf),
        "label": token.label,
        "pin": token.pin,
        "so_pin": token.so_pin,
        "cert": str(cert),
        "key": str(key),
    }
    saved.write_text(json.dumps(info))
    return cert, key, token


def _start_demo(data: Path, home: Path, recipient: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = WORK / "demo.url"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant",
            "demo",
            "--data-dir",
            str(data),
            "--port-file",
            str(port_file),
            "--test-hooks",
            "--no-seed",
            "--recipient-cert",
            str(recipient),
        ],
        env=_env(home),
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("demo platform did not start")
        time.sleep(0.1)
    return proc, port_file.read_text()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=600) as response:
        return json.loads(response.read())


def _post(url: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass


def _served(platform: str) -> dict[str, Any]:
    stats: dict[str, Any] = _get(f"{platform}/api/stats")
    return stats


def _journal_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.rglob("*.sqlite*") if p.is_file()) + sum(
        p.stat().st_size for p in home.rglob("*.db*") if p.is_file()
    )


def _download_killed_at_half(cmd: list[str], env: dict[str, str], platform: str, total: int) -> dict[str, Any]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    started = time.monotonic()
    while proc.poll() is None:
        served = sum(_served(platform)["served"].values())
        if served >= total / 2:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.5)
    proc.wait(30)
    return {"killed_after_s": round(time.monotonic() - started, 2), "killed": proc.returncode == -signal.SIGKILL}


def main() -> dict[str, Any]:
    from assistant.demo import bigbid
    from bench.netprofile import profile as net_profile  # noqa: F401 - fails early on a bad name

    WORK.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {
        "scale": SCALE,
        "profile": PROFILE or "loopback",
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    recipient, key_pem, token = _token(WORK / "keys")
    data = WORK / "platform"
    spec = bigbid.BigBidSpec.scaled(SCALE)
    start = time.perf_counter()
    manifest = bigbid.ensure(data, recipient, spec)
    files = list(bigbid.files_of(manifest))
    total = sum(f["size"] for f in files)
    figures["generation_s"] = round(time.perf_counter() - start, 1)
    figures["files"] = len(files)
    figures["plis"] = len(manifest["plis"])
    figures["bytes"] = total

    demo, platform = _start_demo(data, WORK / "demo-home", recipient)
    proxy_proc = None
    try:
        base = platform
        if PROFILE:
            from bench.bench_profiles import _start_proxy

            proxy_proc, address = _start_proxy(PROFILE, platform.split("://", 1)[1])
            base = f"http://{address}"
        query = f"scale={SCALE:g}"
        descriptor_url = f"{base}/api/bigbid/descriptors/download?{query}"
        figures["descriptor_bytes"] = len(urllib.request.urlopen(descriptor_url, timeout=600).read())
        env = {**_env(WORK / "home"), **token.env(), "AMP_BENCH_PIN": token.pin}

        # 2. The whole download, a fresh process.
        out = WORK / "download"
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(WORK / "home", ignore_errors=True)
        _post(f"{platform}/api/test/reset", {})
        os.sync()
        cmd = [sys.executable, "-m", "assistant", "download", descriptor_url, "--dest", str(out), "--json", "--quiet"]
        figures["load_before_download"] = _load()
        run = _run_measured_json(cmd, env)
        figures["download_s"] = round(run["seconds"], 2)
        figures["download_cpu_s"] = round(run["cpu_s"], 1)
        figures["download_MBps"] = round(total / run["seconds"] / MB, 1)
        figures["download_peak_rss_mb"] = round(run["peak_rss_mb"], 1)
        figures["download_connections"] = run["report"]["result"].get("connections")
        figures["download_state"] = run["report"]["state"]
        figures["journal_bytes"] = _journal_bytes(WORK / "home")
        figures["load_average_after_download"] = [round(x, 2) for x in os.getloadavg()]
        # One line of the terminal's progress, as the user sees it (a short run without --quiet).
        figures["progress_example"] = _progress_line(descriptor_url, env)
        _save(figures)

        # 3. Killed at half, then resumed, into another folder with another journal.
        resumed = WORK / "resumed"
        shutil.rmtree(resumed, ignore_errors=True)
        resume_home = WORK / "home-resume"
        shutil.rmtree(resume_home, ignore_errors=True)
        renv = {**env, "ASSISTANT_HOME": str(resume_home)}
        _post(f"{platform}/api/test/reset", {})
        rcmd = [
            sys.executable,
            "-m",
            "assistant",
            "download",
            descriptor_url,
            "--dest",
            str(resumed),
            "--json",
            "--quiet",
        ]
        figures["load_before_resume"] = _load()
        figures["kill"] = _download_killed_at_half(rcmd, renv, platform, total)
        verified_at_kill = {p.relative_to(resumed).as_posix() for p in resumed.rglob("*.p7m")}
        first = _served(platform)
        served_before = sum(first["served"].values())
        _post(f"{platform}/api/test/reset", {})
        run = _run_measured_json(rcmd, renv)
        second = _served(platform)
        served_after = sum(second["served"].values())
        prefix = f"bigbid/{spec.tag}/consultation/"
        asked_again = [rel for rel in verified_at_kill if prefix + rel.split("/", 1)[1] in second["requests"]]
        figures["resume"] = {
            "files_verified_at_kill": len(verified_at_kill),
            "bytes_served_before_kill": served_before,
            "resume_s": round(run["seconds"], 2),
            "resume_already_verified": run["report"]["result"].get("already_verified"),
            "resume_peak_rss_mb": round(run["peak_rss_mb"], 1),
            "resume_cpu_s": round(run["cpu_s"], 1),
            "bytes_served_twice": served_before + served_after - total,
            "verified_files_asked_again": len(asked_again),
            "state": run["report"]["state"],
        }
        shutil.rmtree(resumed, ignore_errors=True)
        _save(figures)

        # 4. Offline decryption of the whole folder: the assistant with the card, OpenSSL per envelope.
        clear = WORK / "clair"
        shutil.rmtree(clear, ignore_errors=True)
        dcmd = [
            sys.executable,
            "-m",
            "assistant",
            "decrypt",
            str(out),
            "--key",
            token.uri("encryption"),
            "--pin-env",
            "AMP_BENCH_PIN",
            "--out-dir",
            str(clear),
            "--no-extract",
            "--json",
        ]
        figures["load_before_decrypt"] = _load()
        run = _run_measured(dcmd, env=env, timeout=7200)
        figures["decrypt_assistant_s"] = round(run["seconds"], 2)
        figures["decrypt_assistant_cpu_s"] = round(run["cpu_s"], 1)
        figures["decrypt_assistant_peak_rss_mb"] = round(run["peak_rss_mb"], 1)
        figures["decrypt_assistant_rc"] = run["rc"]
        shutil.rmtree(clear, ignore_errors=True)
        _save(figures)
        clear.mkdir()
        figures["load_before_openssl"] = _load()
        start = time.perf_counter()
        peak = 0
        openssl_cpu = 0.0
        envelopes = sorted(out.rglob("*.p7m"))
        for n, envelope in enumerate(envelopes):
            proc = subprocess.Popen(
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
                    str(key_pem),
                    "-recip",
                    str(recipient),
                    "-out",
                    str(clear / f"{n}.bin"),
                ]
            )
            while True:
                peak = max(peak, _hwm_kb(proc.pid))
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                time.sleep(0.002)
            openssl_cpu += usage.ru_utime + usage.ru_stime
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode != 0:
                raise RuntimeError(f"openssl failed on {envelope}")
        os.sync()
        figures["decrypt_openssl_per_envelope_s"] = round(time.perf_counter() - start, 2)
        figures["decrypt_openssl_peak_rss_mb"] = round(peak / 1024, 1)
        figures["decrypt_openssl_cpu_s"] = round(openssl_cpu, 1)
        figures["decrypt_ratio"] = round(figures["decrypt_openssl_per_envelope_s"] / figures["decrypt_assistant_s"], 2)
        shutil.rmtree(clear, ignore_errors=True)
        _save(figures)

        # 5. Online opening of the first envelopes: decrypted one by one and sent back.
        _post(f"{platform}/api/test/reset", {})
        open_url = f"{base}/api/bigbid/descriptors/open?{query}&envelopes={OPEN_ENVELOPES}"
        ocmd = [
            sys.executable,
            "-m",
            "assistant",
            "open",
            open_url,
            "--key",
            token.uri("encryption"),
            "--pin-env",
            "AMP_BENCH_PIN",
            "--json",
            "--quiet",
        ]
        figures["load_before_open"] = _load()
        run = _run_measured_json(ocmd, env)
        uploads = _served(platform)["uploads"]
        sent = sum(u["size"] for u in uploads.values())
        plain = {f["rel"][: -len(".p7m")]: f["plain_sha256"] for f in files}
        wrong = [rel for rel, u in uploads.items() if plain.get(rel.split("/", 1)[1]) != u["sha256"]]
        figures["open"] = {
            "envelopes": len(uploads),
            "state": run["report"]["state"],
            "seconds": round(run["seconds"], 2),
            "uploaded_bytes": sent,
            "upload_MBps": round(sent / run["seconds"] / MB, 1),
            "peak_rss_mb": round(run["peak_rss_mb"], 1),
            "cpu_s": round(run["cpu_s"], 1),
            "uploads_not_matching_plaintext": len(wrong),
        }
    finally:
        if proxy_proc is not None:
            proxy_proc.terminate()
            proxy_proc.wait(10)
        demo.terminate()
        demo.wait(30)
        if not os.environ.get("BENCH_KEEP"):
            for name in ("download", "resumed", "clair"):
                shutil.rmtree(WORK / name, ignore_errors=True)
    figures["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    _save(figures)
    return figures


def _run_measured_json(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """`_run_measured` for a command printing a JSON report (kept): wall and CPU time, VmHWM."""
    out = WORK / "report.json"
    with out.open("wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.DEVNULL, cwd=ROOT)
        peak = 0
        while True:
            peak = max(peak, _hwm_kb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    os.sync()
    text = out.read_text()
    report = json.loads(text) if text.strip() else {"state": f"exit {proc.returncode}", "result": {}}
    return {
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": peak / 1024,
        "report": report,
    }


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def _save(figures: dict[str, Any]) -> None:
    """The figures so far, after each phase: a long run stopped half way keeps what it measured."""
    (WORK / "figures.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))


def _progress_line(descriptor_url: str, env: dict[str, str]) -> str:
    """What the terminal shows once the download is under way (then stopped): the first progress
    line naming a pli, waited for up to a minute (a loaded machine takes seconds to fetch and
    check a 3 MB descriptor)."""
    dest = WORK / "progress"
    shutil.rmtree(dest, ignore_errors=True)
    home = WORK / "home-progress"
    shutil.rmtree(home, ignore_errors=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "download", descriptor_url, "--dest", str(dest)],
        env={**env, "ASSISTANT_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + 60
    found = ""
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and proc.poll() is None:
        seen = (seen + (proc.stdout.read() or b""))[-4096:]
        lines = [line.strip() for line in seen.decode(errors="replace").replace("\r", "\n").splitlines()]
        named = [line for line in lines if "pli " in line and "sur" in line]
        if len(named) >= 2:  # the second one is complete
            found = named[-2]
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    shutil.rmtree(dest, ignore_errors=True)
    return found or seen.decode(errors="replace")[-300:]


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, ensure_ascii=False))
