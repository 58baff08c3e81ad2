# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create the virtual environment .venv and install the project into it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# The offline MNIST copy beside the checkout, unless MNIST_DIR is already set.
ifeq ($(origin MNIST_DIR), undefined)
ifneq ($(wildcard ../shared/datasets/mnist/train-images-idx3-ubyte.gz),)
export MNIST_DIR := $(abspath ../shared/datasets/mnist)
endif
endif

.PHONY: demo test lint bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m graphgrad demo --out out

lint: $(STAMP)
	$(PY) -m ruff check .

test: $(STAMP) lint
	$(PY) -m pytest

# Peers (micrograd, DeZero, optionally PyTorch) go into .venv for the benchmarks only; a missing
# one becomes a "not installed" row. `make bench BENCH_ARGS=--quick` for a one-minute smoke run.
bench: $(STAMP)
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt \
		|| echo "bench: could not install benchmarks/requirements.txt; those rows are skipped"
	$(PY) -m pip install --quiet torch==2.13.0 \
		|| echo "bench: PyTorch not installed; its rows are skipped"
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
