#!/usr/bin/env bash
# check_c_abi.sh <prefix>: the installed shared libraries keep docs/api-stability.md.
#   - SONAMEs: libpyro.so.$PYRO_SOVERSION, libpyro_c.so.$PYRO_C_SOVERSION;
#   - libpyro_c exports exactly the functions its installed headers declare, each with a
#     symbol version (cmake/pyro_c.map), and nothing else;
#   - libpyro exports no functions of its internals (the protocol, fmt, nlohmann).
set -euo pipefail
prefix="$1"
libdir="$prefix/${PYRO_LIBDIR:-lib}"
fail() { echo "check_c_abi: $*" >&2; exit 1; }

soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
[ "$(soname "$libdir/libpyro.so")" = "libpyro.so.$PYRO_SOVERSION" ] ||
  fail "libpyro.so's SONAME is \`$(soname "$libdir/libpyro.so")\`, expected \`libpyro.so.$PYRO_SOVERSION\`"
[ "$(soname "$libdir/libpyro_c.so")" = "libpyro_c.so.$PYRO_C_SOVERSION" ] ||
  fail "libpyro_c.so's SONAME is \`$(soname "$libdir/libpyro_c.so")\`, expected \`libpyro_c.so.$PYRO_C_SOVERSION\`"

# Defined dynamic symbols as "name@@VERSION" (version nodes themselves are type A).
exported="$(nm -D --defined-only --with-symbol-versions "$libdir/libpyro_c.so" | awk '$2 != "A" {print $3}' | sort)"
unversioned="$(echo "$exported" | grep -v '^pyro_[a-z0-9_]*@@PYRO_[0-9]*\.[0-9]*$' || true)"
[ -z "$unversioned" ] || fail "libpyro_c.so exports symbols without a PYRO_x.y version or outside pyro_*: $unversioned"
declared="$(grep -rhoE '^PYRO_EXTERN\([^)]*\)\s*\**\s*pyro_[a-z0-9_]+' "$prefix/include/pyro/c" |
  grep -oE 'pyro_[a-z0-9_]+$' | sort -u)"
names="$(echo "$exported" | sed 's/@@.*//' | sort -u)"
[ "$names" = "$declared" ] || fail "libpyro_c.so's exports differ from the functions its headers declare (< exported, > declared):
$(diff <(echo "$names") <(echo "$declared") | grep '^[<>]')"

# Functions only (type T): typeinfo of lambdas in std::function has vague linkage.
internal="$(nm -DC --defined-only "$libdir/libpyro.so" | awk '$2 == "T"' | grep -E ' (pyro::protocol|fmt::|nlohmann::)' || true)"
[ -z "$internal" ] || fail "libpyro.so exports internals: $(echo "$internal" | head -5)"
echo "ok: C ABI: $(echo "$names" | wc -l) functions, versions $(echo "$exported" | sed 's/.*@@//' | sort -u | tr '\n' ' ')"
