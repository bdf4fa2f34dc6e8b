"""Which runner does each job type: one explicit table (the engine reads it; "go to definition"
follows every entry). Each entry names the parameters' class its runner takes."""

from __future__ import annotations

from typing import Any

from assistant.jobs.context import RunnerEntry
from assistant.jobs.model import JOB_KINDS, JobType, check_complete
from assistant.jobs.params import (
    DecryptParams,
    DiagnoseParams,
    DownloadParams,
    KeygenParams,
    OpenParams,
    PrepareParams,
    SignParams,
    VerifyParams,
)
from assistant.jobs.runners import decrypt, diagnose, download, keygen, prepare, sign, verify
from assistant.jobs.runners import open as open_online

__all__ = ["RUNNERS"]

RUNNERS: dict[JobType, RunnerEntry[Any]] = {
    JobType.SIGN: RunnerEntry(SignParams, sign.run),
    JobType.VERIFY: RunnerEntry(VerifyParams, verify.run),
    JobType.KEYGEN: RunnerEntry(KeygenParams, keygen.run),
    JobType.DOWNLOAD: RunnerEntry(DownloadParams, download.run),
    JobType.OPEN: RunnerEntry(OpenParams, open_online.run),
    JobType.DECRYPT: RunnerEntry(DecryptParams, decrypt.run),
    JobType.DIAGNOSE: RunnerEntry(DiagnoseParams, diagnose.run),
    JobType.PREPARE: RunnerEntry(PrepareParams, prepare.run),
}
check_complete(RUNNERS, "jobs.registry.RUNNERS")
for _type, _entry in RUNNERS.items():  # the runner takes the parameters the descriptor makes
    if _entry.params is not JOB_KINDS[_type].params:
        raise RuntimeError(
            f"jobs.registry.RUNNERS: {_type} takes {_entry.params.__name__}, not {JOB_KINDS[_type].params.__name__}"
        )
