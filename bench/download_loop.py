"""The platform client alone: one thread downloading every file of a descriptor, one after the
other, over one keep-alive connection; prints wall and CPU seconds (start-up excluded).

    python -m bench.download_loop DESCRIPTOR.json DEST

Used by bench/compare_download.py (set `loop`) to compare the per-request cost of two trees
without the engine, the journal or the fdatasyncs around it.
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


def main(descriptor_file: str, dest: str) -> tuple[float, float]:
    from assistant.platform.client import PlatformClient

    descriptor = json.loads(Path(descriptor_file).read_text())
    files = [
        f for c in descriptor["params"]["consultations"] for p in c["plis"] for e in p["envelopes"] for f in e["files"]
    ]
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    client = PlatformClient(descriptor["token"])
    try:
        start, cpu = time.perf_counter(), _cpu()
        for index, file in enumerate(files):
            client.download(file["url"], out / f"{index:05d}.bin", size=file["size"], sha256=file["sha256"])
        return time.perf_counter() - start, _cpu() - cpu
    finally:
        client.close()


if __name__ == "__main__":
    print(*main(sys.argv[1], sys.argv[2]))
