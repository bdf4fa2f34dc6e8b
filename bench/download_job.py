"""One download job in an engine started beforehand; prints the job's wall and CPU seconds (start-up
excluded; CPU = this process's user + system time during the job, all threads).

    python -m bench.download_job DESCRIPTOR.json DEST CA_OR_EMPTY CONNECTIONS

Used by bench/compare_download.py to time the running assistant's path for whichever `assistant`
package PYTHONPATH names first.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(descriptor_file: str, dest: str, ca: str, connections: int) -> tuple[float, float]:
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.interaction import HeadlessInteraction
    from assistant.jobs.model import JobState
    from assistant.settings import Settings

    settings = Settings(platform_ca_files=[ca] if ca else [])
    engine = JobEngine(interaction=HeadlessInteraction(), workers=1, loopback_http=True, settings=settings)
    try:
        descriptor = json.loads(Path(descriptor_file).read_text())
        descriptor["params"]["destination"] = dest
        descriptor["params"]["connections"] = connections
        start, cpu = time.perf_counter(), _cpu()
        job = engine.submit(descriptor, "local")
        final = engine.wait(job.id)
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
        assert final is not None and final.state is JobState.SUCCEEDED, final.error if final else None
        return elapsed, cpu
    finally:
        engine.shutdown(wait=True)


if __name__ == "__main__":
    print(*main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
