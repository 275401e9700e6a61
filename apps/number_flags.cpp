// number_flags.cpp — whole numbers and reals on the command line mean what they say.
//
// CLI11 (2.1) reads an integer flag with strtoll/strtoull: 99999999999999999999 becomes
// INT64_MAX, -1 for an unsigned seed becomes 2^64 - 1, and 010 is octal 8. A float flag
// takes 1e400 and turns it into infinity. refuse_out_of_range_numbers puts a check in
// front of every such flag, so those are refused with the text the user typed.
#include "apps/commands.h"

#include <fmt/format.h>

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>

namespace hd::cli {

namespace {

// Whole numbers: decimal digits only, within Integer's range, rewritten without leading
// zeros so that CLI11 never reads them as octal.
template <class Integer>
std::string check_whole_number(std::string& text, const std::string& name) {
    const std::string range = fmt::format("a whole number from {} to {}", std::numeric_limits<Integer>::min(),
                                          std::numeric_limits<Integer>::max());
    Integer value{};
    const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc::result_out_of_range || (std::is_unsigned_v<Integer> && text.rfind('-', 0) == 0))
        return fmt::format("{} {} is out of range (valid: {})", name, text, range);
    if (error != std::errc() || stop != text.data() + text.size())
        return fmt::format("{} {} is not a whole number (valid: {}, in digits)", name, text, range);
    text = std::to_string(value);
    return {};
}

// Reals: what CLI11 parses, but not beyond float's range (it would become infinity).
// NaN and infinity written as such pass, for each option's own range check to name.
std::string check_real_number(const std::string& text, const std::string& name) {
    char* stop = nullptr;
    const long double value = std::strtold(text.c_str(), &stop);
    if (text.empty() || stop != text.c_str() + text.size()) return {}; // CLI11 says it is not a number
    if (std::isfinite(value) && std::fabs(value) > FLT_MAX)
        return fmt::format("{} {} is out of range (valid: a number of magnitude at most {:g})", name, text, FLT_MAX);
    return {};
}

}  // namespace

void refuse_out_of_range_numbers(CLI::App& app) {
    for (CLI::Option* option : app.get_options()) {
        const std::string type = option->get_type_name();
        const std::string name = option->get_name();
        if (type == "INT" || type == "UINT") {
            auto check = type == "UINT" ? check_whole_number<uint64_t> : check_whole_number<int64_t>;
            option->transform(CLI::Validator([name, check](std::string& text) { return check(text, name); }, ""));
        } else if (type == "FLOAT") {
            option->check(CLI::Validator([name](std::string& text) { return check_real_number(text, name); }, ""));
        }
    }
    for (CLI::App* command : app.get_subcommands({})) refuse_out_of_range_numbers(*command);
}

}  // namespace hd::cli
