#!/bin/bash
# build-rootfs.sh: build one of pyro's Debian catalog environments (ext4 root filesystem).
#
# Usage: build-rootfs.sh --name NAME --dir DIRNAME --suite SUITE --variant VARIANT --packages "p1,p2,..." [--home DIR] [--force]
#
# Produces $HOME_DIR/environments/DIRNAME/{rootfs.ext4,vmlinux,initrd.img,manifest.json},
# where HOME_DIR defaults to $PYRO_HOME, else ${XDG_CACHE_HOME:-$HOME/.cache}/pyro.
# vmlinux and initrd.img are those of the `busybox` environment (hard links), which
# must already be built: its /init switches to the root filesystem when the kernel
# command line has `pyro.root=/dev/vda`. The package list comes from the caller (the
# C++ core reads it from spec/environments.json); this script keeps no copy of it.
# Progress goes to stderr; the environment path is printed on stdout at the end.
set -euo pipefail
export LC_ALL=C

# Close descriptors inherited from the caller: mmdebstrap hands apt `cat >&N` hooks
# with the lowest free fd, and dash cannot parse a two-digit N ("Bad fd number"), so
# a caller with a few open files made it fail. 255 is bash reading this script.
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  case "$fd" in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
done

# Bump when the same inputs would give a different root filesystem (hooks, mke2fs
# options, layout): it is part of the inputs key, so every environment is rebuilt.
readonly SCRIPT_VERSION=1
readonly FORMAT=1
readonly BOOT_ENV=busybox
# Fixed timestamps: fewer differences between builds (the image is still not byte-identical).
readonly EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
readonly MIB=$((1024 * 1024))

log() { printf 'build-rootfs: %s\n' "$*" >&2; }
# "stage: <name>" lines start a progress stage of pyro's ProgressHandler (lib/env/script_runner.hpp).
begin_stage() { log "stage: $*"; }
die() { printf 'build-rootfs: error: %s\n' "$*" >&2; exit 1; }
usage() {
  sed -n '4p' "${BASH_SOURCE[0]}" | sed 's/^# //' >&2
  exit "${1:-2}"
}

# ---------------------------------------------------------------- arguments
name="" dir_name="" suite="" variant="" packages="" force=0
home_dir="${PYRO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pyro}"
while [ $# -gt 0 ]; do
  case "$1" in
    --name|--dir|--suite|--variant|--packages|--home)
      [ $# -ge 2 ] || usage
      case "$1" in
        --name) name=$2 ;; --dir) dir_name=$2 ;; --suite) suite=$2 ;;
        --variant) variant=$2 ;; --packages) packages=$2 ;; --home) home_dir=$2 ;;
      esac
      shift 2 ;;
    --name=*) name=${1#*=}; shift ;;
    --dir=*) dir_name=${1#*=}; shift ;;
    --suite=*) suite=${1#*=}; shift ;;
    --variant=*) variant=${1#*=}; shift ;;
    --packages=*) packages=${1#*=}; shift ;;
    --home=*) home_dir=${1#*=}; shift ;;
    --force) force=1; shift ;;
    -h|--help) usage 0 ;;
    *) log "error: unknown argument \`$1\`"; usage ;;
  esac
done
for opt in name dir_name suite variant; do
  [ -n "${!opt}" ] || { log "error: \`--${opt%_name}\` is required"; usage; }
done
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9:._-]*$ ]] || die "check \`--name $name\`: invalid environment name"
# DIRNAME becomes a path component and a lock file name: no slashes, no leading dot.
[[ $dir_name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "check \`--dir $dir_name\`: invalid directory name"
[ "$dir_name" != "$BOOT_ENV" ] || die "check \`--dir $dir_name\`: reserved for the boot set"
[[ $suite =~ ^[a-z0-9][a-z0-9.-]*$ ]] || die "check \`--suite $suite\`: invalid suite"
case "$variant" in
  extract|custom|essential|apt|required|minbase|buildd|important|debootstrap|standard) ;;
  *) die "check \`--variant $variant\`: not an mmdebstrap variant" ;;
esac
# Normalise "a, b,,c" to "a,b,c"; the manifest records this list, in the order given.
packages=$(printf '%s' "$packages" | tr -s ', \t\n' ',' | sed 's/^,//; s/,$//')
IFS=, read -r -a package_list <<< "$packages"
for p in "${package_list[@]}"; do
  [[ $p =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || die "check package \`$p\`: not a Debian package name"
done

for tool in mmdebstrap mke2fs sha256sum flock du find stat; do
  command -v "$tool" >/dev/null || die "find \`$tool\`: not installed (run scripts/install-deps.sh)"
done

mkdir -p "$home_dir/environments" "$home_dir/cache/apt/archives"
env_root=$(cd "$home_dir/environments" && pwd)
apt_cache=$(cd "$home_dir/cache/apt/archives" && pwd)
target=$env_root/$dir_name
boot_dir=$env_root/$BOOT_ENV

manifest_field() { # file key: a top-level string value of our own manifests
  [ -f "$1" ] || return 0
  sed -n "s/^ *\"$2\": *\"\\([^\"]*\\)\".*/\\1/p" "$1" | head -1
}

for f in vmlinux initrd.img manifest.json; do
  [ -f "$boot_dir/$f" ] || die "read boot set \`$boot_dir/$f\`: missing; build the \`$BOOT_ENV\`" \
    "environment first (guest/scripts/build-bootset.sh --agent PATH --home $home_dir)"
done
boot_sha=$(manifest_field "$boot_dir/manifest.json" sha256)
[ -n "$boot_sha" ] || die "read \`$boot_dir/manifest.json\`: no \`sha256\`"

# ---------------------------------------------------------------- privileges
# As root (the tested path) mmdebstrap builds a directory with the right owners and
# mke2fs -d copies them. Unprivileged, mmdebstrap's unshare mode leaves files owned by
# subordinate ids, so mke2fs and the clean-up run inside the same kind of namespace.
ns=()
if [ "$(id -u)" != 0 ]; then
  ns=(mmdebstrap --unshare-helper)
  log "not root: mmdebstrap picks its unshare mode (needs subuids; the root path is the tested one)"
fi
rm_tree() { # path...
  local p m
  for p in "$@"; do
    [ -e "$p" ] || [ -L "$p" ] || continue
    # mmdebstrap's root mode bind-mounts /dev, /proc and /sys into the chroot; a
    # killed build can leave them behind, and rm must never walk into the host's.
    if [ "$(id -u)" = 0 ]; then
      while read -r m; do
        umount -l "$m" 2>/dev/null || true
      done < <(awk -v p="$p/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r)
    fi
    rm -rf --one-file-system "$p" 2>/dev/null \
      || { [ ${#ns[@]} -gt 0 ] && "${ns[@]}" rm -rf --one-file-system "$p"; } 2>/dev/null || true
    [ ! -e "$p" ] || rm -rf --one-file-system "$p" || log "remove \`$p\`: failed"
  done
}

# ---------------------------------------------------------------- mirrors
# Only Debian's registry may be reachable, so take its URIs from the host's apt
# sources (deb822 or one-line), defaulting to deb.debian.org.
host_uris=$( {
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *//p' | tr ' ' '\n'
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p'
} | grep -E '^(https?|file)://' || true)
main_uri=$(grep -E '/debian/?$' <<< "$host_uris" | head -1 || true)
security_uri=$(grep -E '/debian-security/?$' <<< "$host_uris" | head -1 || true)
main_uri=${main_uri:-http://deb.debian.org/debian}
security_uri=${security_uri:-http://deb.debian.org/debian-security}
mirrors=("deb ${main_uri%/} $suite main")
case "$suite" in
  sid|unstable|experimental) ;;
  *) mirrors+=("deb ${main_uri%/} $suite-updates main" "deb ${security_uri%/} $suite-security main") ;;
esac
# The host's snapshot-style mirrors have expired Release files; apt on the host is
# told to accept them, so the build must be too.
aptopts=('Acquire::Languages "none"')
# As root, apt would drop to `_apt`, which cannot enter our private temp dir; it then
# downloads as root anyway, after a warning. Skip the warning.
[ "$(id -u)" != 0 ] || aptopts+=('APT::Sandbox::User "root"')
while read -r line; do
  aptopts+=("$line")
done < <(apt-config dump 2>/dev/null \
  | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy) ' | sed 's/;$//' || true)

# ---------------------------------------------------------------- inputs
# The root filesystem depends on these; the environment also on the boot set.
rootfs_key=$(printf '%s\n' "script_version=$SCRIPT_VERSION" "name=$name" "suite=$suite" \
  "variant=$variant" "packages=$packages" "epoch=$EPOCH" "${mirrors[@]}" \
  | sha256sum | cut -d' ' -f1)
inputs_key=$(printf '%s\n' "$rootfs_key" "boot_sha256=$boot_sha" "format=$FORMAT" \
  | sha256sum | cut -d' ' -f1)

# ---------------------------------------------------------------- lock and cleanup
exec 9>"$env_root/.$dir_name.lock"
if ! flock -n 9; then
  log "another build holds \`$env_root/.$dir_name.lock\`; waiting"
  flock 9
fi

tmp="" mm_pid=""
cleanup() { [ -z "$tmp" ] || rm_tree "$tmp"; }
# mmdebstrap runs in the background, in its own process group, so a signal is
# handled now and not when it ends. mmdebstrap alone defers SIGTERM until apt and dpkg
# are done (minutes), so the whole group gets it; mmdebstrap then undoes its mounts.
on_signal() {
  local _
  if [ -n "$mm_pid" ]; then
    log "stopping mmdebstrap"
    kill -TERM -- "-$mm_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$mm_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$mm_pid" 2>/dev/null || true
    wait "$mm_pid" 2>/dev/null || true
  fi
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
# Leftovers of builds that were killed (we hold the lock, so none is running).
for leftover in "$env_root/.$dir_name".tmp.* "$env_root/.$dir_name".old.*; do
  [ ! -e "$leftover" ] || rm_tree "$leftover"
done

inputs_file=$env_root/.$dir_name.inputs
recorded_key="" recorded_sha="" recorded_rootfs_key=""
[ ! -f "$inputs_file" ] || read -r recorded_key recorded_sha recorded_rootfs_key < "$inputs_file" || true
installed_sha=$(manifest_field "$target/manifest.json" sha256)
installed_ok=0
if [ -n "$installed_sha" ] && [ "$recorded_sha" = "$installed_sha" ] && [ -f "$target/rootfs.ext4" ] \
   && [ -f "$target/vmlinux" ] && [ -f "$target/initrd.img" ]; then
  installed_ok=1
fi
if [ "$force" = 0 ] && [ "$installed_ok" = 1 ] && [ "$recorded_key" = "$inputs_key" ]; then
  log "environment \`$name\` is up to date (same inputs, sha256 $installed_sha); nothing to do"
  echo "$target"
  exit 0
fi

tmp=$(mktemp -d "$env_root/.$dir_name.tmp.XXXXXX")
stage=$tmp/$dir_name
root=$tmp/root
mkdir -p "$stage"
t_start=$SECONDS

# ---------------------------------------------------------------- root filesystem
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }  # quote for the hooks' `sh -c`

if [ "$force" = 0 ] && [ "$installed_ok" = 1 ] && [ "$recorded_rootfs_key" = "$rootfs_key" ] \
   && [ -n "$(manifest_field "$target/manifest.json" rootfs_sha256)" ]; then
  # Only the boot set changed: the root filesystem is still good, keep it (no copy).
  log "root filesystem unchanged; only the boot set changed (busybox sha256 $boot_sha)"
  ln "$target/rootfs.ext4" "$stage/rootfs.ext4" 2>/dev/null \
    || cp --sparse=always "$target/rootfs.ext4" "$stage/rootfs.ext4"
  rootfs_sha=$(manifest_field "$target/manifest.json" rootfs_sha256)
else
  # The download cache: cached .debs are hard-linked into the chroot's apt archive
  # before the download step (apt then skips them), and new ones are linked back out
  # before mmdebstrap's clean-up empties the archive. Best effort: a failure only
  # costs a download. Links appear atomically, so concurrent builds of other
  # environments sharing the cache never see half a file.
  hooks=$tmp/hooks
  mkdir -p "$hooks"
  cat > "$hooks/cache-in" <<'EOF'
#!/bin/sh
# cache-in CHROOT CACHE
set -u
mkdir -p "$1/var/cache/apt/archives"
for f in "$2"/*.deb; do
  [ -f "$f" ] || continue
  ln "$f" "$1/var/cache/apt/archives/" 2>/dev/null || cp -p "$f" "$1/var/cache/apt/archives/" || true
done
exit 0
EOF
  cat > "$hooks/cache-out" <<'EOF'
#!/bin/sh
# cache-out CHROOT CACHE
set -u
n=0
for f in "$1"/var/cache/apt/archives/*.deb; do
  [ -f "$f" ] || continue
  b=${f##*/}
  [ -e "$2/$b" ] && continue
  if ln "$f" "$2/$b" 2>/dev/null; then n=$((n + 1)); continue; fi
  cp -p "$f" "$2/.$b.partial.$$" 2>/dev/null && mv -f "$2/.$b.partial.$$" "$2/$b" && n=$((n + 1))
  rm -f "$2/.$b.partial.$$"
done
echo "build-rootfs: cached $n new package(s) in $2" >&2
exit 0
EOF
  # What the agent's root needs. Runs outside the chroot with $1 = the root.
  cat > "$hooks/customize" <<'EOF'
#!/bin/sh
# customize CHROOT
set -eu
r=$1
printf 'pyro\n' > "$r/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tpyro\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$r/etc/hosts"
# mmdebstrap copies the host's resolv.conf; /init writes the guest's when networking is on.
rm -f "$r/etc/resolv.conf"
: > "$r/etc/resolv.conf"
chmod 0644 "$r/etc/hostname" "$r/etc/hosts" "$r/etc/resolv.conf"
# An empty machine-id: there is no systemd here to fill it, and each VM is a fresh boot.
: > "$r/etc/machine-id"
chmod 0444 "$r/etc/machine-id"
mkdir -p "$r/workspace" "$r/.pyro" "$r/root" "$r/tmp" "$r/run" "$r/dev" "$r/proc" "$r/sys"
chmod 0755 "$r/workspace" "$r/.pyro"
chmod 0700 "$r/root"
chmod 1777 "$r/tmp"
# Documentation and translations are of no use to an agent and are a large part of
# the image; dpkg excludes them from later installs too.
mkdir -p "$r/etc/dpkg/dpkg.cfg.d"
cat > "$r/etc/dpkg/dpkg.cfg.d/90pyro-nodoc" <<'CFG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
CFG
chmod 0644 "$r/etc/dpkg/dpkg.cfg.d/90pyro-nodoc"
find "$r/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$r/usr/share/man" "$r/usr/share/info" 2>/dev/null || true
find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
# Byte-code caches are regenerated on demand (and would be written to the overlay).
find "$r/usr/lib" -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
rm -rf "$r/var/log/apt/eipp.log.xz" "$r/var/cache/debconf/"*-old 2>/dev/null || true
EOF
  chmod 0755 "$hooks"/*

  begin_stage "build rootfs"
  log "running mmdebstrap ($suite, $variant, ${#package_list[@]} packages)"
  mm=(mmdebstrap --mode=auto --variant="$variant" --format=directory
      --skip=essential/unlink
      --setup-hook="$(sq "$hooks/cache-in") \"\$1\" $(sq "$apt_cache")"
      --customize-hook="$(sq "$hooks/cache-out") \"\$1\" $(sq "$apt_cache")"
      --customize-hook="$(sq "$hooks/customize") \"\$1\"")
  [ ${#package_list[@]} = 0 ] || mm+=(--include="$packages")
  for o in "${aptopts[@]}"; do mm+=(--aptopt="$o"); done
  # mmdebstrap's progress lines ("I: ...") are prefixed so the caller can tell them apart.
  # setsid: not a group leader here, so it execs in place and $! is mmdebstrap's pid
  # and process group id.
  SOURCE_DATE_EPOCH=$EPOCH setsid "${mm[@]}" "$suite" "$root" "${mirrors[@]}" </dev/null \
    > >(sed -u 's/^/build-rootfs: mmdebstrap: /' >&2) 2>&1 &
  mm_pid=$!
  mm_status=0
  wait "$mm_pid" || mm_status=$?
  mm_pid=""
  [ "$mm_status" = 0 ] || die "run mmdebstrap: exit status $mm_status (see the lines above)"
  [ -d "$root/usr/bin" ] || die "run mmdebstrap: no root filesystem in \`$root\`"
  log "mmdebstrap done after $((SECONDS - t_start)) s"

  # Files the hooks touched carry today's time; clamp them so the image depends less on
  # when it was built.
  "${ns[@]}" find "$root" -newermt "@$EPOCH" -exec touch -h -d "@$EPOCH" {} +

  used=$("${ns[@]}" du -s --block-size=1 "$root" | cut -f1)
  nfiles=$("${ns[@]}" find "$root" -xdev | wc -l)
  # Used + 30% + 256 MiB, rounded up to whole MiB: room for the ext4 metadata and for
  # workspaces written on top later.
  size_mib=$(( (used * 13 / 10 + 256 * MIB + MIB - 1) / MIB ))
  # A UUID and directory hash seed derived from the inputs, and mke2fs's clock pinned,
  # instead of random values and the time of the build.
  uuid=$(sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/' <<< "$rootfs_key")
  # -T default: 4 KiB blocks at every size (below 512 MiB mke2fs would pick 1 KiB).
  mkfs=(mke2fs -q -t ext4 -T default -d "$root" -L pyro-root -U "$uuid" -m 0
        -E "root_owner=0:0,hash_seed=$uuid")
  # mke2fs's default of one inode per 16 KiB may be short for many small files.
  if [ $((nfiles * 3 / 2 + 4096)) -gt $((size_mib * MIB / 16384)) ]; then
    mkfs+=(-N $((nfiles * 3 / 2 + 4096)))
  fi
  begin_stage "make image"
  log "making ext4 image: $((used / MIB)) MiB used, $nfiles files, image ${size_mib} MiB"
  if [ ${#ns[@]} -gt 0 ]; then chmod 0777 "$stage"; fi  # the namespace's root writes it
  # (mke2fs says "Creating regular file" on stdout even with -q; stdout is for the path.)
  E2FSPROGS_FAKE_TIME=$EPOCH "${ns[@]}" "${mkfs[@]}" "$stage/rootfs.ext4" "${size_mib}M" >&2 \
    || die "make ext4 image \`$stage/rootfs.ext4\`: mke2fs failed"
  chmod 0755 "$stage"
  rm_tree "$root"
  log "hashing rootfs.ext4"
  rootfs_sha=$(sha256sum "$stage/rootfs.ext4" | cut -d' ' -f1)
fi
chmod 0644 "$stage/rootfs.ext4" 2>/dev/null || true

# ---------------------------------------------------------------- boot set
# The kernel and initramfs are the busybox environment's: hard links (same
# filesystem, no copy; a rebuilt boot set is a new inode, so these stay intact).
# A shared lock on busybox's builder lock: its files and manifest are read as one
# consistent set, never between the two renames of a busybox rebuild.
exec 8>>"$env_root/.$BOOT_ENV.lock"
flock -s 8
for f in vmlinux initrd.img manifest.json; do
  [ -f "$boot_dir/$f" ] || die "read boot set \`$boot_dir/$f\`: missing (removed during the build)"
done
new_boot_sha=$(manifest_field "$boot_dir/manifest.json" sha256)
if [ "$new_boot_sha" != "$boot_sha" ]; then
  log "the \`$BOOT_ENV\` boot set changed during the build; using the new one"
  boot_sha=$new_boot_sha
  inputs_key=$(printf '%s\n' "$rootfs_key" "boot_sha256=$boot_sha" "format=$FORMAT" \
    | sha256sum | cut -d' ' -f1)
fi
for f in vmlinux initrd.img; do
  ln "$boot_dir/$f" "$stage/$f" 2>/dev/null || cp -p "$boot_dir/$f" "$stage/$f"
done
vmlinux_sha=$(manifest_field "$boot_dir/manifest.json" vmlinux_sha256)
initrd_sha=$(manifest_field "$boot_dir/manifest.json" initrd_sha256)
[ -n "$vmlinux_sha" ] || vmlinux_sha=$(sha256sum "$stage/vmlinux" | cut -d' ' -f1)
[ -n "$initrd_sha" ] || initrd_sha=$(sha256sum "$stage/initrd.img" | cut -d' ' -f1)
kernel_version=$(manifest_field "$boot_dir/manifest.json" kernel_version)
kernel_package=$(manifest_field "$boot_dir/manifest.json" kernel_package)
kernel_package_version=$(manifest_field "$boot_dir/manifest.json" kernel_package_version)
agent_version=$(manifest_field "$boot_dir/manifest.json" agent_version)
busybox_version=$(manifest_field "$boot_dir/manifest.json" busybox_version)
exec 8>&-
case "$suite" in
  bookworm) version=12 ;; trixie) version=13 ;; bullseye) version=11 ;; *) version=$suite ;;
esac

# ---------------------------------------------------------------- manifest
# The content hash covers what the environment is (its inputs and its files), not
# when it was built.
content_sha=$(printf '%s\n' "format=$FORMAT" "kind=rootfs" "name=$name" "suite=$suite" \
  "variant=$variant" "packages=$packages" "script_version=$SCRIPT_VERSION" \
  "boot_sha256=$boot_sha" "vmlinux_sha256=$vmlinux_sha" "initrd_sha256=$initrd_sha" \
  "rootfs_sha256=$rootfs_sha" | sha256sum | cut -d' ' -f1)

existing=$(manifest_field "$target/manifest.json" sha256)
if [ "$force" = 0 ] && [ "$existing" = "$content_sha" ] && [ -f "$target/rootfs.ext4" ] \
   && [ -f "$target/vmlinux" ] && [ -f "$target/initrd.img" ]; then
  printf '%s %s %s\n' "$inputs_key" "$content_sha" "$rootfs_key" > "$inputs_file"
  log "environment \`$name\` is up to date (sha256 $content_sha); nothing to do"
  echo "$target"
  exit 0
fi

json_str() { # escape for a JSON string literal (our values are plain ASCII)
  local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"
}
packages_json=""
for p in "${package_list[@]}"; do packages_json+="${packages_json:+, }$(json_str "$p")"; done
rootfs_bytes=$(( $(stat -c %b "$stage/rootfs.ext4") * $(stat -c %B "$stage/rootfs.ext4") ))
write_manifest() { # size_bytes
  printf '{\n'
  printf '  "name": %s,\n' "$(json_str "$name")"
  printf '  "description": %s,\n' "$(json_str "Debian $version ($suite, $variant) root filesystem")"
  printf '  "kind": "rootfs",\n'
  printf '  "source": "catalog",\n'
  printf '  "version": %s,\n' "$(json_str "$version")"
  printf '  "suite": %s,\n' "$(json_str "$suite")"
  printf '  "variant": %s,\n' "$(json_str "$variant")"
  printf '  "packages": [%s],\n' "$packages_json"
  printf '  "kernel_version": %s,\n' "$(json_str "$kernel_version")"
  printf '  "kernel_package": %s,\n' "$(json_str "$kernel_package")"
  printf '  "kernel_package_version": %s,\n' "$(json_str "$kernel_package_version")"
  printf '  "agent_version": %s,\n' "$(json_str "$agent_version")"
  printf '  "busybox_version": %s,\n' "$(json_str "$busybox_version")"
  printf '  "boot_sha256": "%s",\n' "$boot_sha"
  printf '  "vmlinux_sha256": "%s",\n' "$vmlinux_sha"
  printf '  "initrd_sha256": "%s",\n' "$initrd_sha"
  printf '  "rootfs_sha256": "%s",\n' "$rootfs_sha"
  printf '  "rootfs_bytes": %d,\n' "$rootfs_bytes"
  printf '  "size_bytes": %d,\n' "$1"
  printf '  "script_version": %d,\n' "$SCRIPT_VERSION"
  printf '  "sha256": "%s",\n' "$content_sha"
  printf '  "built_at": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "format": %d\n' "$FORMAT"
  printf '}\n'
}
# size_bytes counts the manifest too: write it once to measure, then for real (the
# manifest's own size rounds to the same blocks).
write_manifest 0 > "$stage/manifest.json"
size_bytes=$(du -s --block-size=1 "$stage" | cut -f1)
write_manifest "$size_bytes" > "$stage/manifest.json"
chmod 0644 "$stage/manifest.json"
chmod 0755 "$stage"
sync -f "$stage/rootfs.ext4" "$stage/manifest.json" 2>/dev/null || true

# ---------------------------------------------------------------- install
# rename(2) cannot replace a non-empty directory, so move the old one aside first;
# both renames happen under the lock, and readers never see a partial directory.
if [ -e "$target" ]; then
  old=$(mktemp -u "$env_root/.$dir_name.old.XXXXXX")
  mv -T "$target" "$old"
  mv -T "$stage" "$target"
  rm_tree "$old"
else
  mv -T "$stage" "$target"
fi
printf '%s %s %s\n' "$inputs_key" "$content_sha" "$rootfs_key" > "$inputs_file"
log "built environment \`$name\` in $((SECONDS - t_start)) s: rootfs.ext4 $((rootfs_bytes / MIB)) MiB" \
  "allocated, directory $((size_bytes / MIB)) MiB, sha256 $content_sha"
echo "$target"
