#!/bin/bash
# build-bootset.sh: build pyro's built-in `busybox` environment (kernel + initramfs).
#
# Usage: build-bootset.sh --agent PATH [--home DIR] [--force] [--compress lz4|gzip]
#
# Produces $HOME_DIR/environments/busybox/{vmlinux,initrd.img,manifest.json}, where
# HOME_DIR defaults to $PYRO_HOME, else ${XDG_CACHE_HOME:-$HOME/.cache}/pyro.
# Progress goes to stderr; the environment path is printed on stdout at the end.
# The output is reproducible: the same kernel package, busybox, agent and /init give
# byte-identical files, so the manifest's content hash tells whether a rebuild changed
# anything.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
readonly INIT_SRC=$SCRIPT_DIR/../initramfs/init
readonly ENV_NAME=busybox
readonly FORMAT=1
readonly META_PACKAGE=linux-image-cloud-amd64
readonly BUSYBOX_BIN=/bin/busybox
# Modules /init loads, in the order asked for; dependencies are added from modules.dep
# and built-in ones are dropped.
readonly WANTED_MODULES=(virtio_ring virtio virtio_mmio virtio_pci_legacy_dev
  virtio_pci_modern_dev virtio_pci virtio_blk virtio_console failover net_failover
  virtio_net overlay)
# Fixed timestamps so the initramfs is reproducible.
readonly EPOCH=${SOURCE_DATE_EPOCH:-0}

log() { printf 'build-bootset: %s\n' "$*" >&2; }
# "stage: <name>" lines start a progress stage of pyro's ProgressHandler (lib/env/script_runner.hpp).
begin_stage() { log "stage: $*"; }
die() { printf 'build-bootset: error: %s\n' "$*" >&2; exit 1; }
usage() {
  sed -n '4p' "${BASH_SOURCE[0]}" | sed 's/^# //' >&2
  exit "${1:-2}"
}

# ---------------------------------------------------------------- arguments
agent=""
home_dir="${PYRO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pyro}"
force=0
compress=lz4
while [ $# -gt 0 ]; do
  case "$1" in
    --agent) [ $# -ge 2 ] || usage; agent=$2; shift 2 ;;
    --agent=*) agent=${1#*=}; shift ;;
    --home) [ $# -ge 2 ] || usage; home_dir=$2; shift 2 ;;
    --home=*) home_dir=${1#*=}; shift ;;
    --force) force=1; shift ;;
    --compress) [ $# -ge 2 ] || usage; compress=$2; shift 2 ;;
    --compress=*) compress=${1#*=}; shift ;;
    -h|--help) usage 0 ;;
    *) usage ;;
  esac
done
[ -n "$agent" ] || { log "error: \`--agent PATH\` is required"; usage; }
case "$compress" in gzip|lz4) ;; *) die "unknown compression \`$compress\` (lz4 or gzip)" ;; esac

for tool in apt-cache apt-get dpkg-deb depmod lz4 cpio gzip sha256sum flock file; do
  command -v "$tool" >/dev/null || die "find \`$tool\`: not installed (run scripts/install-deps.sh)"
done
[ -f "$INIT_SRC" ] || die "read \`$INIT_SRC\`: missing"
[ -x "$agent" ] && [ -f "$agent" ] || die "read agent \`$agent\`: not an executable file"
agent=$(readlink -f "$agent")
[ -x "$BUSYBOX_BIN" ] || die "find \`$BUSYBOX_BIN\`: missing (install busybox-static)"

# Binaries in the initramfs must not need a dynamic loader: it has no libc.
# (No `file | grep -q`: with pipefail, grep quitting early can fail the pipeline.)
is_static() { [[ $(file -L "$1") =~ statically\ linked|static-pie\ linked|shell\ script ]]; }
is_static "$BUSYBOX_BIN" || die "check \`$BUSYBOX_BIN\`: not statically linked (install busybox-static)"
is_static "$agent" || die "check agent \`$agent\`: not statically linked"

agent_version=$("$agent" --version 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+[^[:space:]]*' | head -1) \
  || true
[ -n "$agent_version" ] || die "read agent version: \`$agent --version\` printed no version"
busybox_version=$("$BUSYBOX_BIN" 2>&1 | head -1 | grep -Eo 'v[0-9][^ ]*' | head -1 | cut -c2-) || true
[ -n "$busybox_version" ] || die "read busybox version: \`$BUSYBOX_BIN\` printed no banner"

env_root=$home_dir/environments
target=$env_root/$ENV_NAME
deb_dir=$home_dir/cache/debs
mkdir -p "$env_root" "$deb_dir"
env_root=$(cd "$env_root" && pwd)
target=$env_root/$ENV_NAME
deb_dir=$(cd "$deb_dir" && pwd)

# ---------------------------------------------------------------- lock and cleanup
exec 9>"$env_root/.$ENV_NAME.lock"
if ! flock -n 9; then
  log "another build holds \`$env_root/.$ENV_NAME.lock\`; waiting"
  flock 9
fi

# Everything is built under one temp dir beside the target (same filesystem, so the
# final rename is atomic); a build killed with SIGKILL leaves only that dir, which the
# next build removes.
tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Leftovers of builds that were killed (we hold the lock, so none is running).
rm -rf "$env_root/.$ENV_NAME".tmp.* "$env_root/.$ENV_NAME".old.* "$deb_dir"/.partial.*

tmp=$(mktemp -d "$env_root/.$ENV_NAME.tmp.XXXXXX")
work=$tmp/work
stage=$tmp/$ENV_NAME
mkdir -p "$work" "$stage"

# ---------------------------------------------------------------- kernel package
# The meta package pins the exact kernel package: "Depends: linux-image-X (= V)".
# (`apt-cache show` gives the same dependency as `apt-cache depends`, plus the version.)
kpkg=""; kpkg_want=""
resolve_kernel_package() {
  local dep
  dep=$(apt-cache show --no-all-versions "$META_PACKAGE" 2>/dev/null \
    | sed -n 's/^Depends: .*\(linux-image-[0-9][^ ,]*\)\( *(= *\([^)]*\))\)\{0,1\}.*/\1 \3/p' | head -1) || true
  kpkg=${dep%% *}
  kpkg_want=${dep#* }
  if [ -n "$kpkg" ] && [ -z "$kpkg_want" ]; then
    kpkg_want=$(apt-cache policy "$kpkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)' | head -1) || true
  fi
}
resolve_kernel_package
if [ -z "$kpkg" ]; then
  log "apt knows no \`$META_PACKAGE\`; running apt-get update"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2 || log "apt-get update failed"
  elif command -v sudo >/dev/null; then sudo -n apt-get update -qq >&2 || log "apt-get update failed"
  else log "not root and no sudo: cannot run apt-get update"
  fi
  resolve_kernel_package
fi

newest_cached_kernel() {
  ls "$deb_dir"/linux-image-[0-9]*-cloud-amd64_*_amd64.deb 2>/dev/null | sort -V | tail -1 || true
}

deb=""
if [ -n "$kpkg" ]; then
  kver_pkg=$kpkg_want
  [ -n "$kver_pkg" ] || die "resolve \`$kpkg\`: apt has no candidate version"
  deb=$deb_dir/${kpkg}_${kver_pkg//:/%3a}_amd64.deb
  if [ -s "$deb" ]; then
    log "using cached $(basename "$deb")"
  else
    log "downloading $kpkg $kver_pkg"
    partial=$(mktemp -d "$deb_dir/.partial.XXXXXX")
    # As root, apt would drop to `_apt`, which cannot write into a private home;
    # it then downloads as root anyway, after a warning. Skip the warning.
    sandbox=()
    [ "$(id -u)" != 0 ] || sandbox=(-o APT::Sandbox::User=root)
    got=""
    if (cd "$partial" && apt-get download -q "${sandbox[@]}" "$kpkg=$kver_pkg" >&2); then
      got=$(ls "$partial"/*.deb 2>/dev/null | head -1)
    fi
    if [ -n "$got" ]; then
      mv "$got" "$deb"
    else
      # Offline: an older cached kernel still gives a working environment.
      deb=$(newest_cached_kernel)
      [ -n "$deb" ] || die "download \`$kpkg\`: apt-get download failed and no kernel .deb is cached"
      log "download failed; using cached $(basename "$deb")"
    fi
    rm -rf "$partial"
  fi
else
  # Offline and no package lists: fall back to the newest cached kernel.
  deb=$(newest_cached_kernel)
  [ -n "$deb" ] || die "resolve \`$META_PACKAGE\`: apt knows no such package and no kernel .deb is cached in \`$deb_dir\`"
  log "apt knows no \`$META_PACKAGE\`; using cached $(basename "$deb")"
fi

kpkg=$(dpkg-deb -f "$deb" Package) || die "read \`$deb\`: not a valid .deb"
kpkg_version=$(dpkg-deb -f "$deb" Version)
kernel_version=${kpkg#linux-image-}
log "kernel $kernel_version (package $kpkg $kpkg_version)"

# Fast path: the output is a pure function of these inputs, so if they are the ones
# the installed environment was built from, there is nothing to redo.
inputs_file=$env_root/.$ENV_NAME.inputs
inputs_key=$( {
  printf '%s\n' "format=$FORMAT" "compress=$compress" "epoch=$EPOCH" "modules=${WANTED_MODULES[*]}"
  sha256sum "$deb" "$BUSYBOX_BIN" "$agent" "$INIT_SRC" "${BASH_SOURCE[0]}" | cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)
manifest_sha() {
  sed -n 's/.*"sha256": *"\([0-9a-f]\{64\}\)".*/\1/p' "$1" 2>/dev/null | head -1
}
if [ "$force" = 0 ] && [ -f "$inputs_file" ] && [ -f "$target/vmlinux" ] && [ -f "$target/initrd.img" ]; then
  read -r recorded_key recorded_sha < "$inputs_file" || true
  installed_sha=$(manifest_sha "$target/manifest.json")
  if [ "${recorded_key:-}" = "$inputs_key" ] && [ -n "$installed_sha" ] && [ "${recorded_sha:-}" = "$installed_sha" ]; then
    log "environment \`$ENV_NAME\` is up to date (same inputs, sha256 $installed_sha); nothing to do"
    echo "$target"
    exit 0
  fi
fi

begin_stage "build boot set"
log "unpacking kernel package"
kroot=$work/kernel
mkdir -p "$kroot"
dpkg-deb -x "$deb" "$kroot"
moddir=$kroot/lib/modules/$kernel_version
[ -d "$moddir" ] || die "unpack \`$deb\`: no lib/modules/$kernel_version"
bzimage=$kroot/boot/vmlinuz-$kernel_version
[ -f "$bzimage" ] || die "unpack \`$deb\`: no boot/vmlinuz-$kernel_version"
# The .deb ships no modules.dep: its postinst runs depmod.
depmod -b "$kroot" "$kernel_version"

# ---------------------------------------------------------------- vmlinux
# A bzImage is real-mode setup code followed by a self-decompressing kernel. The
# setup header's payload_offset/payload_length (boot protocol >= 2.08) locate the
# compressed vmlinux; Debian's cloud kernel compresses it with LZ4 in the legacy
# frame format. The header is only a hint: the LZ4 magic is what we trust.
read_u8()  { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
read_u32() { od -An -tu4 -j "$2" -N4 --endian=little "$1" | tr -d ' '; }
readonly LZ4_LEGACY_MAGIC=02214c18
readonly ELF_MAGIC=7f454c46

magic_at() { od -An -tx1 -j "$2" -N4 "$1" | tr -d ' \n'; }

decompress_lz4_at() { # bzimage offset length(optional) out
  local in=$1 off=$2 len=$3 out=$4
  if [ -n "$len" ]; then
    tail -c +"$((off + 1))" "$in" | head -c "$len" | lz4 -d -c > "$out" 2>/dev/null || true
  else
    # Unknown length: lz4 stops with an error at the trailing bytes; the output
    # before that is complete, and the ELF check below decides.
    tail -c +"$((off + 1))" "$in" | lz4 -d -c > "$out" 2>/dev/null || true
  fi
  [ -s "$out" ] && [ "$(magic_at "$out" 0)" = "$ELF_MAGIC" ]
}

extract_vmlinux() { # bzimage out
  local in=$1 out=$2 setup_sects pm_start poff plen off
  [ "$(od -An -c -j 514 -N4 "$in" | tr -d ' ')" = HdrS ] || die "read \`$in\`: not a bzImage"
  setup_sects=$(read_u8 "$in" 497)
  [ "$setup_sects" != 0 ] || setup_sects=4
  pm_start=$(( (setup_sects + 1) * 512 ))
  poff=$(read_u32 "$in" $((0x248)))
  plen=$(read_u32 "$in" $((0x24c)))
  off=$((pm_start + poff))
  if [ "$(magic_at "$in" "$off")" = "$LZ4_LEGACY_MAGIC" ]; then
    # The last 4 payload bytes are the decompressed size, not LZ4 data.
    decompress_lz4_at "$in" "$off" "$((plen - 4))" "$out" && return 0
  fi
  log "setup header does not point at an LZ4 payload; scanning for the magic"
  for off in $(grep -obUaP '\x02\x21\x4c\x18' "$in" | cut -d: -f1); do
    decompress_lz4_at "$in" "$off" "" "$out" && return 0
  done
  die "extract vmlinux from \`$in\`: no LZ4 payload that decompresses to an ELF"
}

log "extracting vmlinux"
extract_vmlinux "$bzimage" "$stage/vmlinux"
chmod 0644 "$stage/vmlinux"

# ---------------------------------------------------------------- modules
declare -A module_path=() builtin=() seen=()
while IFS=: read -r path _; do
  name=$(basename "$path" .ko); module_path[${name//-/_}]=$path
done < "$moddir/modules.dep"
while read -r path; do
  name=$(basename "$path" .ko); builtin[${name//-/_}]=1
done < "$moddir/modules.builtin"
order=()
add_module() { # name: add its dependencies, then itself
  local name=${1//-/_} path deps dep
  [ -z "${seen[$name]:-}" ] || return 0
  seen[$name]=1
  path=${module_path[$name]}
  deps=$(grep -m1 "^$path:" "$moddir/modules.dep" | cut -d: -f2)
  for dep in $deps; do add_module "$(basename "$dep" .ko)"; done
  order+=("$name")
}
for m in "${WANTED_MODULES[@]}"; do
  m=${m//-/_}
  if [ -n "${module_path[$m]:-}" ]; then add_module "$m"
  elif [ -n "${builtin[$m]:-}" ]; then log "module $m is built in"
  else die "find module \`$m\`: neither in modules.dep nor modules.builtin of $kernel_version"
  fi
done
log "modules: ${order[*]}"

# ---------------------------------------------------------------- initramfs tree
root=$work/initramfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,lib/modules,proc,sys,dev,run,tmp,root,mnt,var/tmp}
install -m 0755 "$BUSYBOX_BIN" "$root/bin/busybox"
# `--list-full` includes bin/busybox itself: linking it would replace the binary
# with a symlink to itself.
while read -r applet; do
  [ "$applet" != bin/busybox ] || continue
  [ -e "$root/$applet" ] || [ -L "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done < <("$BUSYBOX_BIN" --list-full)
[ -f "$root/bin/busybox" ] && [ ! -L "$root/bin/busybox" ] || die "build initramfs: /bin/busybox was clobbered"

: > "$root/etc/modules"
for name in "${order[@]}"; do
  install -m 0644 "$moddir/${module_path[$name]}" "$root/lib/modules/$name.ko"
  echo "$name" >> "$root/etc/modules"
done
install -m 0755 "$INIT_SRC" "$root/init"
# Debug info is of no use in the guest and would make every boot unpack more bytes.
if command -v strip >/dev/null && [[ $(file -L "$agent") == *ELF* ]]; then
  strip --strip-all -o "$root/sbin/pyro-agent" "$agent"
  chmod 0755 "$root/sbin/pyro-agent"
else
  install -m 0755 "$agent" "$root/sbin/pyro-agent"
fi
# What /init mounts with one `mount -a` (devtmpfs on /dev comes first, by hand).
cat > "$root/etc/fstab" <<'EOF'
proc    /proc     proc    nosuid,nodev,noexec                          0 0
sysfs   /sys      sysfs   nosuid,nodev,noexec                          0 0
devpts  /dev/pts  devpts  nosuid,noexec,gid=5,mode=0620,ptmxmode=0666  0 0
tmpfs   /tmp      tmpfs   nosuid,nodev,mode=1777                       0 0
tmpfs   /run      tmpfs   nosuid,nodev,mode=0755                       0 0
EOF
# Entries devtmpfs does not create; /init copies them over /dev in one `cp -a`.
devskel=$root/usr/share/pyro/dev
mkdir -p "$devskel/pts" "$devskel/shm"
ln -s /proc/self/fd "$devskel/fd"
ln -s /proc/self/fd/0 "$devskel/stdin"
ln -s /proc/self/fd/1 "$devskel/stdout"
ln -s /proc/self/fd/2 "$devskel/stderr"
chmod 0755 "$root/usr/share" "$root/usr/share/pyro" "$devskel" "$devskel/pts"
chmod 1777 "$devskel/shm"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'pyro\n' > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tpyro\n::1\tlocalhost\n' > "$root/etc/hosts"
: > "$root/etc/resolv.conf"
chmod 0644 "$root"/etc/*
chmod 0755 "$root" "$root"/{bin,sbin,usr,usr/bin,usr/sbin,etc,lib,lib/modules,proc,sys,dev,run,root,mnt,var}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
find "$root" -exec touch -h -d "@$EPOCH" {} +

# newc header of one device node: GNU cpio can only archive nodes that exist, and
# creating them needs root. The kernel needs /dev/console before /init runs.
cpio_node() { # name mode(octal) major minor ino
  local name=$1 namesize=$(( ${#1} + 1 )) pad
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
    "$5" "$((8#$2))" 0 0 1 "$EPOCH" 0 0 0 "$3" "$4" "$namesize" 0 "$name"
  pad=$(( (4 - (110 + namesize) % 4) % 4 ))
  head -c "$pad" /dev/zero
}
cpio_trailer() { cpio_node 'TRAILER!!!' 0 0 0 0; }

log "packing initramfs ($compress)"
{
  (cd "$root" && find . -mindepth 1 | sort | cpio -o -H newc --reproducible -R 0:0 --quiet)
  # A second archive, appended: the kernel unpacks concatenated archives in turn.
  cpio_node dev/console 020600 5 1 1
  cpio_node dev/null 020666 1 3 2
  cpio_trailer
} > "$work/initrd.cpio"
# lz4 (legacy frame, the format the kernel's unpacker reads) is ~15% bigger than
# gzip -9 but unpacks 100-150 ms faster under TCG, where the guest CPU is emulated.
case "$compress" in
  gzip) gzip -n -9 -c "$work/initrd.cpio" > "$stage/initrd.img" ;;
  lz4) lz4 -l -9 -q -c "$work/initrd.cpio" > "$stage/initrd.img" ;;
esac
chmod 0644 "$stage/initrd.img"

# ---------------------------------------------------------------- manifest
vmlinux_sha=$(sha256sum "$stage/vmlinux" | cut -d' ' -f1)
initrd_sha=$(sha256sum "$stage/initrd.img" | cut -d' ' -f1)
description="BusyBox userland on the initramfs (no Debian)"
# The content hash covers what the environment is, not when it was built.
content_sha=$(printf '%s\n' "format=$FORMAT" "name=$ENV_NAME" "kernel_version=$kernel_version" \
  "kernel_package=$kpkg" "kernel_package_version=$kpkg_version" "agent_version=$agent_version" \
  "busybox_version=$busybox_version" "vmlinux_sha256=$vmlinux_sha" "initrd_sha256=$initrd_sha" \
  | sha256sum | cut -d' ' -f1)

existing=""
[ ! -f "$target/manifest.json" ] || existing=$(manifest_sha "$target/manifest.json")
if [ "$existing" = "$content_sha" ] && [ "$force" = 0 ] \
   && [ -f "$target/vmlinux" ] && [ -f "$target/initrd.img" ]; then
  printf '%s %s\n' "$inputs_key" "$content_sha" > "$inputs_file"
  log "environment \`$ENV_NAME\` is up to date (sha256 $content_sha); nothing to do"
  echo "$target"
  exit 0
fi

json_str() { # escape for a JSON string literal (our values are plain ASCII)
  local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"
}
{
  printf '{\n'
  printf '  "name": %s,\n' "$(json_str "$ENV_NAME")"
  printf '  "description": %s,\n' "$(json_str "$description")"
  printf '  "kernel_version": %s,\n' "$(json_str "$kernel_version")"
  printf '  "kernel_package": %s,\n' "$(json_str "$kpkg")"
  printf '  "kernel_package_version": %s,\n' "$(json_str "$kpkg_version")"
  printf '  "agent_version": %s,\n' "$(json_str "$agent_version")"
  printf '  "busybox_version": %s,\n' "$(json_str "$busybox_version")"
  printf '  "vmlinux_sha256": "%s",\n' "$vmlinux_sha"
  printf '  "initrd_sha256": "%s",\n' "$initrd_sha"
  printf '  "sha256": "%s",\n' "$content_sha"
  printf '  "built_at": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "format": %d\n' "$FORMAT"
  printf '}\n'
} > "$stage/manifest.json"
chmod 0644 "$stage/manifest.json"
chmod 0755 "$stage"
sync -f "$stage/vmlinux" "$stage/initrd.img" "$stage/manifest.json" 2>/dev/null || true

# ---------------------------------------------------------------- install
# rename(2) cannot replace a non-empty directory, so move the old one aside first;
# both renames happen under the lock, and readers never see a partial directory.
if [ -e "$target" ]; then
  old=$(mktemp -u "$env_root/.$ENV_NAME.old.XXXXXX")
  mv -T "$target" "$old"
  mv -T "$stage" "$target"
  rm -rf "$old"
else
  mv -T "$stage" "$target"
fi
printf '%s %s\n' "$inputs_key" "$content_sha" > "$inputs_file"
log "built environment \`$ENV_NAME\`: vmlinux $(stat -c %s "$target/vmlinux") bytes," \
  "initrd.img $(stat -c %s "$target/initrd.img") bytes, sha256 $content_sha"
echo "$target"
