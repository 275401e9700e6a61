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
    /// `inputs` are the stub's parameters, passed only so that an unfinished stub uses
    /// them: the Part files compile with -Wunused-parameter, which is meant to flag an
    /// input a finished Part forgets (an unused `condition`), not the stub. They are
    /// ignored.
    template <typename... Inputs>
    explicit NotImplemented(const std::string& what, const Inputs&... /*inputs*/)
        : std::logic_error("not implemented yet: " + what) {}
};

}  // namespace hd
