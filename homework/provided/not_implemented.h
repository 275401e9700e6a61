// not_implemented.h — what an unfinished Part throws.
//
// Every stub in homework/ throws hd::NotImplemented with the Part and the file in its
// message, e.g. "Part 2: LatentPrior::forward (homework/latent_prior.cpp)". It is an
// exception, not an assert, so no build type can remove it: an unfinished Part always
// fails loudly instead of returning garbage.
#pragma once

#include <stdexcept>
#include <string>

namespace hd {

struct NotImplemented : std::logic_error {
    explicit NotImplemented(const std::string& what) : std::logic_error("not implemented yet: " + what) {}
};

}  // namespace hd
