#!/usr/bin/env bash
# Idempotent development setup: Debian packages the tests use as real parts, then a
# virtual environment with the project and its dev extras. Safe to run on every `make test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="${ASSISTANT_VENV:-$root/.venv}"

mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$here/debian-packages.txt")
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then apt_get=(sudo apt-get); else apt_get=(); fi
    if ((${#apt_get[@]})); then
        echo "setup: installing Debian packages: ${missing[*]}"
        "${apt_get[@]}" update -q
        DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -q --no-install-recommends "${missing[@]}"
    else
        echo "setup: missing Debian packages; run:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

py="${PYTHON:-}"
if [ -z "$py" ]; then
    for cand in python3.11 python3.12 python3.13 python3; do
        if command -v "$cand" >/dev/null; then py=$cand; break; fi
    done
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv with $py"
    "$py" -m venv "$venv"
fi
stamp="$venv/.assistant-installed"
want=$(cat "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing Python packages into $venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e "$root[dev]"
    echo "$want" > "$stamp"
fi
# The translation catalogues stdlib gettext reads (assistant/i18n/locale/*/LC_MESSAGES/*.mo).
"$venv/bin/python" -m assistant.i18n compile >/dev/null
# npm packages of the tests (a third-party XAdES signer for the verification corpus).
if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
    else
        echo "setup: npm is missing; run: sudo apt-get install -y npm" >&2
        exit 1
    fi
fi
if [ -f "$root/tests/signing/js/package.json" ]; then
    if [ ! -d "$root/tests/signing/js/node_modules" ] || [ "$root/tests/signing/js/package-lock.json" -nt "$root/tests/signing/js/node_modules" ]; then
        echo "setup: installing npm packages of tests/signing/js"
        (cd "$root/tests/signing/js" && npm ci --no-audit --no-fund --silent && touch node_modules)
    fi
fi
