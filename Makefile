# Conveniences over the README's two commands; every target uses the project's own .venv.
PY := .venv/bin/python

.venv/bin/python:
	python3 -m venv .venv

install: .venv/bin/python
	.venv/bin/pip install -q -e ".[test,dev]"

test: install
	$(PY) -m pytest

lint: install
	.venv/bin/ruff check .
	.venv/bin/mypy

bench: install
	$(PY) benchmarks/bench_bus.py

.PHONY: install test lint bench
