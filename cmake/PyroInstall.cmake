# Install rules: headers, pyro::pyro and pyro::pyro_c with their CMake package and
# pkg-config files, the CLI, and the guest tools (docs/embedding.md). Shared and static
# builds are both exported: a static libpyro's dependencies come with it (find_dependency
# in pyroConfig.cmake, Requires.private/Libs.private in the .pc files).
include(CMakePackageConfigHelpers)
set(PYRO_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/pyro)
set(PYRO_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/pyro DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  PATTERN "*.in" EXCLUDE)
install(FILES ${PYRO_GENERATED_INCLUDE_DIR}/pyro/version_macros.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pyro)

set(_pyro_targets pyro)
if(TARGET pyro_c)
  list(APPEND _pyro_targets pyro_c)
endif()
install(TARGETS ${_pyro_targets} EXPORT pyroTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT pyroTargets NAMESPACE pyro:: DESTINATION ${PYRO_INSTALL_CMAKEDIR})

# pyroConfig.cmake: PYRO_SHARED tells it whether to find libpyro's dependencies.
set(PYRO_SHARED ${BUILD_SHARED_LIBS})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/pyroConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/pyroConfig.cmake INSTALL_DESTINATION ${PYRO_INSTALL_CMAKEDIR}
  PATH_VARS PYRO_INSTALL_LIBEXECDIR)
# 0.x: only the same minor is compatible (docs/api-stability.md); from 1.0 the same major.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_pyro_compat SameMinorVersion)
else()
  set(_pyro_compat SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pyroConfigVersion.cmake
  COMPATIBILITY ${_pyro_compat})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pyroConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/pyroConfigVersion.cmake
  DESTINATION ${PYRO_INSTALL_CMAKEDIR})

# pyro.pc (C++) and pyro_c.pc (C). The prefix is found from the .pc file's own place
# (${pcfiledir}), so `cmake --install --prefix` anywhere gives working files.
file(RELATIVE_PATH PYRO_PC_TO_PREFIX "/prefix/${PYRO_INSTALL_PKGCONFIGDIR}" "/prefix")
string(REGEX REPLACE "/$" "" PYRO_PC_TO_PREFIX "${PYRO_PC_TO_PREFIX}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(PYRO_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  set(PYRO_PC_PREFIX "\${pcfiledir}/${PYRO_PC_TO_PREFIX}")
endif()
if(BUILD_SHARED_LIBS)
  set(PYRO_PC_CFLAGS "")
  set(PYRO_PC_REQUIRES_PRIVATE "")
  set(PYRO_PC_LIBS_PRIVATE "")
  set(PYRO_C_PC_LIBS_PRIVATE "")
else()
  # What the static archives need: libpyro's dependencies and the C++ runtime
  # (for C programs over libpyro_c.a). fmt and libarchive as plain -l flags, not
  # Requires.private: `pkg-config --static` would then ask for libarchive's own
  # private libraries too (-lacl -lzstd ...), needless with a shared libarchive.
  set(PYRO_PC_CFLAGS " -DPYRO_STATIC_DEFINE")
  set(PYRO_PC_REQUIRES_PRIVATE "")
  set(PYRO_PC_LIBS_PRIVATE "-lfmt -larchive -pthread -lstdc++ -lm")
  set(PYRO_C_PC_LIBS_PRIVATE "")  # pyro_c.pc requires pyro.pc, whose flags come after
endif()
foreach(pc pyro pyro_c)
  if(TARGET ${pc})
    configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
    install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc DESTINATION ${PYRO_INSTALL_PKGCONFIGDIR})
  endif()
endforeach()

if(TARGET pyro_cli)
  install(TARGETS pyro_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
include(PyroGuestTools)
pyro_install_guest_tools(${PYRO_INSTALL_LIBEXECDIR})
