# aegrade developer commands. `make help` lists them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help demo test test-all lint bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## grade the bundled example study and print its AE table
	$(BIN)/aegrade demo

test: $(STAMP)  ## run the test suite (fails loudly when no test is collected)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check aegrade tests benchmarks

bench: $(STAMP)  ## run the benchmarks (never part of the tests)
	$(BIN)/python benchmarks/bench_grade_labs.py
	$(BIN)/python benchmarks/bench_crs_icans.py
	$(BIN)/python benchmarks/bench_hematology.py
	$(BIN)/python benchmarks/bench_tables.py
	$(BIN)/python benchmarks/bench_io.py

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build *.egg-info
