# The two commands: `make run` serves the demo on SQLite, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run on PostgreSQL unless DATABASE_URL says otherwise (sqlite:///path works too).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/reflect
PYTEST_ARGS ?=
# Installs come from the lock files, every package pinned with its hashes.
PIP_INSTALL := $(BIN)/pip install --quiet --require-hashes --no-deps
# `make lock` regenerates the lock files from requirements*.txt with pip-tools.
COMPILE := PIP_CONFIG_FILE=/dev/null $(BIN)/pip-compile --quiet --generate-hashes --no-emit-index-url \
	--no-emit-find-links --strip-extras --allow-unsafe

# Development mode is asked for here, never assumed: settings default to production rules.
export DEBUG ?= 1

.PHONY: run test fuzz lint audit lock bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.lock | $(BIN)/python
	$(PIP_INSTALL) -r requirements.lock
	touch $@

$(VENV)/.installed-test: requirements.lock requirements-test.lock | $(BIN)/python
	$(PIP_INSTALL) -r requirements-test.lock
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
# The background worker (e-mail, reminders) runs beside the server and stops with it.
	$(BIN)/python manage.py worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-test
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { echo "Browser tests need Debian's chromium: apt-get install -y chromium"; exit 1; }
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" $(BIN)/python -m pytest $(PYTEST_ARGS)

# The fuzzers alone, with a budget fit for a long run (make test runs them with a small one).
FUZZ_EXAMPLES ?= 2000
fuzz: $(VENV)/.installed-test
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(BIN)/python -m pytest -m fuzz $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

# Known vulnerabilities in any pinned package fail the audit.
audit: $(VENV)/.installed-test
	bash .ci/audit

lock: | $(BIN)/python
	$(BIN)/pip install --quiet "pip-tools>=7.4,<8"
	$(COMPILE) -o requirements.lock requirements.txt
	$(COMPILE) -o requirements-test.lock requirements-test.txt

bench: $(VENV)/.installed-test
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) staticfiles test-artifacts
