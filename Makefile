# The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-clock bench bytecode postgres-server desktop-libraries faketime clean

# The build tools are installed first and used as they are (--no-build-isolation), so an
# install or a wheel build never fetches setuptools again.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip 'setuptools>=77' wheel
	$(PY) -m pip install --quiet --no-build-isolation --editable '.[test,postgres]'
	@touch $(STAMP)

## Open the desktop app on the default database (a demo caseload on first run).
run: $(STAMP) desktop-libraries bytecode
	$(VENV)/bin/pao-clinic

## The app's modules compiled ahead, as an installed package has them (an editable install does
## not, and with PYTHONDONTWRITEBYTECODE set every start would compile them again); quick when current.
## (`python -m bench` compiles its own first: bench.__main__.compiled_like_an_installed_app.)
bytecode: $(STAMP)
	@$(PY) -m compileall -q pao_clinic ui >/dev/null

## A real window needs a screen and Qt's X11 libraries: checked (and installed as root) first.
desktop-libraries: $(STAMP)
	@bash scripts/desktop-libraries.sh $(VENV)

## The whole suite, on SQLite and on a throwaway PostgreSQL server the tests start.
test: $(STAMP) postgres-server
	$(PY) -m pytest

## The suite with the clock moved 1 and 8 years ahead (Debian's faketime), SQLite only:
## no test may depend on the day it runs.
test-clock: $(STAMP) faketime
	PAO_CLINIC_TEST_BACKENDS=sqlite faketime -f '+400d' $(PY) -m pytest -p no:cacheprovider -q
	PAO_CLINIC_TEST_BACKENDS=sqlite faketime -f '+2922d' $(PY) -m pytest -p no:cacheprovider -q

faketime:
	@if command -v faketime >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing faketime (Debian package faketime)"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
	else \
		echo "make test-clock needs faketime: sudo apt-get install faketime" >&2; exit 1; \
	fi

## Speed and memory at clinic scale (never part of `make test`).
bench: $(STAMP)
	$(PY) -m bench $(if $(QUICK),--quick)

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
