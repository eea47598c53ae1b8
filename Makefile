# SPDX-License-Identifier: GPL-3.0-or-later
# `make run` and `make test` set everything up on a fresh Debian/Ubuntu machine with Python 3.11+.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .demo
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint bench demo clean i18n screenshots package package-test

QM := resources/i18n/bashgah_fa.qm resources/i18n/bashgah_en.qm

# Reinstalls when the dependencies or the system-deps script change.
$(STAMP): pyproject.toml scripts/install-system-deps
	scripts/install-system-deps base pcsc qt xvfb postgres browser pdf
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## run: the terminal on the embedded demo club (local SQLite in .demo/, no server needed)
run: $(STAMP) $(QM)
	$(BIN)/bashgah --data-dir $(DEMO_DIR) demo seed --if-empty
	$(BIN)/bashgah --data-dir $(DEMO_DIR) --reader demo

## demo: throw the demo club away and seed it again
demo: $(STAMP) $(QM)
	rm -rf $(DEMO_DIR)
	$(BIN)/bashgah --data-dir $(DEMO_DIR) demo seed

## test: lint, architecture contracts, the frozen bundle, then every test (CI=true makes missing components fail)
# One worker per core (TEST_WORKERS=0 runs them in this process); tests of the machine's one PC/SC stack
# all go to one worker (the xdist group "pcsc", tests/conftest.py).
TEST_WORKERS ?= auto
test: lint $(QM) package
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

## package: the terminal frozen (PyInstaller onedir) as a .tar.gz and a .deb, and the wheel, in dist/ (packaging/README.md)
package: $(STAMP) $(QM)
	scripts/install-system-deps package
	scripts/build-package

## package-test: build the bundle and run only its tests (tests/package/: run from the extracted tarball)
package-test: package
	$(BIN)/pytest tests/package

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

## bench: durable sale vs. bare SQLite insert, lookups among 1,000,000 members, card taps, the window, sync
bench: $(STAMP) $(QM)
	$(BIN)/python -m bench

## i18n: refresh i18n/*.ts from app/ui (then translate new Persian strings) and compile the .qm files
i18n: $(STAMP)
	scripts/i18n

# The compiled translations are build outputs (not committed), remade when a .ts changes.
$(QM) &: i18n/bashgah_fa.ts i18n/bashgah_en.ts $(STAMP)
	scripts/i18n --compile-only

## screenshots: the real screens under Xvfb and the back office in Chromium, in Persian and English, into docs/screenshots/
screenshots: $(STAMP) $(QM)
	scripts/install-system-deps xvfb
	xvfb-run -a -s "-screen 0 1280x800x24 -noreset" $(BIN)/python -m scripts.screenshots docs/screenshots
	$(BIN)/python -m scripts.backoffice_screenshots docs/screenshots
	$(BIN)/python -m scripts.portal_screenshots docs/screenshots

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache .hypothesis .bench *.egg-info build dist
	rm -f resources/i18n/*.qm
