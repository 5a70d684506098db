# Fresh machine to working fazhi: `make example` tags a bundled report,
# `make test` runs the suite. Both build .venv/ first when it is missing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
FAZHI  := $(VENV)/bin/fazhi
STAMP  := $(VENV)/.fazhi-installed
EXAMPLE ?= data/reports/written/written_a03.txt

.PHONY: venv example test test-scale test-fast lint baseline model pretrained ablation serve bench bench-http bench-tag check clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU build on this disk; any other torch version pulls several GB of CUDA
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,pretrain]'
	touch $(STAMP)

venv: $(STAMP)

example: $(STAMP)
	$(FAZHI) tag $(EXAMPLE) --summary md --summary-output - --no-units
	$(FAZHI) tag $(EXAMPLE) 2>/dev/null | head -n 5

test: $(STAMP)
	$(PY) -m pytest -q

# The Ray engine's test (byte-identical output to the local engine) needs the 'scale'
# extra, about 250 MB, kept out of dev; `make test` skips it where Ray is missing.
test-scale: $(STAMP)
	$(PY) -m pip install --quiet -e '.[scale]'
	$(PY) -m pytest -q tests/test_engines.py

# Everything but the tests that start processes, a browser or a training run.
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

check: $(STAMP)
	$(FAZHI) data check

baseline: $(STAMP)
	$(FAZHI) train --model baseline --output model/baseline
	$(FAZHI) evaluate model/baseline

# The shipped BERT, rebuilt from the repository alone (about 5 minutes on 2 cores):
# a compact 2-layer, 256-wide character BERT fine-tuned from scratch, the
# ablation's pick (docs/ablation.md). `make model-pretrained` is the variant
# that first runs whole-word MLM pretraining (about 25 more minutes).
MODEL_ARGS = --layers 2 --hidden 256 --heads 4 --lr 5e-4 --epochs 15 --patience 4 --seed 13
model: $(STAMP)
	$(FAZHI) train $(MODEL_ARGS) --name fazhi-bert-2x256 --output model/bert

model-pretrained: $(STAMP)
	$(FAZHI) pretrain --layers 2 --hidden 256 --heads 4 --epochs 40 --output build/pretrained
	$(FAZHI) train --base-model build/pretrained --lr 3e-4 --epochs 15 --patience 4 --name fazhi-bert-2x256-pretrained --output build/bert-pretrained

ablation: $(STAMP)
	$(PY) -m fazhi.training.ablation

serve: $(STAMP)
	$(FAZHI) serve

bench: $(STAMP)
	$(PY) benchmarks/throughput.py

bench-http: $(STAMP)
	$(PY) benchmarks/http_load.py

bench-tag: $(STAMP)
	$(PY) benchmarks/tag_formats.py

clean-venv:
	rm -rf $(VENV)
