# Communs: `make demo` runs a demo instance, `make test` runs every check. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
PG_TESTS := $(if $(COMMUNS_TEST_POSTGRES),pytest-postgres,)

.PHONY: demo serve install install-dev test lint types imports django-checks pytest pytest-postgres bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.lock
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## demo: create .venv, migrate SQLite under var/, load the demo community, serve on $(PORT)
demo: install
	$(BIN)/communs migrate
	$(BIN)/communs demo
	PORT=$(PORT) $(BIN)/communs serve

serve: install
	PORT=$(PORT) $(BIN)/communs serve

## test: lint, types, import contracts, Django checks, the suite on SQLite (and PostgreSQL)
test: lint types imports django-checks pytest $(PG_TESTS)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: install-dev
	$(BIN)/mypy src

imports: install-dev
	$(BIN)/lint-imports

django-checks: install-dev
	DJANGO_SETTINGS_MODULE=communs.config.settings.test $(BIN)/django-admin makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=communs.config.settings.prod COMMUNS_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		COMMUNS_ALLOWED_HOSTS=communs.example DATABASE_URL=sqlite:///:memory: \
		$(BIN)/django-admin check --deploy --fail-level WARNING

pytest: install-dev
	$(BIN)/pytest

# Every database test again, on the PostgreSQL server named by COMMUNS_TEST_POSTGRES.
pytest-postgres: install-dev
	COMMUNS_TEST_DATABASE=$(COMMUNS_TEST_POSTGRES) $(BIN)/pytest --ignore=tests/domain

bench: install-dev
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/distribution.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/governance.py

## lock: re-resolve requirements*.lock from pyproject.toml (needs the network to PyPI)
lock:
	rm -rf $(VENV)/lock && $(PYTHON) -m venv $(VENV)/lock
	$(VENV)/lock/bin/pip install -q .
	$(VENV)/lock/bin/pip freeze --exclude communs --exclude pip > requirements.lock
	rm -rf $(VENV)/lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
