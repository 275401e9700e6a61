// module.h — the base of every layer and model: named parameters and sub-modules.
//
// A layer registers its parameters and sub-modules by name in its constructor:
//     weight = register_parameter("weight", …);
//     conv = register_module("conv", std::make_shared<Conv2d>(…));
// so named_parameters() can list every parameter of a model under a dotted name
// ("unet.res1.conv1.weight") in a stable order — the names a checkpoint stores.
// Parameters are updated in place (optimizers write through data()), so the
// Tensor handles a layer keeps stay valid for the life of the model.
#pragma once

#include "autograd/tensor.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hd {

class Module {
public:
    virtual ~Module() = default;
    Module() = default;
    Module(const Module&) = delete; // a copy would share parameters silently; models are held by pointer
    Module& operator=(const Module&) = delete;

    /// Every parameter of this module and its sub-modules, depth first, in registration order.
    std::vector<Tensor> parameters() const;
    /// The same, with dotted names: "<child>.<grandchild>.<parameter>".
    std::vector<std::pair<std::string, Tensor>> named_parameters() const;
    /// Total number of parameter values.
    int64_t parameter_count() const;
    /// Drops the gradients of every parameter.
    void zero_grad();
    /// Training or evaluation mode, for this module and every sub-module.
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

protected:
    /// Registers a parameter (marked requires_grad) and returns its handle.
    Tensor register_parameter(const std::string& name, Tensor value);
    /// Registers a sub-module and returns it.
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
        add_child(name, module);
        return module;
    }

private:
    void add_child(const std::string& name, std::shared_ptr<Module> child);
    void collect(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out) const;

    std::vector<std::pair<std::string, Tensor>> parameters_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

/// A module with one input and one output: what Sequential chains.
class UnaryModule : public Module {
public:
    virtual Tensor forward(const Tensor& x) = 0;
    Tensor operator()(const Tensor& x) { return forward(x); }
};

}  // namespace hd
