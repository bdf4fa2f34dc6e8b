"""A second Unix user on the machine (shared Windows servers, RDS/Citrix, are the same story): made
with useradd when missing (the tests run as root in CI), and commands run as that user with setpriv."""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass

from tests.pki import require_tool

NAME = "ampautre"


@dataclass(frozen=True)
class OtherUser:
    name: str
    uid: int
    gid: int

    def command(self, *argv: str) -> list[str]:
        """`argv` run as this user: its uid, gid, no supplementary groups, a clean environment."""
        setpriv = require_tool("setpriv")
        return [setpriv, f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--", *argv]

    def run(self, *argv: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/bin:/bin", "HOME": "/", "LANG": "C.UTF-8"}
        return subprocess.run(self.command(*argv), capture_output=True, text=True, timeout=timeout, env=env, cwd="/")

    def popen(self, *argv: str) -> subprocess.Popen[str]:
        env = {"PATH": "/usr/bin:/bin", "HOME": "/", "LANG": "C.UTF-8"}
        return subprocess.Popen(
            self.command(*argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd="/"
        )


def ensure_other_user() -> OtherUser:
    """The second user, created if needed. Not root and no such user: the test fails (never skips)."""
    try:
        entry = pwd.getpwnam(NAME)
    except KeyError:
        if os.geteuid() != 0:
            raise AssertionError(f"the user {NAME!r} is missing and only root can create it (useradd)") from None
        useradd = require_tool("useradd")
        subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NAME], check=True)
        entry = pwd.getpwnam(NAME)
    assert entry.pw_uid != os.getuid(), "the other user must not be the one running the tests"
    return OtherUser(NAME, entry.pw_uid, entry.pw_gid)
