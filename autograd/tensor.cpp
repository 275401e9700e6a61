// tensor.cpp — storage, factories, accessors and printing of Tensor (see tensor.h).
// The autograd half of Tensor (backward, grad, detach) lives in autograd.cpp.
#include "autograd/tensor.h"

#include "autograd/allocator.h"
#include "autograd/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace hd {

int64_t numel_of(const Shape& shape) {
    // Checked: a size taken from a file or a flag must not wrap the product round to a
    // small (or negative) count that the allocation and every loop would then believe.
    int64_t n = 1;
    for (int64_t s : shape)
        if (__builtin_mul_overflow(n, s, &n))
            throw ShapeError(fmt::format("shape {} has more elements than a tensor can hold", shape_str(shape)));
    return n;
}

std::string shape_str(const Shape& shape) {
    std::string text = "(";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
    return text + ")";
}

// ---- Storage ----------------------------------------------------------------------

// Memory comes from the caching allocator (allocator.h): a training step frees and
// re-requests the same sizes every step, and reusing them avoids fresh-page faults.
Storage::Storage(int64_t count) : numel(count) {
    data = static_cast<float*>(allocate_block(static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(float)));
}

Storage::~Storage() { free_block(data, static_cast<size_t>(std::max<int64_t>(numel, 1)) * sizeof(float)); }

// ---- factories --------------------------------------------------------------------

namespace {
void check_shape(const Shape& shape, const char* what) {
    for (int64_t s : shape)
        if (s < 0) throw ShapeError(fmt::format("{}: negative size in shape {}", what, shape_str(shape)));
}
}  // namespace

Tensor Tensor::empty(const Shape& shape) {
    check_shape(shape, "Tensor::empty");
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = std::make_shared<Storage>(numel_of(shape));
    impl->shape = shape;
    return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, float value, bool requires_grad) {
    Tensor t = empty(shape);
    t.fill_(value);
    t.set_requires_grad(requires_grad);
    return t;
}

Tensor Tensor::zeros(const Shape& shape, bool requires_grad) { return full(shape, 0.0f, requires_grad); }
Tensor Tensor::ones(const Shape& shape, bool requires_grad) { return full(shape, 1.0f, requires_grad); }
Tensor Tensor::scalar(float value, bool requires_grad) { return full({}, value, requires_grad); }

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape, bool requires_grad) {
    if (static_cast<int64_t>(values.size()) != numel_of(shape))
        throw ShapeError(fmt::format("Tensor::from_vector: {} values cannot fill shape {} ({} elements)",
                                     values.size(), shape_str(shape), numel_of(shape)));
    Tensor t = empty(shape);
    std::copy(values.begin(), values.end(), t.data());
    t.set_requires_grad(requires_grad);
    return t;
}

Tensor Tensor::arange(int64_t n) {
    Tensor t = empty({n});
    for (int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<float>(i);
    return t;
}

Tensor Tensor::randn(const Shape& shape, Generator& gen, bool requires_grad) {
    Tensor t = empty(shape);
    float* out = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) out[i] = gen.normal(); // serial: the order is the contract
    t.set_requires_grad(requires_grad);
    return t;
}

Tensor Tensor::rand(const Shape& shape, Generator& gen, float low, float high, bool requires_grad) {
    Tensor t = empty(shape);
    float* out = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) out[i] = gen.uniform(low, high);
    t.set_requires_grad(requires_grad);
    return t;
}

// ---- shape and data ---------------------------------------------------------------

const TensorImpl& Tensor::checked() const {
    if (!impl_) throw std::logic_error("use of an undefined Tensor (default-constructed, or a missing gradient)");
    return *impl_;
}

const Shape& Tensor::shape() const { return checked().shape; }

int64_t Tensor::size(int64_t d) const {
    int64_t rank = dim();
    int64_t axis = d < 0 ? d + rank : d;
    if (axis < 0 || axis >= rank)
        throw ShapeError(fmt::format("size: dimension {} is out of range for shape {}", d, shape_str(shape())));
    return shape()[axis];
}

int64_t Tensor::numel() const { return numel_of(shape()); }
float* Tensor::data() { return checked().storage->data; }
const float* Tensor::data() const { return checked().storage->data; }

float Tensor::item() const {
    if (numel() != 1)
        throw ShapeError(fmt::format("item: tensor of shape {} has {} elements, not 1", shape_str(shape()), numel()));
    return data()[0];
}

float Tensor::at(std::initializer_list<int64_t> index) const {
    const Shape& s = shape();
    if (index.size() != s.size())
        throw ShapeError(fmt::format("at: {} indices for shape {}", index.size(), shape_str(s)));
    int64_t offset = 0;
    size_t d = 0;
    for (int64_t i : index) {
        if (i < 0 || i >= s[d])
            throw ShapeError(fmt::format("at: index {} out of range for dimension {} of shape {}", i, d, shape_str(s)));
        offset = offset * s[d] + i;
        ++d;
    }
    return data()[offset];
}

std::vector<float> Tensor::to_vector() const { return std::vector<float>(data(), data() + numel()); }

Tensor Tensor::clone() const {
    Tensor copy = empty(shape());
    std::memcpy(copy.data(), data(), sizeof(float) * numel());
    return copy;
}

void Tensor::fill_(float value) { std::fill(data(), data() + numel(), value); }

// ---- printing ---------------------------------------------------------------------

std::string Tensor::to_string() const {
    if (!impl_) return "Tensor(undefined)";
    std::string text = fmt::format("Tensor{} ", shape_str(shape()));
    const int64_t n = numel();
    const int64_t shown = 6; // first and last `shown` values of a long tensor
    text += "[";
    for (int64_t i = 0; i < n; ++i) {
        if (n > 2 * shown && i == shown) {
            text += fmt::format("... ({} more) ..., ", n - 2 * shown);
            i = n - shown; // jump to the tail, then print it
        }
        text += fmt::format("{:.5g}{}", data()[i], i + 1 < n ? ", " : "");
    }
    text += "]";
    if (impl_->grad_fn) text += fmt::format(" grad_fn={}", op_name());
    else if (impl_->requires_grad) text += " requires_grad";
    return text;
}

}  // namespace hd
