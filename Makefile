# The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test bench postgres-server clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable '.[test,postgres]'
	@touch $(STAMP)

## Open the desktop app on the default database (a demo caseload on first run).
run: $(STAMP)
	$(VENV)/bin/pao-clinic

## The whole suite, on SQLite and on a throwaway PostgreSQL server the tests start.
test: $(STAMP) postgres-server
	$(PY) -m pytest

## Speed and memory at clinic scale (never part of `make test`).
bench: $(STAMP)
	$(PY) -m bench

## The tests start their own PostgreSQL server; this makes sure its programs are installed.
postgres-server:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing the PostgreSQL server for the tests (Debian package postgresql)"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "note: no PostgreSQL server programs found; PostgreSQL tests will be skipped (install the 'postgresql' package)"; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
