#!/usr/bin/env bash
# `make test` after the lint: the suite on two workers (pytest-xdist, a lab each; tests/conftest.py),
# with the docker stage's preparation (the engine and the images: minutes of downloads and builds on
# a fresh machine) running beside it, then the docker stage's tests on what it prepared. The
# preparation's output is printed after the suite's, whole; a failure of either fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
say() { echo "==> $*"; }
# the docker stage records the image set it built in a lab directory of its own: the suite's lab
# (.lab) is purged when the suite ends, which would take the record with it
docker_lab="$PWD/.lab-docker-stage"
prepared_log=$(mktemp)
trap 'rm -f "$prepared_log"' EXIT
started=$(date +%s)
# niced: the suite's two labs come first on the two cores; the builds take the rest
BOLETIA_LAB_DIR=$docker_lab VENV=${VENV:-.venv} nice -n 10 scripts/test-docker.sh prepare >"$prepared_log" 2>&1 &
preparing=$!
"$BIN/python" -m pytest -ra --durations=0 --durations-min=5 -m "not docker" -n 2 --dist loadfile --no-loadscope-reorder
suite=$?
suite_done=$(date +%s)
wait "$preparing"
prepared=$?
say "the docker stage's preparation, run beside the suite (exit $prepared):"
cat "$prepared_log"
say "the suite took $(( suite_done - started )) s (exit $suite)"
[ "$suite" = 0 ] || exit "$suite"
[ "$prepared" = 0 ] || exit "$prepared"
BOLETIA_LAB_DIR=$docker_lab VENV=${VENV:-.venv} scripts/test-docker.sh tests
