# 一件事 One Thing — the two commands that matter: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup lint format bench clean

$(PY):
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required 需要 Python 3.11 或更高版本") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)
	$(PY) manage.py migrate --noinput
	DEPARTMENT_SERVICE_URL=$${DEPARTMENT_SERVICE_URL:-http://127.0.0.1:$${DEPARTMENT_PORT:-8702}} $(PY) manage.py load_demo

run: setup
	bin/run-all

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) bench/notice_bench.py
	$(PY) bench/form_bench.py

clean:
	rm -rf var/ $(VENV)
