// The one translation unit that holds Catch2's main().
//
// The console is 160 columns wide instead of Catch2's 80: the Part tests' messages carry
// long numbers (-1.999990000138129e-06) and formulas, and at 80 columns Catch2 wraps
// them in the middle ("expected 6." / "214611598414441"). Catch2 reads the width only
// where the reporters are compiled, which is here.
#define CATCH_CONFIG_CONSOLE_WIDTH 160
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
