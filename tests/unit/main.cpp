// The one doctest main of pyro_unit_tests; test cases live in the other unit/*.cpp files.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
