# NSSF benefits assistant: `make run` starts everything, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

-include .env
export

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Training is repeatable on one machine (the same inputs give the same model, bit for bit, whatever
# the number of threads: tests/test_training_reproducible.py), but not across CPUs: the float
# kernels round differently on each instruction set, and the same data has given models 3.4 points
# apart in romanized intent accuracy (docs/benchmarks.md, "Training noise"). oneDNN's kernels, which
# pick their code path by the CPU, are off for training, the eval and the served model alike.
export TF_ENABLE_ONEDNN_OPTS := 0
# Rasa's training cache does not know that setting: a cache of its own, never a oneDNN-trained part
export RASA_CACHE_DIRECTORY := .rasa/cache-onednn-$(TF_ENABLE_ONEDNN_OPTS)
ACTION_PORT ?= 5055
RASA_PORT ?= 5005
WEB_PORT ?= 8000
ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTION_PORT)/webhook
TRACKER_DB_URL ?= sqlite:///$(CURDIR)/var/tracker.db
RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
export ACTION_PORT RASA_PORT WEB_PORT ACTION_ENDPOINT_URL TRACKER_DB_URL RASA_URL

TRAINING_DATA := data/nlu data/rules data/stories
# The model's name is a hash of everything it is trained from: retrain only when that changes.
# The tokenizer reads only the part of a message that decides its topic (bot/answerability/focus.py,
# with the words of data/lexicon/focus.yml and topics.yml) and gives romanized Khmer one spelling
# (data/lexicon/romanized.yml): those are inputs too.
FOCUS_INPUTS := bot/answerability/focus.py bot/answerability/terms.py bot/answerability/lexicon.py \
  bot/language.py bot/lexicon_files.py \
  data/lexicon/focus.yml data/lexicon/topics.yml data/lexicon/romanized.yml
MODEL_INPUTS = config.yml domain.yml $(shell find $(TRAINING_DATA) bot/nlu -type f \( -name '*.yml' -o -name '*.py' \) | sort) $(FOCUS_INPUTS) requirements.in
# the kernels' setting is an input too: a model trained with oneDNN is another model
MODEL_HASH = $(shell (cat $(MODEL_INPUTS); echo TF_ENABLE_ONEDNN_OPTS=$(TF_ENABLE_ONEDNN_OPTS)) | sha256sum | cut -c1-12)
MODEL = models/nssf-$(MODEL_HASH).tar.gz
# Input channels: REST plus Messenger/Telegram when their secrets are set (make credentials).
CREDENTIALS := var/credentials.yml

.PHONY: help venv train run chat test lint unit validate story-test eval eval-check format clean
.PHONY: credentials messenger-setup telegram-setup
.PHONY: migrate staff-password faults

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

venv: ## create .venv with Python 3.10 and install the pinned requirements
	@scripts/bootstrap.sh

$(MODEL):
	@mkdir -p models var
	$(RASA) train --config config.yml --domain domain.yml --data $(TRAINING_DATA) \
	  --out models --fixed-model-name nssf-$(MODEL_HASH)

train: venv ## train the model if its data, config or domain changed
	@$(MAKE) --no-print-directory $(MODEL)

run: train credentials ## start action server, Rasa server and web app on localhost (Ctrl-C stops)
	@MODEL=$(MODEL) CREDENTIALS=$(CREDENTIALS) scripts/run.sh

chat: train credentials ## chat with the bot in the terminal
	@mkdir -p var/log
	@$(RASA) run actions --actions actions --port $(ACTION_PORT) >var/log/actions.log 2>&1 & \
	  pid=$$!; trap "kill $$pid" EXIT; \
	  $(RASA) shell --model $(MODEL) --endpoints endpoints.yml --credentials $(CREDENTIALS)

credentials: venv ## write var/credentials.yml: REST + each channel whose secrets are set
	@$(PY) -m scripts.credentials --out $(CREDENTIALS)

messenger-setup: venv ## Messenger profile: Get Started, greeting (EN/KM), persistent menu
	$(PY) -m scripts.messenger_setup

telegram-setup: venv ## Telegram: setWebhook with the secret token, setMyCommands (EN/KM)
	$(PY) -m scripts.telegram_setup

lint: venv ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv ## format the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

unit: train ## unit and integration tests (pytest; integration tests use the trained model)
	@# PostgreSQL (gap store tests) and Chromium (dashboard browser test), installed when absent
	eval "$$(scripts/ci_services.sh)" && NSSF_MODEL=$(MODEL) $(PY) -m pytest

validate: venv ## rasa data validate (domain, NLU, rules, stories)
	$(RASA) data validate --domain domain.yml --data $(TRAINING_DATA) --fail-on-warnings

story-test: train ## conversation tests: tests/test_stories.yml must pass without a single error
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out var/results/stories

# Minimums: what the model reaches today less a margin for training noise, raised as it improves
# (docs/benchmarks.md); the targets are 90 % intent accuracy in every language and at most 3 %
# confidently wrong. 2026-12-02: questions no answer covers were relabelled not_covered in the
# training data, which halved confidently-wrong answers on the untouched files and cost some
# intent accuracy (Khmer NLU eval 84.8 → 81.3 %): minimums lowered for that, the
# confidently-wrong maximum tightened and romanized raised. 2026-12-03: one set of inputs trained
# with three kernel variants gave romanized 78.0 / 74.6 / 76.3 % (CPU-dependent rounding, not a
# data change): its minimum is the lowest of them less 1.6 points, so no CPU fails CI by rounding.
NLU_MIN_ACCURACY := 0.78
INTENT_MINIMUMS := en=0.88,km=0.84,mixed=0.84,romanized=0.73
MAX_CONFIDENTLY_WRONG := 0.06

eval-check: train ## eval sets: fails under each language's intent-accuracy minimum or over the confidently-wrong maximum
	$(PY) -m scripts.nlu_eval --model $(MODEL) --min-accuracy $(NLU_MIN_ACCURACY)
	$(PY) -m scripts.answer_eval --model $(MODEL) --max-confidently-wrong $(MAX_CONFIDENTLY_WRONG) \
	  --min-intent-accuracy $(INTENT_MINIMUMS)

eval: train ## eval sets: ours vs Rasa's stock pipeline, and the whole bot's replies (docs/benchmarks.md)
	$(PY) -m scripts.nlu_eval --model $(MODEL) --compare configs/stock.yml --write docs/benchmarks.md
	$(PY) -m scripts.answer_eval --model $(MODEL) --write docs/benchmarks.md

test: venv lint validate unit story-test eval-check ## everything CI runs

faults: train ## fault injection on a real stack: per fault, messages answered / apologised / lost, 5xx (docs/reliability.md)
	eval "$$(scripts/ci_services.sh)" && $(PY) -m scripts.faults --model $(MODEL) --write docs/reliability.md

migrate: venv ## gap store: apply the database migrations (DATABASE_URL) and replay the spool
	$(PY) -m bot.gaps migrate

staff-password: venv ## print a password hash for DASHBOARD_PASSWORD_HASH (asks for the password)
	@$(PY) -m bot.web.auth

clean: ## remove trained models, results and local data
	rm -rf models var/results
