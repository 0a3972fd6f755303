# Sanitizer and fuzzing builds (scripts/test.sh configures them in build-asan with clang).
#   PYRO_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on everything, and any
#                  UB report aborts (-fno-sanitize-recover), so a test that triggers it fails.
#   PYRO_BUILD_FUZZ: the libFuzzer targets in tests/fuzz (clang only); every other
#                  object gets coverage instrumentation (fuzzer-no-link) so the
#                  fuzzers see the library's branches.
option(PYRO_SANITIZE "Build with -fsanitize=address,undefined" OFF)
option(PYRO_BUILD_FUZZ "Build the libFuzzer targets in tests/fuzz (clang)" OFF)

if(PYRO_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
  if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
    # C programs over libpyro_c (C++ inside) need the sanitizers' C++ runtime parts,
    # which clang links only into C++ programs by default.
    add_link_options("$<$<LINK_LANGUAGE:C>:-fsanitize-link-c++-runtime>" "$<$<LINK_LANGUAGE:C>:-lstdc++>")
  endif()
endif()
if(PYRO_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PYRO_BUILD_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
