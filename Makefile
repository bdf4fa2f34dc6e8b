# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup run test lint typecheck bench clean screenshots

setup:
	@bash installers/dev/setup.sh

## Run the assistant on embedded defaults: demo platform + software key store, tray UI.
run: setup
	$(PY) -m assistant run --demo

## Install everything the tests need (Debian + Python packages, idempotent), lint, type-check, test.
test: setup
	$(VENV)/bin/ruff check assistant tests bench
	$(VENV)/bin/mypy
	bash tests/run.sh $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check assistant tests bench

typecheck: setup
	$(VENV)/bin/mypy

## Every screen of the window in French and English, under Xvfb, into docs/screenshots/.
screenshots: setup
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x1024x24" $(PY) tools/make_screenshots.py

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
