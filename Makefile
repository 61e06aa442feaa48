# The two commands of the README:
#   make lab    set everything up, bring the lab up, and say how to open the notebooks
#   make test   set everything up and run every test (unit, integration, notebooks) on the local runtime
#   make test-docker   the docker runtime for real: engine (as root), images, compose lab, its tests
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: lab test test-docker setup down lint unit integration benchmark clean

setup:
	@scripts/bootstrap.sh

lab: setup
	$(BIN)/boletia lab up
	@echo
	@echo "Lab is up. Open the notebooks with:  $(BIN)/boletia notebooks"
	@echo "Stop it with:                        $(BIN)/boletia lab down"

test: setup
	$(BIN)/ruff check boletia tests benchmarks
	$(BIN)/python -m pytest -ra --durations=25 -m "not docker"

test-docker: setup
	scripts/docker-engine.sh --base
	$(BIN)/boletia lab images
	$(BIN)/python -m pytest -ra --durations=10 tests/docker

lint: setup
	$(BIN)/ruff check boletia tests benchmarks

unit: setup
	$(BIN)/python -m pytest -ra tests/unit

integration: setup
	$(BIN)/python -m pytest -ra tests/integration

down:
	$(BIN)/boletia lab down

benchmark: setup
	$(BIN)/python benchmarks/lab_up.py

clean: down
	rm -rf .lab lab-infra/target
