# Two entry points for newcomers: `make demo` and `make test` (both set up .venv first).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# metric cross-checks only; --no-deps because it caps numpy below what snakemake's SLURM plugin needs
	$(BIN)/pip install --quiet --no-deps pysodmetrics==1.6.2
	touch $@

demo: setup
	$(BIN)/snakemake --cores $(CORES) --configfile workflow/configs/demo.yaml

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint
	$(BIN)/snakemake --dry-run --quiet rules

test: lint
	$(BIN)/python -m pytest -q -rs

bench: setup
	$(BIN)/python bench/bench_flow.py --out bench/out/flow.md
	$(BIN)/python bench/bench_demo.py --out bench/out/demo.md

clean:
	rm -rf results .snakemake
