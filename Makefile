# Two commands: `make run` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
POPULATION ?= 1000000

.PHONY: run test lint bench docs clean

$(BIN)/scsim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: $(BIN)/scsim
	$(BIN)/pip install -q -e '.[dev,mesa]'
	touch $@

# make run: simulate the default scenario (progress on stderr), summarise it, write its report.
run: $(BIN)/scsim
	@dir=$$($(BIN)/scsim run national-documented --population $(POPULATION) --quiet --progress bar) && \
	  $(BIN)/scsim show "$$dir" && $(BIN)/scsim report "$$dir"

test: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/pytest

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/vs_mesa.py
	$(BIN)/python benchmarks/scale.py

# make docs: regenerate docs/scenario-reference.md from the schema, the mechanisms and the engine.
docs: $(BIN)/scsim
	$(BIN)/python -m scsim.docsgen.reference > docs/scenario-reference.md.tmp
	mv docs/scenario-reference.md.tmp docs/scenario-reference.md

clean:
	rm -rf $(VENV) runs build src/*.egg-info
