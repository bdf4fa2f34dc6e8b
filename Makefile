# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup run test lint typecheck bench clean screenshots package bundle release

setup:
	@bash installers/dev/setup.sh

## Run the assistant on embedded defaults: demo platform + software key store, tray UI.
run: setup
	$(PY) -m assistant run --demo

## Install everything the tests need (Debian + Python packages, idempotent), lint, type-check, test.
test: setup
	$(VENV)/bin/ruff check assistant tests bench installers
	$(VENV)/bin/ruff format --check assistant tests bench installers build.spec
	$(VENV)/bin/mypy
	bash tests/run.sh $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check assistant tests bench installers
	$(VENV)/bin/ruff format --check assistant tests bench installers build.spec

typecheck: setup
	$(VENV)/bin/mypy

## Every screen of the window in French and English, under Xvfb, into docs/screenshots/.
screenshots: setup
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x1024x24" $(PY) -m tests.screenshots

bench: setup
	$(PY) -m bench

## The lean one-folder bundle (PyInstaller, build.spec) -> dist/assistant-marches-publics/
bundle: setup
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build build.spec

## Linux artefacts: per-user archive (install.sh --user), .deb for IT, contents listing -> dist/
package: bundle
	$(PY) installers/package.py --bundle dist/assistant-marches-publics --out dist

## Sign the version just built into the TUF repository (demo keys made locally on first use;
## the demo platform of `make run` serves it at <demo>/tuf/). MIN_VERSION=X.Y.Z makes older
## assistants refuse remote jobs until updated.
release: setup
	$(PY) installers/release.py init
	ASSISTANT_TUF_ROOT=build/update/root.json $(MAKE) package
	$(PY) installers/release.py publish --archive "$$(ls -t dist/assistant-marches-publics-*-linux-x86_64.tar.xz | head -1)" $(if $(MIN_VERSION),--min-version $(MIN_VERSION))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
