"""`python -m assistant.i18n update|compile|check` (development and build time; needs Babel)."""

from __future__ import annotations

import sys

from assistant.i18n import tools


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        added, removed = tools.update("en")
        print(f"en: {added} new, {removed} removed -> {tools.catalogue_path('en')}")
        return 0
    if command == "compile":
        for path in tools.compile_all():
            print(f"compiled {path}")
        return 0
    if command == "check":
        found = list(tools.problems("en"))
        for line in found:
            print(line)
        return 1 if found else 0
    print("usage: python -m assistant.i18n update|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
