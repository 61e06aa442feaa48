#!/usr/bin/env bash
# The docker runtime for real, as the last stage of `make test` (and all of `make test-docker`):
# a Docker engine (scripts/docker-engine.sh: Debian's docker.io, dockerd on overlay2 or vfs,
# compose v2),
# the image set that applies (`boletia lab images`: official with Docker Hub, offline without),
# then tests/docker: the compose lab on shifted ports, its health, the contract, a kill and
# restart, the control room, a chaos scenario judged clean, notebooks 02 and 03, and a clean `down`.
#
# Its phases: `scripts/test-docker.sh [all|prepare|tests]`: prepare is the engine and the images
# (minutes of downloads and builds on a fresh machine: `make test` runs it beside the suite),
# tests the compose lab's tests on what prepare made; all (the default) is both, in turn.
#
# BOLETIA_TEST_DOCKER: auto (default) runs it as root (the engine can be installed and started)
# or when an engine already answers, and otherwise says loudly that the docker runtime was NOT
# tested and why; yes requires it (a failure to get an engine fails); no skips it, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
mode=${BOLETIA_TEST_DOCKER:-auto}
phase=${1:-all}
case "$phase" in all|prepare|tests) ;; *) echo "error: the phase is all, prepare or tests (got '$phase')" >&2; exit 2 ;; esac
say() { echo "==> $*"; }
case "$mode" in
  no)  say "docker runtime NOT tested: BOLETIA_TEST_DOCKER=no"; exit 0 ;;
  yes) ;;
  auto)
    if [ "$(id -u)" != 0 ] && ! docker info >/dev/null 2>&1; then
      say "docker runtime NOT tested: not root (the engine cannot be installed or started) and no"
      say "Docker engine answers; run as root, start Docker, or set BOLETIA_TEST_DOCKER=yes to require it"
      exit 0
    fi ;;
  *) echo "error: BOLETIA_TEST_DOCKER is auto, yes or no (got '$mode')" >&2; exit 2 ;;
esac
# What the stage takes from the disk, said as it goes, with the least free space seen: a CI run
# once ran out of space here (on vfs, before overlay2 was probed).
root=${BOLETIA_DOCKER_DATA_ROOT:-/var/lib/docker}
mkdir -p "$root" 2>/dev/null || true
free_mb() { df -BM --output=avail "$root" 2>/dev/null | tail -1 | tr -dc 0-9; }
disk() { say "disk $1: $(free_mb) MB free where the engine keeps its data ($root)${2:+; $2}"; }
engine_use() { docker system df --format '{{.Type}} {{.Size}}' 2>/dev/null | paste -sd, | sed 's/,/, /g'; }
lowest=$(mktemp); free_mb >"$lowest"
( while sleep 5; do now=$(free_mb); [ -n "$now" ] && { [ ! -s "$lowest" ] || [ "$now" -lt "$(cat "$lowest")" ]; } \
  && echo "$now" >"$lowest"; done ) &
sampler=$!
trap 'kill $sampler 2>/dev/null; rm -f "$lowest"' EXIT
disk "before"
started=$(date +%s)
scripts/docker-engine.sh --base   # in the tests phase: the engine prepare started, found running
engine=$(date +%s)
if [ "$phase" != tests ]; then
  "$BIN/boletia" lab images
fi
built=$(date +%s)
disk "with the images built" "the engine: $(engine_use)"
if [ "$phase" = prepare ]; then
  say "docker stage prepared in $(( built - started )) s: engine $(( engine - started )) s, images $(( built - engine )) s"
  exit 0
fi
status=0
BOLETIA_DOCKER_REQUIRED=1 "$BIN/python" -m pytest -ra --durations=10 tests/docker || status=$?
disk "after the tests" "the engine: $(engine_use); the least seen during the stage: $(cat "$lowest") MB"
[ "$status" = 0 ] || exit "$status"
done_at=$(date +%s)
say "docker runtime tested in $(( done_at - started )) s: engine $(( engine - started )) s," \
    "images $(( built - engine )) s, compose lab and its tests $(( done_at - built )) s"
