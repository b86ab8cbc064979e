// The one Catch2 main for every module's unit tests (foo_test.cc beside
// foo.cc).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
