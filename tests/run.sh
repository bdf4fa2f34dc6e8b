#!/usr/bin/env bash
# Runs pytest under a virtual X server so that real windows can be shown and captured.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-xcb}"
if [ -z "${DISPLAY:-}" ]; then
    exec xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest "$@"
