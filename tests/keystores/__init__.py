"""Helpers shared by the key-store tests: PIN recorders, isolated tokens and subprocess runs.

SoftHSM2 reads its token directory once, when the module is initialised in a process, and a
module is initialised once per process. Tests that need a token of their own (a locked one, one
to import into, one to type wrong PINs at) therefore run their scenario in a child Python
process with its own SOFTHSM2_CONF; the session token stays untouched for everyone else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.keystores.base import PinRequest
from tests import pki

REPO = Path(__file__).resolve().parents[2]
SITE_PACKAGES = next((REPO / ".venv" / "lib").glob("python3*/site-packages"), None)


@dataclass
class PinRecorder:
    """A PinCallback that answers `answer` (None = the user cancels) and remembers each request."""

    answer: str | None
    requests: list[PinRequest] = field(default_factory=list)

    def __call__(self, request: PinRequest) -> str | None:
        self.requests.append(request)
        return self.answer


def clear_p12(item: pki.Issued, folder: Path, name: str | None = None) -> Path:
    """A .p12 whose certificates are not encrypted (`-certpbe NONE`), as some tools export them:
    its certificates can be listed without the password."""
    out = folder / f"{name or item.name}-clair.p12"
    pki.run(
        [
            "openssl",
            "pkcs12",
            "-export",
            "-inkey",
            str(item.files["key"]),
            "-in",
            str(item.files["cert"]),
            "-certfile",
            str(item.files["chain"]),
            "-certpbe",
            "NONE",
            "-name",
            item.name,
            "-out",
            str(out),
            "-passout",
            f"pass:{pki.P12_PASSWORD}",
        ]
    )
    return out


def lock_softhsm_token(token: pki.SoftHsmToken) -> None:
    """Mark the token's user PIN as locked, as a card does after too many wrong PINs.

    SoftHSM2 counts wrong PINs (CKF_USER_PIN_COUNT_LOW) but never locks; its token flags live in
    token.object as attribute CKA_OS_TOKENFLAGS (0x8000534B, an unsigned long, big-endian).
    """
    (token_file,) = (Path(token.conf).parent / "tokens").glob("*/token.object")
    data = bytearray(token_file.read_bytes())
    marker = (0x8000534B).to_bytes(8, "big") + (2).to_bytes(8, "big")
    at = data.index(marker) + len(marker)
    flags = int.from_bytes(data[at : at + 8], "big") | 0x40000  # CKF_USER_PIN_LOCKED
    data[at : at + 8] = flags.to_bytes(8, "big")
    token_file.write_bytes(bytes(data))


PRELUDE = """
import json, sys
from assistant.keystores.base import *
from assistant.keystores.pkcs11.modules import load_module
from assistant.keystores.pkcs11.backend import open_module_stores
asked = []
def recorder(answers):
    answers = list(answers)
    def callback(request):
        asked.append({"label": request.store_label, "kind": request.kind, "state": request.state.value,
                      "retry": request.retry, "reason": request.reason, "protected": request.protected_path})
        return answers.pop(0) if answers else None
    return callback
def error(exc):
    return {"error": type(exc).__name__, "code": exc.code, "fr": exc.message_fr, "en": exc.message_en}
out = {}
"""


def refused_os_import(os_module: str, setup: str) -> str:
    """Run `setup` in a fresh interpreter, check that it left `os_module` (an OS-call module such as
    `_win32`) unloaded, then import that module there: returns what was printed on its refusal."""
    code = (
        f"{setup}\n"
        "import sys\n"
        f"assert {os_module!r} not in sys.modules\n"
        "try:\n"
        f"    import {os_module}\n"
        "except ImportError as exc:\n"
        "    print('refused:', exc)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def run_python(
    code: str,
    *,
    env: dict[str, str] | None = None,
    python: str | None = None,
    user: str | None = None,
    cwd: Path | None = None,
) -> dict[str, Any]:
    """Run PRELUDE + `code` in a fresh interpreter; the code fills `out`, printed as JSON."""
    script = PRELUDE + textwrap.dedent(code) + "\nprint('@@' + json.dumps(out, default=str))\n"
    full_env = {k: v for k, v in os.environ.items() if k not in ("SOFTHSM2_CONF",)}
    path = [str(REPO)] + ([str(SITE_PACKAGES)] if python and SITE_PACKAGES else [])
    full_env.update({"PYTHONPATH": os.pathsep.join(path), **(env or {})})
    cmd = [python or sys.executable, "-c", script]
    if user is not None:
        pki.require_tool("setpriv")
        cmd = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=cwd or "/", timeout=120)
    lines = [line for line in result.stdout.splitlines() if line.startswith("@@")]
    if result.returncode != 0 or not lines:
        raise AssertionError(f"child failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return dict(json.loads(lines[-1][2:]))
