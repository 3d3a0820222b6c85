# Custos: the two commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint format ci vendor bench-upload bench-package bench bench-seed bench-scale messages

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

install: $(STAMP)

## run: the embedded default (or DATABASE_URL / CELERY_BROKER_URL): web server and workers
run: install
	@bash scripts/run.sh

## test: the whole suite, on TEST_WORKERS parallel workers (pytest-xdist; 0 runs it in this
## process), then the slowest 20 tests. Each worker has its own test database, var directory
## and Redis database (tests/workers.py).
TEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=20

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/mypy .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

ci:
	bash .ci/run

## messages: refresh locale/<lang>/LC_MESSAGES/django.po from the source, then compile the .mo
## files (committed, so that a fresh clone and the image need no gettext). tests/test_translations.py
## fails when a catalogue is out of date, incomplete, fuzzy or not compiled.
MESSAGE_LANGUAGES := es fr ar
MAKEMESSAGES_FLAGS := --no-obsolete --ignore=.venv --ignore=var --ignore=static/vendor --ignore=node_modules --ignore=tests --ignore=bench
messages: install
	$(PY) manage.py makemessages $(addprefix -l ,$(MESSAGE_LANGUAGES)) $(MAKEMESSAGES_FLAGS)
	$(PY) manage.py compilemessages $(addprefix -l ,$(MESSAGE_LANGUAGES)) --ignore=.venv --ignore=var --ignore=node_modules

## vendor: re-vendor the front-end assets from the npm registry (only to upgrade them)
vendor:
	bash scripts/vendor_static.sh

## bench-upload: 1 GiB evidence upload through gunicorn vs hashlib.sha256 (see bench/README.md)
bench-upload: install
	$(PY) bench/upload.py $(BENCH_ARGS)

# The scale benchmarks run over a PostgreSQL database filled by `bench-seed` (docs/benchmarks.md).
BENCH_DATABASE_URL ?= $(DATABASE_URL)
BENCH_CASES ?= 100000

## bench-seed: migrate BENCH_DATABASE_URL (an empty PostgreSQL database) and add BENCH_CASES cases
bench-seed: install
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) manage.py migrate --no-input
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) manage.py seed_scale --cases $(BENCH_CASES)

## bench-scale: latency, load and chain verification over the seeded BENCH_DATABASE_URL
bench-scale: install
	$(PY) bench/latency.py --database-url "$(BENCH_DATABASE_URL)"
	$(PY) bench/load.py --database-url "$(BENCH_DATABASE_URL)"
	$(PY) bench/verify_chain.py --database-url "$(BENCH_DATABASE_URL)"

## bench-package: a package of 2,000 items and 10,000 custody events, Custos's pipeline vs one
## plain WeasyPrint call (BENCH_PACKAGE_DATABASE_URL, or SQLite in a temporary folder)
bench-package: install
	DATABASE_URL="$(BENCH_PACKAGE_DATABASE_URL)" $(PY) bench/package.py

## bench: every benchmark (bench/README.md); the scale ones need a seeded BENCH_DATABASE_URL
bench: bench-upload bench-package bench-scale
