#!/usr/bin/env bash
# install_test.sh (ctest `packaging_install`): pyro installed as an embedder gets it.
# For a shared build (this build tree, `cmake --install`) and a static one (a second,
# library-only configure of the same sources), it installs into a fresh prefix, then:
#   - builds examples/c, examples/cpp and consumer/ out of tree with find_package(pyro CONFIG),
#   - builds examples/c and consumer/ with `pkg-config pyro_c` / `pkg-config pyro`,
#   - runs the consumers (version check and one call that needs no VM),
#   - checks the C ABI of the shared libraries (check_c_abi.sh).
# Environment (set by tests/packaging/CMakeLists.txt): PYRO_SOURCE_DIR, PYRO_BUILD_DIR,
# PYRO_WORK_DIR, PYRO_CMAKE, PYRO_GENERATOR, PYRO_BUILD_TYPE, PYRO_VERSION,
# PYRO_SOVERSION, PYRO_C_SOVERSION, CC, CXX.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$PYRO_WORK_DIR"
mkdir -p "$work"
# The consumers' one call lists environments: an empty home of their own.
export PYRO_HOME="$work/home"
rm -rf "$PYRO_HOME" && mkdir -p "$PYRO_HOME"

fail() { echo "install_test: $*" >&2; exit 1; }

configure() {  # configure <source> <build> [cmake args...]
  local src="$1" bld="$2"; shift 2
  "$PYRO_CMAKE" -S "$src" -B "$bld" -G "$PYRO_GENERATOR" -DCMAKE_BUILD_TYPE="$PYRO_BUILD_TYPE" \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" "$@" >"$bld.configure.log" 2>&1 ||
    { cat "$bld.configure.log" >&2; fail "configure $src failed"; }
}

build() {  # build <build dir>
  "$PYRO_CMAKE" --build "$1" >"$1.build.log" 2>&1 || { cat "$1.build.log" >&2; fail "build $1 failed"; }
}

# The consumer prints "<name> <version> <count>"; the version must be this project's.
run_consumer() {  # run_consumer <binary> <name>
  local out
  out="$("$1")" || fail "$1 failed"
  [ "$(echo "$out" | cut -d' ' -f1-2)" = "$2 $PYRO_VERSION" ] || fail "$1 printed \`$out\`, expected \`$2 $PYRO_VERSION ...\`"
  echo "ok: $1: $out"
}

check_prefix() {  # check_prefix <kind> <prefix>
  local kind="$1" prefix="$2" out="$work/$1/out" pcflags=()
  rm -rf "$out" && mkdir -p "$out"
  # find_package(pyro CONFIG): the examples and the consumer, each a project of its own.
  for project in examples/c examples/cpp; do
    local bld="$out/$(basename "$project")"
    mkdir -p "$bld"
    configure "$PYRO_SOURCE_DIR/$project" "$bld" -DCMAKE_PREFIX_PATH="$prefix"
    build "$bld"
  done
  [ -x "$out/c/example_c_workspace" ] && [ -x "$out/cpp/example_cpp_run" ] || fail "$kind: examples not built"
  mkdir -p "$out/consumer"
  configure "$here/consumer" "$out/consumer" -DCMAKE_PREFIX_PATH="$prefix"
  build "$out/consumer"
  run_consumer "$out/consumer/consumer_c" pyro_c
  run_consumer "$out/consumer/consumer_cpp" pyro

  # pkg-config: the plain link line for a shared build, --static for a static one.
  export PKG_CONFIG_PATH="$prefix/$PYRO_LIBDIR/pkgconfig"
  [ "$kind" = static ] && pcflags=(--static)
  [ "$(pkg-config --modversion pyro_c)" = "$PYRO_VERSION" ] || fail "$kind: pyro_c.pc has the wrong version"
  local libdir rpath=()
  libdir="$(pkg-config --variable=libdir pyro_c)"
  [ "$kind" = shared ] && rpath=(-Wl,-rpath,"$libdir")
  # shellcheck disable=SC2046  # pkg-config's output is a list of words
  "$CC" -std=c99 -Wall -Werror -o "$out/pc_example_c_workspace" "$PYRO_SOURCE_DIR/examples/c/workspace.c" \
    $(pkg-config "${pcflags[@]}" --cflags --libs pyro_c) "${rpath[@]}" || fail "$kind: pkg-config pyro_c build failed"
  "$CC" -std=c99 -Wall -Werror -o "$out/pc_consumer_c" "$here/consumer/consumer.c" \
    $(pkg-config "${pcflags[@]}" --cflags --libs pyro_c) "${rpath[@]}" || fail "$kind: pkg-config pyro_c build failed"
  "$CXX" -std=c++20 -Wall -Werror -o "$out/pc_consumer_cpp" "$here/consumer/consumer.cpp" \
    $(pkg-config "${pcflags[@]}" --cflags --libs pyro) "${rpath[@]}" || fail "$kind: pkg-config pyro build failed"
  run_consumer "$out/pc_consumer_c" pyro_c
  run_consumer "$out/pc_consumer_cpp" pyro
  unset PKG_CONFIG_PATH
}

# Shared: this build tree, installed.
rm -rf "$work/shared" && mkdir -p "$work/shared"
"$PYRO_CMAKE" --install "$PYRO_BUILD_DIR" --prefix "$work/shared/prefix" >"$work/shared/install.log" ||
  fail "cmake --install $PYRO_BUILD_DIR failed"
"$here/check_c_abi.sh" "$work/shared/prefix"
check_prefix shared "$work/shared/prefix"

# Static: the library alone (kept between runs, so a rerun only rebuilds what changed).
static_build="$work/static-build"
mkdir -p "$static_build"
configure "$PYRO_SOURCE_DIR" "$static_build" -DBUILD_SHARED_LIBS=OFF -DPYRO_INSTALL=ON \
  -DPYRO_BUILD_TESTS=OFF -DPYRO_BUILD_PYTHON=OFF -DPYRO_BUILD_TOOLS=OFF -DPYRO_BUILD_GUEST=OFF \
  -DPYRO_BUILD_BENCH=OFF -DPYRO_BUILD_EXAMPLES=OFF -DPYRO_WERROR=ON
build "$static_build"
rm -rf "$work/static/prefix"
"$PYRO_CMAKE" --install "$static_build" --prefix "$work/static/prefix" >"$work/static-install.log" ||
  fail "cmake --install $static_build failed"
[ -f "$work/static/prefix/$PYRO_LIBDIR/libpyro.a" ] && [ -f "$work/static/prefix/$PYRO_LIBDIR/libpyro_c.a" ] ||
  fail "static: libpyro.a or libpyro_c.a not installed"
check_prefix static "$work/static/prefix"
echo "install_test: ok"
