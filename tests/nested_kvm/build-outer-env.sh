#!/bin/bash
# build-outer-env.sh: builds the nested-KVM tier's outer environment and imports it.
#
# Usage: build-outer-env.sh --build DIR --home DIR [--name NAME]
#
# The outer VM runs under TCG and hosts pyro with KVM (QEMU's TCG emulates AMD SVM).
# Its root filesystem is made from
#   * Debian packages: a bookworm minbase with qemu-system-x86 and the host programs
#     `pyro doctor` checks (mmdebstrap; every .deb is kept in $HOME_DIR/cache/apt/archives,
#     the cache build-rootfs.sh uses, so a second run downloads nothing);
#   * kvm.ko, kvm-amd.ko and irqbypass.ko from the guest kernel's own .deb (the one the
#     `busybox` boot set was built from, in $HOME_DIR/cache/debs), under /lib/modules;
#   * the build under test: `cmake --install BUILD --prefix /usr/local`;
#   * the `busybox` environment of $HOME_DIR (built from that build's agent), as the
#     inner pyro's environment in /var/lib/pyro-nested/environments/busybox.
# It is written as an OCI image layout and imported with `pyro env import NAME`
# (default pyro-nested-kvm): the same path a user's image takes. Progress on stderr;
# the environment's name on stdout.
set -euo pipefail
export LC_ALL=C

readonly EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
# What the inner pyro needs: QEMU, qemu-img, and the programs `pyro doctor` requires.
readonly PACKAGES=qemu-system-x86,qemu-utils,e2fsprogs,busybox-static,kmod,cpio,lz4,file
readonly INNER_HOME=/var/lib/pyro-nested

log() { printf 'build-outer-env: %s\n' "$*" >&2; }
die() { printf 'build-outer-env: error: %s\n' "$*" >&2; exit 1; }

build="" home_dir="${PYRO_HOME:-}" name=pyro-nested-kvm
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --home) home_dir=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    *) die "unknown argument \`$1\` (usage: build-outer-env.sh --build DIR --home DIR [--name NAME])" ;;
  esac
done
[ -n "$build" ] && [ -x "$build/tools/pyro/pyro" ] || die "check \`--build\`: no pyro CLI in \`$build/tools/pyro\`"
[ -n "$home_dir" ] || die "check \`--home\`: required (or set PYRO_HOME)"
build=$(cd "$build" && pwd)
for tool in mmdebstrap dpkg-deb python3 cmake; do
  command -v "$tool" >/dev/null || die "find \`$tool\`: not installed (run scripts/install-deps.sh)"
done

# The inner environment must boot the build's own agent: pull is a no-op when it does.
"$build/tools/pyro/pyro" --home "$home_dir" env pull busybox >/dev/null
boot_dir=$home_dir/environments/busybox
[ -f "$boot_dir/manifest.json" ] || die "read \`$boot_dir/manifest.json\`: missing; pull the busybox environment first"
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$boot_dir/manifest.json" "$1"; }
kernel_version=$(field kernel_version)
kernel_deb=$home_dir/cache/debs/$(field kernel_package)_$(field kernel_package_version)_amd64.deb
[ -f "$kernel_deb" ] || die "read \`$kernel_deb\`: missing (the busybox environment's kernel package)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pyro-outer-env.XXXXXX")
trap 'rm -rf --one-file-system "$tmp"' EXIT
extra=$tmp/extra
mkdir -p "$extra"

# ---------------------------------------------------------------- the extra tree
log "kvm modules of $kernel_version from $(basename "$kernel_deb")"
mods=lib/modules/$kernel_version/kernel
dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$extra" \
  "./$mods/arch/x86/kvm/kvm.ko" "./$mods/arch/x86/kvm/kvm-amd.ko" "./$mods/virt/lib/irqbypass.ko"
mkdir -p "$extra/usr" && mv "$extra/lib" "$extra/usr/lib"  # /lib is a link to usr/lib (merged /usr)

log "installing the build under test from \`$build\`"
DESTDIR=$extra cmake --install "$build" --prefix /usr/local --strip >/dev/null

log "the inner environment (busybox, sha256 $(field sha256))"
mkdir -p "$extra$INNER_HOME/environments/busybox"
cp -p "$boot_dir"/{vmlinux,initrd.img,manifest.json} "$extra$INNER_HOME/environments/busybox/"
chmod 0700 "$extra$INNER_HOME"

# The Debian packages the build's binaries link against (libfmt9, libarchive13, ...).
lib_packages=$(for b in "$extra"/usr/local/bin/pyro "$extra"/usr/local/lib/libpyro*.so.* "$extra"/usr/local/libexec/pyro/pyro-jailer; do
  ldd "$b"; done | awk '/=> \// {print $3}' | grep -v -e "^$build/" -e "^$extra/" | sort -u | while read -r lib; do
  real=$(readlink -f "$lib")
  dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || dpkg -S "$lib" 2>/dev/null \
    || die "find the Debian package of \`$lib\` (linked by the build)"
done | cut -d: -f1 | sort -u | paste -sd, -)
[ -n "$lib_packages" ] || die "find the build's libraries: ldd found none"

# ---------------------------------------------------------------- mirrors (as build-rootfs.sh)
host_uris=$( {
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *//p' | tr ' ' '\n'
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p'
} | grep -E '^(https?|file)://' || true)
main_uri=$(grep -E '/debian/?$' <<< "$host_uris" | head -1 || true)
security_uri=$(grep -E '/debian-security/?$' <<< "$host_uris" | head -1 || true)
main_uri=${main_uri:-http://deb.debian.org/debian}
security_uri=${security_uri:-http://deb.debian.org/debian-security}
mirrors=("deb ${main_uri%/} bookworm main" "deb ${main_uri%/} bookworm-updates main"
         "deb ${security_uri%/} bookworm-security main")
aptopts=('Acquire::Languages "none"')
[ "$(id -u)" != 0 ] || aptopts+=('APT::Sandbox::User "root"')
while read -r line; do aptopts+=("$line"); done < <(apt-config dump 2>/dev/null \
  | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy) ' | sed 's/;$//' || true)

# ---------------------------------------------------------------- root filesystem
apt_cache=$home_dir/cache/apt/archives
mkdir -p "$apt_cache"
apt_cache=$(cd "$apt_cache" && pwd)
# The download cache, shared with build-rootfs.sh: cached .debs are linked in before
# apt downloads, new ones linked back out before mmdebstrap empties the archive.
cache_in='mkdir -p "$1/var/cache/apt/archives"; for f in "$2"/*.deb; do [ -f "$f" ] || continue;
  ln "$f" "$1/var/cache/apt/archives/" 2>/dev/null || cp -p "$f" "$1/var/cache/apt/archives/" || true; done'
cache_out='for f in "$1"/var/cache/apt/archives/*.deb; do [ -f "$f" ] || continue; b=${f##*/};
  [ -e "$2/$b" ] || ln "$f" "$2/$b" 2>/dev/null || { cp -p "$f" "$2/.$b.partial.$$" && mv -f "$2/.$b.partial.$$" "$2/$b"; } || true; done'
customize='cp -a "$2"/. "$1"/ && depmod -b "$1" "$3" && chroot "$1" ldconfig && rm -f "$1/etc/resolv.conf" && : > "$1/etc/resolv.conf"'
mm=(mmdebstrap --mode=auto --variant=minbase --format=tar --skip=essential/unlink
    --include="$PACKAGES,$lib_packages"
    --setup-hook="sh -c '$cache_in' - \"\$1\" '$apt_cache'"
    --customize-hook="sh -c '$cache_out' - \"\$1\" '$apt_cache'"
    --customize-hook="sh -c '$customize' - \"\$1\" '$extra' '$kernel_version'")
for o in "${aptopts[@]}"; do mm+=(--aptopt="$o"); done
layer=$tmp/layer.tar
log "running mmdebstrap (bookworm, minbase + $PACKAGES,$lib_packages)"
start=$SECONDS
SOURCE_DATE_EPOCH=$EPOCH "${mm[@]}" bookworm "$layer" "${mirrors[@]}" </dev/null 2>&1 \
  | sed -u 's/^/build-outer-env: mmdebstrap: /' >&2
log "mmdebstrap done after $((SECONDS - start)) s ($(( $(stat -c %s "$layer") / 1048576 )) MiB)"

# ---------------------------------------------------------------- OCI layout, then import
oci=$tmp/oci
python3 - "$layer" "$oci" <<'EOF'
import hashlib, json, os, sys
layer, oci = sys.argv[1], sys.argv[2]
blobs = os.path.join(oci, "blobs", "sha256")
os.makedirs(blobs)
def digest_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
ld = digest_of(layer)
os.link(layer, os.path.join(blobs, ld))
config = put(json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + ld]}}).encode())
manifest = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **config),
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": "sha256:" + ld, "size": os.path.getsize(layer)}]}).encode())
with open(os.path.join(oci, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                                                      platform={"architecture": "amd64", "os": "linux"},
                                                      **manifest)]}, f)
with open(os.path.join(oci, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
EOF
log "importing as \`$name\`"
start=$SECONDS
"$build/tools/pyro/pyro" --home "$home_dir" env import "$name" "$oci" --force >/dev/null
log "imported after $((SECONDS - start)) s"
echo "$name"
