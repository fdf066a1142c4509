# AnomSynth: `make run` runs the main job, `make test` the test suite. Both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := run

DEB_PACKAGES := libarchive-dev zlib1g-dev libxgboost-dev libzstd-dev liblzma-dev pkg-config zstd gzip
PYTHON_TEST_PACKAGES := numpy safetensors jsonschema zstandard
VENV := .venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release/anomsynth
SLURM_DIR := $(CURDIR)/.build/slurm

FUZZ_SECONDS ?= 300

.PHONY: setup build test run bench schema fuzz clean

## setup: install the Debian packages and the test venv, only what is missing
setup:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "setup: installing$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@if ! $(VENV)/bin/python -c "import numpy, safetensors, jsonschema, zstandard" 2>/dev/null; then \
		echo "setup: creating $(VENV) with $(PYTHON_TEST_PACKAGES)"; \
		python3 -m venv $(VENV) && $(VENV)/bin/pip install -q $(PYTHON_TEST_PACKAGES); \
	fi

## build: release build of the anomsynth executable
build: setup
	swift build -c release

## test: the whole test suite (debug build; the executable too, for the tests that run it) beside a
## single-node Slurm cluster started for it and stopped after, then the default pipeline from a
## release build with an empty cache (faults that only optimized code shows), the golden pipeline's
## bytes from the release build, and every fuzz target for 10 seconds
test: setup
	swift build --build-tests
	scripts/slurm-cluster.sh start $(SLURM_DIR)
	SLURM_CONF=$(SLURM_DIR)/slurm.conf ANOMSYNTH_PYTHON=$(CURDIR)/$(VENV)/bin/python swift test --skip-build --disable-swift-testing; \
		status=$$?; scripts/slurm-cluster.sh stop $(SLURM_DIR); exit $$status
	swift build -c release
	rm -rf .build/release-smoke
	$(RELEASE_BIN) run pipelines/default.json --out .build/release-smoke/runs --cache-dir .build/release-smoke/cache --quiet
	$(RELEASE_BIN) run Tests/Fixtures/golden/pipeline.json --out .build/release-smoke/runs --cache-dir .build/release-smoke/cache --quiet
	cd .build/release-smoke/runs/golden && sha256sum -c $(CURDIR)/Tests/Fixtures/golden/golden.sha256
	scripts/fuzz.sh 10

## fuzz: every fuzz target for FUZZ_SECONDS seconds each (default 300), keeping what it learns in .build-fuzz/corpus
fuzz: setup
	scripts/fuzz.sh $(FUZZ_SECONDS)

## run: the main job: the default pipeline on the shipped yeast data (a second run comes from the cache)
run: build
	$(RELEASE_BIN) run pipelines/default.json

## bench: AnomSynth's figures beside its peers' (PyTorch, pandas, tar, DVC, scikit-learn), measured in the same run
bench: build
	python3 scripts/bench.py --anomsynth $(RELEASE_BIN)

## schema: regenerate schemas/pipeline.schema.json and the stage reference in docs/stages.md after changing a stage's parameters
schema: build
	python3 scripts/regenerate_reference.py $(RELEASE_BIN)

clean:
	rm -rf .build
