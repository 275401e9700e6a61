// module.cpp — see module.h.
#include "nn/module.h"

#include <fmt/format.h>

#include <stdexcept>

namespace hd {

namespace {
void check_name(const std::string& name, const char* what) {
    if (name.empty() || name.find('.') != std::string::npos)
        throw std::invalid_argument(fmt::format("{} name '{}' must be non-empty and contain no '.'", what, name));
}
}  // namespace

Tensor Module::register_parameter(const std::string& name, Tensor value) {
    check_name(name, "parameter");
    for (const auto& [existing, _] : parameters_)
        if (existing == name) throw std::invalid_argument(fmt::format("parameter '{}' is registered twice", name));
    value.set_requires_grad(true);
    parameters_.emplace_back(name, value);
    return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> child) {
    check_name(name, "module");
    if (!child) throw std::invalid_argument(fmt::format("module '{}' is null", name));
    for (const auto& [existing, _] : children_)
        if (existing == name) throw std::invalid_argument(fmt::format("module '{}' is registered twice", name));
    children_.emplace_back(name, std::move(child));
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const {
    for (const auto& [name, tensor] : parameters_) out.emplace_back(prefix + name, tensor);
    for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
    std::vector<std::pair<std::string, Tensor>> out;
    collect("", out);
    return out;
}

std::vector<Tensor> Module::parameters() const {
    std::vector<Tensor> out;
    for (auto& [name, tensor] : named_parameters()) out.push_back(tensor);
    return out;
}

int64_t Module::parameter_count() const {
    int64_t total = 0;
    for (const Tensor& p : parameters()) total += p.numel();
    return total;
}

void Module::zero_grad() {
    for (Tensor p : parameters()) p.zero_grad();
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [name, child] : children_) child->train(on);
}

}  // namespace hd
