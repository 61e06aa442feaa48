#!/usr/bin/env bash
# boletia-base:bookworm, the FROM of every offline image: a minimal Debian bookworm root
# filesystem made by `debootstrap --variant=minbase` from Debian's package mirror and imported
# with `docker import`. No registry of images is needed (Docker Hub need not be reachable).
#
# The image trusts what this machine trusts: certificate authorities added to the host
# (/usr/local/share/ca-certificates/*.crt) are copied in, so apt, pip and Maven inside the
# builds reach their registries through the same network the host uses.
#
# Idempotent: an existing image is kept; --force makes it again. Run as root (debootstrap).
# Settings: BOLETIA_BASE_IMAGE (boletia-base:bookworm), BOLETIA_DEBIAN_MIRROR,
# BOLETIA_DEBIAN_SECURITY_MIRROR.
set -euo pipefail

IMAGE=${BOLETIA_BASE_IMAGE:-boletia-base:bookworm}
SUITE=bookworm
MIRROR=${BOLETIA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${BOLETIA_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

say() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }

if [ "${1:-}" != "--force" ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE exists ($(docker image inspect --format '{{.Created}}' "$IMAGE")); --force makes it again"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "debootstrap needs root"
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

started=$(date +%s)
root=$(mktemp -d /var/tmp/boletia-base.XXXXXX)
chmod 0755 "$root"   # it becomes the image's /: mktemp's 0700 would lock every other user out
trap 'rm -rf "$root"' EXIT
say "debootstrap --variant=minbase $SUITE from $MIRROR (a minute or two)"
debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" >"$root.log" 2>&1 \
  || { tail -20 "$root.log" >&2; die "debootstrap failed (log: $root.log)"; }
rm -f "$root.log"

cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
# as in Debian's official images: no package cache left in a layer, no translations
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
EOF
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-excludes" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF

extra=0
for crt in /usr/local/share/ca-certificates/*.crt; do
  [ -e "$crt" ] || continue
  cp "$crt" "$root/usr/local/share/ca-certificates/"
  extra=$((extra + 1))
done
if [ "$extra" -gt 0 ]; then
  chroot "$root" update-ca-certificates >/dev/null 2>&1
  say "added this machine's $extra extra certificate authorit$([ "$extra" = 1 ] && echo y || echo ies)"
fi

find "$root/var/lib/apt/lists" -type f -delete   # keeps lists/partial, owned by _apt
rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
       "$root"/var/log/* "$root"/tmp/* "$root"/root/.bash_history
echo "boletia-base" >"$root/etc/hostname"

say "docker import as $IMAGE"
tar --numeric-owner -C "$root" -c . \
  | docker import \
      --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' \
      --message "debootstrap --variant=minbase $SUITE $MIRROR" - "$IMAGE" >/dev/null
say "$IMAGE made in $(( $(date +%s) - started )) s, $(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
