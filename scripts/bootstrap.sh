#!/usr/bin/env bash
# Every set-up step the lab needs on a fresh clone, idempotent: Java 17+ and Maven, and for the
# browser tests Chromium and its driver (from Debian's packages when missing and we are root),
# and a virtualenv with the boletia package.
# The jars (Kafka, Connect, the MongoDB connector) are fetched from Maven Central by the first
# `boletia lab up`, which shows the download's progress.
#
# The conda route (`conda env create -f environment.yml && conda activate boletia-lab`) puts
# every dependency and this checkout's package in the conda environment: an active one that
# imports this checkout's boletia is used as is, instead of a second virtualenv.
# `scripts/bootstrap.sh --print-env` prints the environment chosen and stops (the Makefile's
# $(VENV)); VENV=... chooses one.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}

# the active conda environment runs this checkout's package (environment.yml's `-e .`)
conda_has_boletia() {
  [ -n "${CONDA_PREFIX:-}" ] && [ -x "$CONDA_PREFIX/bin/python" ] || return 1
  local here=$PWD  # asked from elsewhere: from here, `import boletia` finds ./boletia anyway
  (cd / && "$CONDA_PREFIX/bin/python" -c \
    'import sys, boletia; sys.exit(not boletia.__file__.startswith(sys.argv[1]))' "$here/") \
    >/dev/null 2>&1
}
conda=""
if [ -z "${VENV:-}" ] && conda_has_boletia; then
  VENV=$CONDA_PREFIX
  conda=yes
fi
VENV=${VENV:-.venv}
if [ "${1:-}" = "--print-env" ]; then
  echo "$VENV"
  exit 0
fi

need_java() {
  command -v java >/dev/null 2>&1 || return 0
  local major
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  [ "${major:-0}" -lt 17 ]
}

missing=()
need_java && missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# the control room's end-to-end tests drive Debian's Chromium (a tool's own browser download
# cannot be used here); without root they are skipped with a message
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  # `boletia grade` runs each submission inside bubblewrap (boletia/lab/student/sandbox.py)
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ${missing[*]} from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "error: ${missing[*]} missing. Install Java 17+ and Maven (or: conda env create -f environment.yml)" >&2
    exit 1
  fi
fi

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Python 3.11+ is needed ($PY is $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if [ -n "$conda" ]; then
  echo "==> using the active conda environment $VENV (it has this checkout's package)"
elif [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PY" -m venv "$VENV"
fi
# The lab's environment is pinned in requirements.lock (made from pyproject.toml's ranges with
# `pip-compile --extra lab --extra dev -o requirements.lock pyproject.toml`), and installed from
# requirements-hashes.lock: the same pins with the sha256 of every file PyPI has for them, so a
# file that changed on its way here is refused (--require-hashes). Regenerate it after the lock:
#   pip-compile --generate-hashes --strip-extras --no-emit-find-links --no-emit-index-url \
#     -o requirements-hashes.lock requirements.lock
# (the images keep requirements.lock: their PIN_OVERRIDES replace pins, and -c takes no hashes).
# The package itself goes in editable, without resolving again.
stamp="$VENV/.installed-$(cat pyproject.toml requirements-hashes.lock | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "==> installing the pinned dependencies (requirements-hashes.lock) and the boletia package into $VENV (a minute or two)"
  [ -n "$conda" ] || "$VENV/bin/pip" install -q --upgrade pip  # conda's pip is conda's to upgrade
  "$VENV/bin/pip" install -q --require-hashes -r requirements-hashes.lock
  "$VENV/bin/pip" install -q --no-deps -e .
  rm -f "$VENV"/.installed-* && touch "$stamp"
fi
# The package's own bytecode, written now: where PYTHONDONTWRITEBYTECODE is set (this kind of
# machine sets it), no process writes it, and every service, kernel and CLI call would compile
# the package from source each time it starts (pip compiles what it installs, but the package goes
# in editable, as source). Only what changed since the last run is compiled; a stale file is
# never used (Python checks each one against its source).
"$VENV/bin/python" -m compileall -q boletia >/dev/null

echo "==> set-up done"
