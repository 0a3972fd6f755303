# Install rules: headers, pyro::pyro and pyro::pyro_c, the CLI, and the guest agent
# (as data: it is copied into boot sets, never executed on the host).
include(CMakePackageConfigHelpers)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/pyro DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(_pyro_targets pyro)
if(TARGET pyro_c)
  list(APPEND _pyro_targets pyro_c)
endif()
install(TARGETS ${_pyro_targets} EXPORT pyroTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(BUILD_SHARED_LIBS)
  install(EXPORT pyroTargets NAMESPACE pyro:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pyro)
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/pyroConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/pyroConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pyro)
  write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pyroConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pyroConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/pyroConfigVersion.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/pyro)
endif()
if(TARGET pyro_cli)
  install(TARGETS pyro_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
include(PyroGuestTools)
pyro_install_guest_tools(${PYRO_INSTALL_LIBEXECDIR})
