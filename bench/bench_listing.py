"""Listing every store: the inventory against the reference tools, and the `--version` path.

Stores: a SoftHSM2 token (3 key pairs), a real NSS database (3 key pairs, made by pk12util) and a
.p12 file, plus what p11-kit's registry declares on this machine (autodiscovery stays on, as for a
user). Measured:

* `list_certificates()` in-process: cold (first call in a fresh interpreter: module loading and
  C_Initialize included) and warm (median of repeated calls);
* `assistant certs --json` as a process (wall time, median);
* the reference: `pkcs11-tool --list-objects` on the token + `certutil -L` on the database, run
  one after the other (wall time, median) — what an administrator would type;
* `assistant --version` against `python -c pass`.

Targets: listing < 300 ms, `--version` < 150 ms.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def _median_wall(cmd: list[str], env: dict[str, str], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _median_pair(cmds: list[list[str]], env: dict[str, str], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for cmd in cmds:
            subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


_IN_PROCESS = """
import json, statistics, sys, time
t0 = time.perf_counter()
from assistant.keystores.inventory import list_certificates
inv = list_certificates()
cold = time.perf_counter() - t0
warm = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter()
    list_certificates()
    warm.append(time.perf_counter() - t)
print(json.dumps({"cold": cold, "warm": statistics.median(warm), "entries": len(inv.entries),
                  "warnings": [w.code for w in inv.warnings]}))
"""


def main() -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from tests import pki as pki_mod

    work = Path(tempfile.mkdtemp(prefix="bench-listing-"))
    try:
        pki = pki_mod.make_pki(work / "pki")
        token = pki_mod.make_softhsm(work / "softhsm")
        for item, oid in ((pki.signer, "01"), (pki.signer_ec, "02"), (pki.encryption, "03")):
            pki_mod.import_into_softhsm(token, item, oid)
        nss = pki_mod.make_nss_db(work / "nssdb", [pki.signer, pki.signer_ec, pki.encryption], trust_anchor=pki.root)
        p12 = work / "auth.p12"
        pki_mod.run(
            [
                "openssl",
                "pkcs12",
                "-export",
                "-inkey",
                str(pki.auth_only.files["key"]),
                "-in",
                str(pki.auth_only.files["cert"]),
                "-certpbe",
                "NONE",
                "-out",
                str(p12),
                "-passout",
                f"pass:{pki_mod.P12_PASSWORD}",
            ]
        )
        home = work / "home"
        env = {**os.environ, "ASSISTANT_HOME": str(home), "SOFTHSM2_CONF": str(token.conf), "PYTHONPATH": str(ROOT)}
        os.environ.update({"ASSISTANT_HOME": str(home), "SOFTHSM2_CONF": str(token.conf)})
        from assistant.settings import Settings

        (home / "config").mkdir(parents=True, exist_ok=True)
        Settings(pkcs11_modules=[token.module], nss_databases=[str(nss.directory)], pkcs12_files=[str(p12)]).save()

        python = sys.executable
        import json

        # An installed assistant runs from bytecode (pip and PyInstaller compile it). This machine
        # sets PYTHONDONTWRITEBYTECODE, which would recompile every module at each start: measure
        # both, the bytecode cache kept in the bench's own folder (never in the working tree).
        no_cache_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        subprocess.run([python, "-m", "assistant", "certs", "--json"], env=env, capture_output=True, check=True)

        inproc = json.loads(
            subprocess.run(
                [python, "-c", _IN_PROCESS, str(RUNS)], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        ours_process = _median_wall([python, "-m", "assistant", "certs", "--json"], env)
        ours_process_no_bytecode = _median_wall([python, "-m", "assistant", "certs", "--json"], no_cache_env)
        reference = _median_pair(
            [
                ["pkcs11-tool", "--module", token.module, "--token-label", token.label, "--list-objects"],
                ["certutil", "-L", "-d", nss.spec],
            ],
            env,
        )
        version = _median_wall([python, "-m", "assistant", "--version"], env, runs=11)
        script = shutil.which("assistant", path=str(Path(python).parent))
        version_script = _median_wall([script, "--version"], env, runs=11) if script else None
        bare = _median_wall([python, "-c", "pass"], env, runs=11)
        return {
            "entries": inproc["entries"],
            "warnings": inproc["warnings"],
            "list_in_process_cold_ms": _ms(inproc["cold"]),
            "list_in_process_warm_ms": _ms(inproc["warm"]),
            "assistant_certs_json_process_ms": _ms(ours_process),
            "assistant_certs_json_process_without_bytecode_cache_ms": _ms(ours_process_no_bytecode),
            "reference_pkcs11tool_plus_certutil_ms": _ms(reference),
            "ratio_process_vs_reference": round(ours_process / reference, 2),
            "ratio_in_process_cold_vs_reference": round(inproc["cold"] / reference, 2),
            "version_python_m_assistant_ms": _ms(version),
            "version_console_script_ms": _ms(version_script) if version_script else None,
            "python_c_pass_ms": _ms(bare),
            "version_overhead_ms": _ms(version - bare),
            "target_listing_ms": 300,
            "target_version_ms": 150,
            "listing_target_met": ours_process < 0.300,
            "version_target_met": version < 0.150,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
