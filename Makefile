# The two commands of the README:
#   make lab    set everything up, bring the lab up, and say how to open the notebooks
#   make test   set everything up and run every test (unit, integration, notebooks) on the local
#               runtime, on two workers with a lab each, while the docker stage is prepared beside
#               them; then the docker runtime for real (scripts/test.sh, scripts/test-docker.sh: as
#               root, or with an engine that answers; otherwise it says it was not tested)
#   make test-docker   only the docker stage, required (BOLETIA_TEST_DOCKER=yes)
#   make book   the course as a static site in build/book/html (the lessons' stored outputs, docs/)
# .venv, or the active conda environment when it has this checkout's package (environment.yml)
VENV ?= $(shell scripts/bootstrap.sh --print-env)
BIN := $(VENV)/bin

.PHONY: lab test test-docker setup down lint unit integration benchmark book clean

setup:
	@scripts/bootstrap.sh

lab: setup
	$(BIN)/boletia lab up
	@echo
	@echo "Lab is up. Open the notebooks with:  $(BIN)/boletia notebooks"
	@echo "Stop it with:                        $(BIN)/boletia lab down"

# the reference outputs and the tests' expected messages are the English edition's, whatever the locale
test: export BOLETIA_LANG = en
# credentials are on by default; asked for explicitly here, a lab that came up without them fails
test: export BOLETIA_AUTH = 1
test: setup
	$(BIN)/ruff check boletia tests benchmarks
	$(BIN)/lint-imports
	VENV=$(VENV) scripts/test.sh

test-docker: setup
	VENV=$(VENV) BOLETIA_TEST_DOCKER=yes scripts/test-docker.sh

lint: setup
	$(BIN)/ruff check boletia tests benchmarks
	$(BIN)/lint-imports

unit: setup
	$(BIN)/python -m pytest -ra tests/unit

integration: setup
	$(BIN)/python -m pytest -ra tests/integration

down:
	$(BIN)/boletia lab down

book: setup
	$(BIN)/boletia book

benchmark: setup
	$(BIN)/python benchmarks/lab_up.py

clean: down
	rm -rf .lab lab-infra/target
