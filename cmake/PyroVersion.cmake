# The one version source is project(pyro VERSION ...) in the top-level CMakeLists.txt.
# From it come the headers' macros (a generated pyro/version_macros.h), the guest
# agent's version, pyproject's version (scikit-build-core's regex provider reads
# CMakeLists.txt) and the tests. The ABI numbers below follow docs/api-stability.md.

# libpyro (C++): while the project is 0.x every minor release may change the C++ ABI
# (option aggregates grow), so the SONAME carries the minor: libpyro.so.0.3. From 1.0
# on it is the major alone.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(PYRO_SOVERSION "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
else()
  set(PYRO_SOVERSION "${PROJECT_VERSION_MAJOR}")
endif()
# libpyro_c (C): the C ABI only grows; each function carries the symbol version of the
# release that added it (cmake/pyro_c.map). This number changes only if a symbol is
# ever removed or changes meaning.
set(PYRO_C_SOVERSION 1)

set(PYRO_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/include)
configure_file(${PROJECT_SOURCE_DIR}/include/pyro/version_macros.h.in
  ${PYRO_GENERATED_INCLUDE_DIR}/pyro/version_macros.h @ONLY)
