# Fresh machine to working fazhi: `make example` tags a bundled report,
# `make test` runs the suite. Both build .venv/ first when it is missing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
FAZHI  := $(VENV)/bin/fazhi
STAMP  := $(VENV)/.fazhi-installed
EXAMPLE ?= data/reports/written/written_a03.txt

.PHONY: venv example test test-fast baseline evaluate check clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU build on this disk; any other torch version pulls several GB of CUDA
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

example: $(STAMP)
	$(FAZHI) tag $(EXAMPLE) --summary md --summary-output /dev/stdout --output /dev/null
	$(FAZHI) tag $(EXAMPLE) 2>/dev/null | head -n 5

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

check: $(STAMP)
	$(FAZHI) data check

baseline: $(STAMP)
	$(FAZHI) train --model baseline --output model/baseline
	$(FAZHI) evaluate model/baseline

clean-venv:
	rm -rf $(VENV)
