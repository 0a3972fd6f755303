# Strict warnings for every first-party target (included before any add_subdirectory,
# so lib, capi, tools, guest, tests, bench, examples and the Python module all get them;
# third-party headers come from Debian's system include directories and stay quiet).
#
# Not in the set: -Wconversion/-Wsign-conversion. On this code (sizes, byte counts, fds
# and libc/libarchive APIs mixing int, ssize_t, size_t and uint64_t) they flag hundreds
# of correct lines, and the casts that would silence them hide the real narrowing bugs
# they are meant to find; bounds are checked explicitly where data comes from a guest.
# -Wmissing-field-initializers is off for C++: gcc 12 flags the members a C++20
# designated initializer leaves to their default member initializers, which is
# the point of writing `VmInfo{.vm_id = ..., .network = ...}`.
option(PYRO_WERROR "Treat compiler warnings as errors (scripts/test.sh turns this on)" OFF)

set(PYRO_WARNINGS_COMMON -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wimplicit-fallthrough
    -Wundef -Wcast-qual -Wmissing-include-dirs)
set(PYRO_WARNINGS_CXX -Wnon-virtual-dtor -Woverloaded-virtual -Wextra-semi -Wno-missing-field-initializers)
add_compile_options(
  "$<$<COMPILE_LANGUAGE:C,CXX>:${PYRO_WARNINGS_COMMON}>"
  "$<$<COMPILE_LANGUAGE:CXX>:${PYRO_WARNINGS_CXX}>")
if(PYRO_WERROR)
  add_compile_options(-Werror)
endif()
