# Every target runs with the project's Node (>= 24), put in .tools by `make setup`.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/node_modules/.bin:$(PATH)
BENCH ?=

.PHONY: setup test lint format gen gen-check bench images nightly chaos-smoke
.DEFAULT_GOAL := help

help:
	@echo "make lab up | make lab status | make lab down | make test | make lint | make bench [BENCH=name] | make gen"

# Node 24 and npm packages; the Iroh binding (cargo); the real Blixard at its pinned commit (cargo, cached
# by commit outside the clone: a cold build is 15-25 min on 2 cores, then nothing; SKIP_BLIXARD=1 skips
# it); the Toxiproxy server (go install); Porcupine (go build, for bench/checker); a running Docker
# engine; Debian's Chromium (the run report's browser test).
setup:
	@scripts/setup.sh
	@scripts/setup-native.sh
	@$(if $(SKIP_BLIXARD),true,scripts/setup-blixard.sh >/dev/null)
	@scripts/setup-toxiproxy.sh
	@scripts/setup-porcupine.sh
	@scripts/setup-docker.sh
	@scripts/setup-chromium.sh

test: setup lint gen-check
	vitest run

lint: setup
	biome check .
	tsc -p tsconfig.json

format: setup
	biome check --write .

gen: setup
	buf generate proto --template proto/buf.gen.yaml

# Fails when node/gen/ is not what `make gen` would write from proto/.
gen-check: setup
	@scripts/gen-check.sh

# The chaos matrix: every incident × NIGHTLY_SEEDS seeds on docker within NIGHTLY_BUDGET (runs/nightly-<date>/).
NIGHTLY_BUDGET ?= 60m
NIGHTLY_SEEDS ?= 3
nightly: setup
	node cli/lab.ts nightly --budget $(NIGHTLY_BUDGET) --seeds $(NIGHTLY_SEEDS)

# A short subset of it (one incident, one seed, at most 5 minutes); `make test` runs it as a test.
chaos-smoke: setup
	node cli/lab.ts nightly --budget 5m --seeds 1 --only leader-isolated --out runs/chaos-smoke

bench: setup
	@scripts/setup-etcd.sh
	@scripts/setup-ghz.sh
	@scripts/bench.sh $(BENCH)

# The lab's images, built offline and cached by input hash (IMAGES="node hub" for some).
IMAGES ?= all
images: setup
	node images/build.ts $(IMAGES)

include lab/Makefile.inc
