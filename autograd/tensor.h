// tensor.h — hdiff's Tensor: float32, any rank, row-major and contiguous, with
// shared storage and an optional autograd history.
//
// A Tensor is a cheap handle (one shared_ptr) to a TensorImpl. Copying a Tensor
// copies the handle, not the numbers: `Tensor b = a;` makes b and a the same tensor.
// Use clone() for a deep copy. reshape() returns a view that shares storage.
//
// What it does not do: strided views (every tensor is contiguous; permute and slice
// copy), dtypes other than float32, devices other than the CPU.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace hd {

using Shape = std::vector<int64_t>;

class Generator;
class Tensor;
struct Node;

/// Number of elements of a shape (1 for a scalar, shape {}); ShapeError when the product
/// overflows int64 (sizes from a file or a flag can be anything).
int64_t numel_of(const Shape& shape);
/// "(2,3,4)" — how every error message prints a shape.
std::string shape_str(const Shape& shape);

/// Thrown for every misuse of a tensor or an op: the message names the op and the
/// shapes involved, e.g. "matmul: (32,130) @ (128,256): inner dimensions differ".
struct ShapeError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/// A block of floats, 64-byte aligned so that AVX-512 loads never split a cache line.
struct Storage {
    explicit Storage(int64_t numel);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    float* data = nullptr;
    int64_t numel = 0;
};

/// The state behind a Tensor handle.
struct TensorImpl {
    std::shared_ptr<Storage> storage;
    Shape shape;
    bool requires_grad = false;       // a leaf the user wants .grad() for, or any op output on such a leaf
    std::shared_ptr<TensorImpl> grad; // accumulated gradient of a leaf
    std::shared_ptr<Node> grad_fn;    // the op that produced this tensor (null for leaves)
};

class Tensor {
public:
    Tensor() = default; // an undefined tensor; defined() is false
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

    // ---- factories ------------------------------------------------------------
    /// Uninitialised storage of the given shape (the op that creates it fills it).
    static Tensor empty(const Shape& shape);
    static Tensor zeros(const Shape& shape, bool requires_grad = false);
    static Tensor ones(const Shape& shape, bool requires_grad = false);
    static Tensor full(const Shape& shape, float value, bool requires_grad = false);
    static Tensor scalar(float value, bool requires_grad = false);
    /// Copies `values` (row-major) into a tensor of `shape`; sizes must agree.
    static Tensor from_vector(const std::vector<float>& values, const Shape& shape,
                              bool requires_grad = false);
    /// 0, 1, …, n-1 as floats, shape (n).
    static Tensor arange(int64_t n);
    /// Standard normal N(0,1) numbers from a seeded generator (see generator.h).
    static Tensor randn(const Shape& shape, Generator& gen, bool requires_grad = false);
    /// Uniform numbers in [low, high) from a seeded generator.
    static Tensor rand(const Shape& shape, Generator& gen, float low = 0.0f, float high = 1.0f,
                       bool requires_grad = false);

    // ---- shape and data -------------------------------------------------------
    bool defined() const { return impl_ != nullptr; }
    const Shape& shape() const;
    int64_t dim() const { return static_cast<int64_t>(shape().size()); }
    /// Size of dimension `d`; negative `d` counts from the end.
    int64_t size(int64_t d) const;
    int64_t numel() const;
    float* data();
    const float* data() const;
    /// The value of a one-element tensor.
    float item() const;
    /// Element at a multi-index (slow; for tests and debugging).
    float at(std::initializer_list<int64_t> index) const;
    std::vector<float> to_vector() const;
    /// A deep copy with no autograd history.
    Tensor clone() const;
    /// Fill every element with `value` (no autograd history is recorded).
    void fill_(float value);

    // ---- autograd -------------------------------------------------------------
    bool requires_grad() const;
    /// Marks a leaf as a parameter/input whose gradient backward() should keep.
    Tensor& set_requires_grad(bool value = true);
    bool is_leaf() const;
    /// The accumulated gradient of a leaf (undefined until a backward reaches it).
    Tensor grad() const;
    /// Drops the accumulated gradient (the next backward starts from zero).
    void zero_grad();
    /// Reverse-mode differentiation of a one-element tensor (upstream gradient 1).
    void backward() const;
    /// Reverse-mode differentiation with an explicit upstream gradient of this shape.
    void backward(const Tensor& grad_output) const;
    /// The same numbers, cut off from the graph (shares storage).
    Tensor detach() const;
    /// The name of the op that produced this tensor, or "leaf".
    std::string op_name() const;

    /// Readable dump for debugging: shape, then the values (long tensors abbreviated).
    std::string to_string() const;

    TensorImpl* impl() const { return impl_.get(); }
    const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

private:
    const TensorImpl& checked() const;
    std::shared_ptr<TensorImpl> impl_;
};

}  // namespace hd
