# Every third-party dependency comes from Debian packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Boost 1.74 REQUIRED)            # Boost.Process is header-only
find_package(LibArchive REQUIRED)
