"""`make bench`: run every `bench/bench_*.py` (or only those named) and print their figures.

Each benchmark module has `main() -> dict[str, object]` that runs us and the reference tool on the
same input in one run and returns figures (times, throughputs, the ratio). Benchmarks are not
tests: they print and record, they do not assert.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or sorted(p.stem for p in here.glob("bench_*.py"))
    results: dict[str, object] = {}
    for name in names:
        module = importlib.import_module(f"bench.{name if name.startswith('bench_') else 'bench_' + name}")
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        figures = module.main()
        figures["_wall_seconds"] = round(time.perf_counter() - start, 2)
        results[name] = figures
        print(json.dumps(figures, indent=2, ensure_ascii=False), flush=True)
    out = here.parent / ".bench-data" / "results.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
