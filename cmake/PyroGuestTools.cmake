# Installs the guest tools in the one layout libpyro looks for (lib/util/guest_tools.cpp):
#   <dest>/pyro-agent, <dest>/scripts/*.sh, <dest>/initramfs/*
function(pyro_install_guest_tools dest)
  if(TARGET pyro-agent)
    install(PROGRAMS $<TARGET_FILE:pyro-agent> DESTINATION ${dest})
  endif()
  if(TARGET pyro-jailer)
    install(PROGRAMS $<TARGET_FILE:pyro-jailer> DESTINATION ${dest})
  endif()
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/guest/scripts ${PROJECT_SOURCE_DIR}/guest/initramfs
    DESTINATION ${dest} USE_SOURCE_PERMISSIONS
    FILES_MATCHING PATTERN "*.sh" PATTERN "init" PATTERN "*.py")
endfunction()
