#!/usr/bin/env bash
# A Docker engine with the compose v2 plugin, on a machine that has neither (as root):
#   1. Debian's `docker.io` (dockerd, containerd, runc) when the engine is missing;
#   2. `dockerd` started in the background, logging to /var/log/dockerd.log, when no engine
#      answers; then waits until `docker info` works. Storage driver: overlay2 when this kernel
#      mounts an overlay on the engine's data root (probed), else vfs. vfs copies an image's whole
#      tree for each layer and each container: the lab took 24 to 28 GB of disk with it, and a
#      CI run on a shared disk ran out of space; overlay2 shares the layers;
#   3. the compose v2 CLI plugin (`docker compose`) when missing: Debian bookworm only packages
#      compose v1 (python), so it is built from the Go module proxy (github.com/docker/compose/v2)
#      with the machine's `go`, once, and cached in ~/.cache/boletia/;
#   4. with --base, also the offline base image boletia-base:bookworm (lab-infra/images/base.sh).
# Idempotent: whatever is already there is kept, and each step says what it did.
# Settings: BOLETIA_DOCKER_STORAGE_DRIVER (auto: overlay2 if it works, else vfs; or a driver's
# name), BOLETIA_DOCKER_DATA_ROOT (/var/lib/docker), BOLETIA_COMPOSE_VERSION (v2.40.3),
# BOLETIA_CACHE (~/.cache/boletia), DOCKERD_LOG (/var/log/dockerd.log).
set -euo pipefail
cd "$(dirname "$0")/.."

DRIVER=${BOLETIA_DOCKER_STORAGE_DRIVER:-auto}
DATA_ROOT=${BOLETIA_DOCKER_DATA_ROOT:-/var/lib/docker}
COMPOSE_VERSION=${BOLETIA_COMPOSE_VERSION:-v2.40.3}
CACHE=${BOLETIA_CACHE:-$HOME/.cache/boletia}
LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
PLUGINS=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins

say() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# Whether an overlay mounts on the data root's filesystem (what overlay2 needs), tried for real
# in a scratch directory there: /proc/filesystems listing "overlay" is not proof (an overlay
# root filesystem, or a sandbox that forbids the mount, refuses it).
overlay_mounts() {
  local dir ok=1
  mkdir -p "$DATA_ROOT"
  dir=$(mktemp -d "$DATA_ROOT/.overlay-probe.XXXXXX") || return 1
  mkdir -p "$dir/lower" "$dir/upper" "$dir/work" "$dir/merged"
  echo probe >"$dir/lower/file"
  if mount -t overlay overlay -o "lowerdir=$dir/lower,upperdir=$dir/upper,workdir=$dir/work" \
       "$dir/merged" 2>/dev/null; then
    echo changed >"$dir/merged/file" 2>/dev/null && [ "$(cat "$dir/lower/file")" = probe ] && ok=0
    umount "$dir/merged"
  fi
  rm -rf "$dir"
  return $ok
}

apt_install() {
  is_root && command -v apt-get >/dev/null 2>&1 \
    || die "$* missing, and only root with apt-get can install it here"
  say "installing $* from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ---------------------------------------------------------------- 1. the engine's packages
if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  if docker info >/dev/null 2>&1; then
    say "a Docker engine answers (no local dockerd needed)"
  else
    apt_install docker.io
  fi
else
  say "docker $(docker --version | sed 's/^Docker version //') and dockerd are installed"
fi

# ---------------------------------------------------------------- 2. a running engine
if docker info >/dev/null 2>&1; then
  say "engine answers: $(docker info --format '{{.ServerVersion}}, storage driver {{.Driver}}')"
else
  is_root || die "no Docker engine answers, and starting dockerd needs root"
  if [ "$DRIVER" = auto ]; then
    if overlay_mounts; then
      DRIVER=overlay2
    else
      DRIVER=vfs
      say "an overlay does not mount on $DATA_ROOT here: storage driver vfs (it copies each" \
          "layer and container whole: the lab needs about 30 GB of free disk)"
    fi
  fi
  if [ "$DRIVER" != vfs ] && [ -d "$DATA_ROOT/vfs" ]; then
    say "an earlier engine's vfs store is left in $DATA_ROOT/vfs ($(du -sh "$DATA_ROOT/vfs" | cut -f1));" \
        "remove it to free the space"
  fi
  say "starting dockerd (storage driver $DRIVER, data root $DATA_ROOT, log $LOG)"
  # setsid: the engine outlives this script and the shell that ran it. It inherits no other
  # descriptor: run under `flock /tmp/boletia-docker.lock`, dockerd kept the lock's descriptor
  # open, and held the lock for as long as it ran (every later docker stage waited forever)
  ( for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    exec setsid dockerd --storage-driver "$DRIVER" --data-root "$DATA_ROOT" >>"$LOG" 2>&1 </dev/null ) &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -20 "$LOG" >&2; die "dockerd did not answer within 60 s (see $LOG)"; }
  say "engine answers: $(docker info --format '{{.ServerVersion}}, storage driver {{.Driver}}')"
fi

# ---------------------------------------------------------------- 3. compose v2
if docker compose version >/dev/null 2>&1; then
  say "$(docker compose version)"
else
  binary="$CACHE/docker-compose-$COMPOSE_VERSION"
  if [ ! -x "$binary" ]; then
    command -v go >/dev/null 2>&1 || apt_install golang-go
    say "building docker compose $COMPOSE_VERSION from the Go module proxy (a few minutes, once)"
    started=$(date +%s)
    mkdir -p "$CACHE"
    dir=$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" \
          | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -n "$dir" ] || die "go mod download github.com/docker/compose/v2@$COMPOSE_VERSION failed"
    (cd "$dir" && go build -trimpath \
        -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
        -o "$binary.tmp" ./cmd)
    mv "$binary.tmp" "$binary"
    say "built $binary in $(( $(date +%s) - started )) s"
  else
    say "using the cached $binary"
  fi
  mkdir -p "$PLUGINS"
  ln -sf "$binary" "$PLUGINS/docker-compose"
  say "installed the plugin: $(docker compose version)"
fi

# ---------------------------------------------------------------- 4. the offline base image
if [ "${1:-}" = "--base" ]; then
  lab-infra/images/base.sh
fi
say "docker engine ready"
