// bench_onednn.cpp — hdiff's conv2d kernels beside oneDNN's own convolution primitives.
//
// PyTorch 1.13 reaches oneDNN only through NCHW <-> blocked reorders on every call, so
// it understates what oneDNN can do. This benchmark calls oneDNN (Debian's libdnnl 2.6)
// directly, the way a framework built on it would: every tensor in the memory format
// oneDNN prefers for the primitive (format_tag::any), with the reorders from and to NCHW
// done once, outside the timed loop. hdiff's kernels run on plain NCHW buffers, as they
// do in training.
//
// For each of the ten UNet conv shapes (batch 32, 3x3, stride 1, padding 1) it times the
// three passes of a training step — forward (with bias), backward-data, backward-weights
// (without bias: hdiff computes the bias gradient in a separate, cheap pass) — as the
// median of --reps runs after a warm-up, checks that both libraries computed the same
// numbers, and prints per pass the ratio oneDNN ms / hdiff ms (above 1: hdiff is faster).
// FLOPs are direct-convolution FLOPs, 2·B·Cout·H'·W'·Cin·K², whatever algorithm runs.
//
// oneDNN is a benchmark reference only: this target exists when the build is configured
// with -DHD_BENCH_ONEDNN=ON (apt-get install libdnnl-dev); nothing else links it.
// Usage: hd_bench_onednn [--reps N] [--shape Cin,Cout,H]; threads: OMP_NUM_THREADS.
#include "autograd/kernels/conv2d.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using hd::kernels::Conv2dShape;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

double median_seconds(int reps, const std::function<void()>& fn) {
    fn(); // warm-up: first-touch pages, oneDNN's JIT, caches
    std::vector<double> times;
    for (int r = 0; r < reps; ++r) {
        const auto start = std::chrono::steady_clock::now();
        fn();
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

std::vector<float> random_buffer(size_t count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(count);
    for (float& f : v) f = dist(rng);
    return v;
}

// The largest |a - b| relative to the largest |b|: both libraries must agree to fp32
// rounding, or the timings compare different computations.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
    double diff = 0.0, scale = 1e-30;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, double(std::fabs(a[i] - b[i])));
        scale = std::max(scale, double(std::fabs(b[i])));
    }
    return diff / scale;
}

// One tensor in both worlds: a user buffer in a plain format (NCHW / OIHW / X) and, if
// the primitive prefers another layout, oneDNN's own copy in that layout.
struct Operand {
    dnnl::memory user, prim;
    Operand(const dnnl::memory::desc& user_desc, const dnnl::memory::desc& prim_desc, dnnl::engine& engine, float* data)
        : user(user_desc, engine, data), prim(prim_desc == user_desc ? user : dnnl::memory(prim_desc, engine)) {}
    bool reordered() const { return prim != user; }
    void to_primitive(dnnl::stream& stream) {
        if (reordered()) dnnl::reorder(user, prim).execute(stream, user, prim);
    }
    void to_user(dnnl::stream& stream) {
        if (reordered()) dnnl::reorder(prim, user).execute(stream, prim, user);
    }
};

struct PassTimes {
    double forward = 0, backward_data = 0, backward_weights = 0;
    double total() const { return forward + backward_data + backward_weights; }
};

struct ShapeResult {
    PassTimes hdiff, onednn;
    double max_difference = 0.0; // over the three passes
};

// The inputs of one shape's three passes, and each library's outputs.
struct Buffers {
    std::vector<float> x, w, bias, grad_y;              // inputs, NCHW / OIHW
    std::vector<float> y, grad_x, grad_w;               // hdiff's outputs
    std::vector<float> y_dnnl, grad_x_dnnl, grad_w_dnnl; // oneDNN's, reordered back to NCHW / OIHW
    explicit Buffers(const Conv2dShape& s)
        : x(random_buffer(size_t(s.batch * s.in_channels * s.height * s.width), 1)),
          w(random_buffer(size_t(s.out_channels * s.in_channels * s.kernel * s.kernel), 2)),
          bias(random_buffer(size_t(s.out_channels), 3)),
          grad_y(random_buffer(size_t(s.batch * s.out_channels * s.out_height() * s.out_width()), 4)),
          y(grad_y.size()), grad_x(x.size()), grad_w(w.size()), y_dnnl(y.size()), grad_x_dnnl(x.size()),
          grad_w_dnnl(w.size()) {}
};

// hdiff, on NCHW buffers, as in training.
PassTimes time_hdiff(const Conv2dShape& s, Buffers& b, int reps) {
    PassTimes t;
    t.forward = median_seconds(reps, [&] { hd::kernels::conv2d_forward(s, b.x.data(), b.w.data(), b.bias.data(), b.y.data()); });
    t.backward_data =
        median_seconds(reps, [&] { hd::kernels::conv2d_backward_input(s, b.grad_y.data(), b.w.data(), b.grad_x.data()); });
    t.backward_weights =
        median_seconds(reps, [&] { hd::kernels::conv2d_backward_weight(s, b.x.data(), b.grad_y.data(), b.grad_w.data()); });
    return t;
}

// oneDNN: primitive descriptors with format_tag::any, so it picks its layouts; the
// reorders into them and back out happen outside the timed loops.
PassTimes time_onednn(const Conv2dShape& s, Buffers& b, int reps, dnnl::engine& engine, dnnl::stream& stream) {
    const dnnl::memory::dims src_dims{s.batch, s.in_channels, s.height, s.width};
    const dnnl::memory::dims weight_dims{s.out_channels, s.in_channels, s.kernel, s.kernel};
    const dnnl::memory::dims dst_dims{s.batch, s.out_channels, s.out_height(), s.out_width()};
    const dnnl::memory::dims strides{s.stride, s.stride}, padding{s.padding, s.padding};
    const dnnl::memory::desc any_src(src_dims, dt::f32, tag::any), any_weights(weight_dims, dt::f32, tag::any),
        any_dst(dst_dims, dt::f32, tag::any), plain_bias({s.out_channels}, dt::f32, tag::x);
    const dnnl::memory::desc user_src(src_dims, dt::f32, tag::nchw), user_weights(weight_dims, dt::f32, tag::oihw),
        user_dst(dst_dims, dt::f32, tag::nchw);
    const auto direct = dnnl::algorithm::convolution_direct;
    const dnnl::convolution_forward::primitive_desc forward_pd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, direct, any_src, any_weights, plain_bias,
                                        any_dst, strides, padding, padding),
        engine);
    const dnnl::convolution_backward_data::primitive_desc data_pd(
        dnnl::convolution_backward_data::desc(direct, any_src, any_weights, any_dst, strides, padding, padding), engine,
        forward_pd);
    const dnnl::convolution_backward_weights::primitive_desc weights_pd(
        dnnl::convolution_backward_weights::desc(direct, any_src, any_weights, any_dst, strides, padding, padding),
        engine, forward_pd);

    dnnl::memory bias_memory(plain_bias, engine, b.bias.data());
    Operand src(user_src, forward_pd.src_desc(), engine, b.x.data());
    Operand weights(user_weights, forward_pd.weights_desc(), engine, b.w.data());
    Operand dst(user_dst, forward_pd.dst_desc(), engine, b.y_dnnl.data());
    Operand data_weights(user_weights, data_pd.weights_desc(), engine, b.w.data());
    Operand data_diff_dst(user_dst, data_pd.diff_dst_desc(), engine, b.grad_y.data());
    Operand data_diff_src(user_src, data_pd.diff_src_desc(), engine, b.grad_x_dnnl.data());
    Operand weights_src(user_src, weights_pd.src_desc(), engine, b.x.data());
    Operand weights_diff_dst(user_dst, weights_pd.diff_dst_desc(), engine, b.grad_y.data());
    Operand weights_diff_weights(user_weights, weights_pd.diff_weights_desc(), engine, b.grad_w_dnnl.data());
    for (Operand* operand : {&src, &weights, &data_weights, &data_diff_dst, &weights_src, &weights_diff_dst})
        operand->to_primitive(stream);
    stream.wait();

    auto timed = [&](const dnnl::primitive& primitive, const std::unordered_map<int, dnnl::memory>& arguments) {
        return median_seconds(reps, [&] {
            primitive.execute(stream, arguments);
            stream.wait();
        });
    };
    PassTimes t;
    t.forward = timed(dnnl::convolution_forward(forward_pd), {{DNNL_ARG_SRC, src.prim}, {DNNL_ARG_WEIGHTS, weights.prim},
                                                              {DNNL_ARG_BIAS, bias_memory}, {DNNL_ARG_DST, dst.prim}});
    t.backward_data = timed(dnnl::convolution_backward_data(data_pd), {{DNNL_ARG_DIFF_DST, data_diff_dst.prim},
                                                                       {DNNL_ARG_WEIGHTS, data_weights.prim},
                                                                       {DNNL_ARG_DIFF_SRC, data_diff_src.prim}});
    t.backward_weights = timed(dnnl::convolution_backward_weights(weights_pd),
                               {{DNNL_ARG_SRC, weights_src.prim}, {DNNL_ARG_DIFF_DST, weights_diff_dst.prim},
                                {DNNL_ARG_DIFF_WEIGHTS, weights_diff_weights.prim}});
    for (Operand* operand : {&dst, &data_diff_src, &weights_diff_weights}) operand->to_user(stream);
    stream.wait();
    return t;
}

ShapeResult run_shape(const Conv2dShape& s, int reps, dnnl::engine& engine, dnnl::stream& stream) {
    Buffers buffers(s);
    ShapeResult result;
    result.hdiff = time_hdiff(s, buffers, reps);
    result.onednn = time_onednn(s, buffers, reps, engine, stream);
    // Both computed the same thing.
    result.max_difference = std::max({relative_difference(buffers.y_dnnl, buffers.y),
                                      relative_difference(buffers.grad_x_dnnl, buffers.grad_x),
                                      relative_difference(buffers.grad_w_dnnl, buffers.grad_w)});
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 7;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--shape" && i + 1 < argc) only = argv[++i];
        else {
            std::fprintf(stderr, "usage: %s [--reps N] [--shape Cin,Cout,H]\n", argv[0]);
            return 2;
        }
    }
    const dnnl_version_t* version = dnnl_version();
    std::printf("hd_bench_onednn: %d OpenMP threads; oneDNN %d.%d.%d (CPU runtime %s, ISA %s)\n", omp_get_max_threads(),
                version->major, version->minor, version->patch,
                version->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other", std::getenv("ONEDNN_MAX_CPU_ISA") ? std::getenv("ONEDNN_MAX_CPU_ISA") : "best available");
    dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    dnnl::stream stream(engine);

    struct Case { int64_t cin, cout, size; };
    const Case cases[] = {{3, 32, 64},   {32, 32, 64},   {32, 64, 32},  {64, 64, 32}, {64, 128, 16},
                          {128, 128, 16}, {16, 16, 64}, {16, 32, 32}, {32, 64, 16}, {64, 64, 16}};
    std::printf("batch 32, 3x3, stride 1, padding 1; median of %d; ratio = oneDNN ms / hdiff ms (> 1: hdiff faster)\n", reps);
    std::printf("%-12s | %8s %8s %6s | %8s %8s %6s | %8s %8s %6s | %8s %8s %6s | %8s\n", "Cin,Cout,H", "hd fwd", "dnnl",
                "ratio", "hd bwdD", "dnnl", "ratio", "hd bwdW", "dnnl", "ratio", "hd all", "dnnl", "ratio", "max diff");
    double hdiff_total = 0, onednn_total = 0, weakest = 1e30;
    std::string weakest_pass;
    for (const Case& c : cases) {
        char name[32];
        std::snprintf(name, sizeof name, "%ld,%ld,%ld", long(c.cin), long(c.cout), long(c.size));
        if (!only.empty() && only != name) continue;
        const Conv2dShape shape{.batch = 32, .in_channels = c.cin, .out_channels = c.cout, .height = c.size,
                                .width = c.size, .kernel = 3, .stride = 1, .padding = 1};
        const ShapeResult r = run_shape(shape, reps, engine, stream);
        const double pass_ratios[3] = {r.onednn.forward / r.hdiff.forward, r.onednn.backward_data / r.hdiff.backward_data,
                                       r.onednn.backward_weights / r.hdiff.backward_weights};
        const char* pass_names[3] = {"fwd", "bwdD", "bwdW"};
        for (int p = 0; p < 3; ++p)
            if (pass_ratios[p] < weakest) weakest = pass_ratios[p], weakest_pass = std::string(name) + " " + pass_names[p];
        std::printf("%-12s | %8.2f %8.2f %6.2f | %8.2f %8.2f %6.2f | %8.2f %8.2f %6.2f | %8.2f %8.2f %6.2f | %8.1e\n", name,
                    r.hdiff.forward * 1e3, r.onednn.forward * 1e3, pass_ratios[0], r.hdiff.backward_data * 1e3,
                    r.onednn.backward_data * 1e3, pass_ratios[1], r.hdiff.backward_weights * 1e3,
                    r.onednn.backward_weights * 1e3, pass_ratios[2], r.hdiff.total() * 1e3, r.onednn.total() * 1e3,
                    r.onednn.total() / r.hdiff.total(), r.max_difference);
        hdiff_total += r.hdiff.total();
        onednn_total += r.onednn.total();
    }
    std::printf("all shapes: hdiff %.1f ms, oneDNN %.1f ms -> ratio %.2f; weakest pass: %s at %.2f\n", hdiff_total * 1e3,
                onednn_total * 1e3, onednn_total / hdiff_total, weakest_pass.c_str(), weakest);
    return 0;
}
