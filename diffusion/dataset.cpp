// dataset.cpp — procedural rendering of the dog/cat/car/truck images, the dataset's
// bookkeeping (anchors, p_data, references, batches) and the nearest-reference classifier.
//
// The rasteriser: every shape is a signed distance function d(p) (negative inside), and a
// pixel is covered by clamp(0.5 - d/pixel, 0, 1) of it — the fraction of a one-pixel-wide
// ramp across the edge, which anti-aliases every edge with one evaluation per pixel and
// works unchanged at any image size. Shapes are painted back to front (painter's
// algorithm). Each object is drawn in its own "object space" (facing right, feet on the
// line y = 0, about one unit wide) and a similarity transform places it on the canvas.
//
// Shape legend: S image side, R references per mode, N images to classify.
#include "diffusion/dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace hd {

namespace {

// ============================================================================================
// 1. A tiny anti-aliased rasteriser
// ============================================================================================

struct Vec2 {
    float x = 0.0f, y = 0.0f;
};
Vec2 operator+(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
Vec2 operator-(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
Vec2 operator*(Vec2 a, float s) { return {a.x * s, a.y * s}; }
float dot(Vec2 a, Vec2 b) { return a.x * b.x + a.y * b.y; }
float length(Vec2 a) { return std::sqrt(dot(a, a)); }
Vec2 rotate(Vec2 p, float angle) {
    float c = std::cos(angle), s = std::sin(angle);
    return {c * p.x - s * p.y, s * p.x + c * p.y};
}

/// A colour with channels in [0, 1] (converted to [-1, 1] only when the image is finished).
struct Rgb {
    float r = 0.0f, g = 0.0f, b = 0.0f;
};
Rgb scaled(Rgb c, float k) { return {c.r * k, c.g * k, c.b * k}; }
Rgb mix(Rgb a, Rgb b, float t) {
    return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

/// Axis-aligned bounds of a shape, in the shape's own space.
struct Box {
    Vec2 lo, hi;
};

/// A similarity transform (rotation, uniform scale, optional mirror, translation) that
/// maps object space to canvas space (the unit square, y pointing down).
struct Transform {
    float a = 1.0f, b = 0.0f, c = 0.0f, d = 1.0f;  // linear part [a b; c d]
    float tx = 0.0f, ty = 0.0f;
    float scale = 1.0f;

    Vec2 apply(Vec2 p) const { return {a * p.x + b * p.y + tx, c * p.x + d * p.y + ty}; }
    // A similarity matrix M satisfies Mᵀ M = scale² I, so M⁻¹ = Mᵀ / scale².
    Vec2 invert(Vec2 q) const {
        float x = q.x - tx, y = q.y - ty, inv = 1.0f / (scale * scale);
        return {(a * x + c * y) * inv, (b * x + d * y) * inv};
    }
    /// This transform applied after `local` (local space -> this space -> canvas).
    Transform then(const Transform& local) const {
        Transform r;
        r.a = a * local.a + b * local.c;
        r.b = a * local.b + b * local.d;
        r.c = c * local.a + d * local.c;
        r.d = c * local.b + d * local.d;
        Vec2 t = apply({local.tx, local.ty});
        r.tx = t.x;
        r.ty = t.y;
        r.scale = scale * local.scale;
        return r;
    }
};

/// Place object space at `origin` with a scale, a rotation and an optional left-right mirror.
Transform place(Vec2 origin, float scale, float angle = 0.0f, bool mirror = false) {
    float c = std::cos(angle) * scale, s = std::sin(angle) * scale, m = mirror ? -1.0f : 1.0f;
    Transform t;
    t.a = c * m;
    t.b = -s;
    t.c = s * m;
    t.d = c;
    t.tx = origin.x;
    t.ty = origin.y;
    t.scale = scale;
    return t;
}

// ---- shapes: distance(p) < 0 inside, in object units; bounds() encloses the shape ----------

struct Circle {
    Vec2 centre;
    float radius;
    float distance(Vec2 p) const { return length(p - centre) - radius; }
    Box bounds() const { return {centre - Vec2{radius, radius}, centre + Vec2{radius, radius}}; }
};

/// A rotated ellipse. The distance is the usual first-order approximation
/// k0 (k0 - 1) / k1 (k0 = |p/r|, k1 = |p/r²|), exact on the boundary, which is all the
/// anti-aliasing ramp needs.
struct Ellipse {
    Vec2 centre;
    Vec2 radii;
    float angle = 0.0f;
    float distance(Vec2 p) const {
        Vec2 q = rotate(p - centre, -angle);
        float k0 = length({q.x / radii.x, q.y / radii.y});
        float k1 = length({q.x / (radii.x * radii.x), q.y / (radii.y * radii.y)});
        if (k1 == 0.0f) return -std::min(radii.x, radii.y);
        return k0 * (k0 - 1.0f) / k1;
    }
    Box bounds() const {
        float r = std::max(radii.x, radii.y);
        return {centre - Vec2{r, r}, centre + Vec2{r, r}};
    }
};

/// A rectangle with rounded corners, rotated about its centre.
struct RoundedBox {
    Vec2 centre;
    Vec2 half;  // half width, half height (including the rounding)
    float radius = 0.0f;
    float angle = 0.0f;
    float distance(Vec2 p) const {
        Vec2 q = rotate(p - centre, -angle);
        float qx = std::abs(q.x) - half.x + radius, qy = std::abs(q.y) - half.y + radius;
        float outside = length({std::max(qx, 0.0f), std::max(qy, 0.0f)});
        return outside + std::min(std::max(qx, qy), 0.0f) - radius;
    }
    Box bounds() const {
        float r = length(half);
        return {centre - Vec2{r, r}, centre + Vec2{r, r}};
    }
};

/// Every point within `radius` of the segment a–b: legs, tails, whiskers, lines.
struct Capsule {
    Vec2 a, b;
    float radius;
    float distance(Vec2 p) const {
        Vec2 pa = p - a, ba = b - a;
        float h = std::clamp(dot(pa, ba) / std::max(dot(ba, ba), 1e-12f), 0.0f, 1.0f);
        return length(pa - ba * h) - radius;
    }
    Box bounds() const {
        return {Vec2{std::min(a.x, b.x) - radius, std::min(a.y, b.y) - radius},
                Vec2{std::max(a.x, b.x) + radius, std::max(a.y, b.y) + radius}};
    }
};

/// A simple polygon of up to 8 vertices (ears, cabins, windows). The distance is the
/// nearest edge, negated inside; inside-ness is the even-odd crossing rule.
struct Polygon {
    static constexpr int kMaxVertices = 8;
    std::array<Vec2, kMaxVertices> v{};
    int count = 0;
    Polygon(std::initializer_list<Vec2> points) {
        if (points.size() < 3 || points.size() > kMaxVertices)
            throw std::logic_error("Polygon: needs 3 to 8 vertices");
        for (Vec2 p : points) v[count++] = p;
    }
    float distance(Vec2 p) const {
        float nearest = dot(p - v[0], p - v[0]);
        bool inside = false;
        for (int i = 0, j = count - 1; i < count; j = i++) {
            Vec2 e = v[j] - v[i], w = p - v[i];
            float h = std::clamp(dot(w, e) / dot(e, e), 0.0f, 1.0f);
            Vec2 off = w - e * h;
            nearest = std::min(nearest, dot(off, off));
            // Does a ray from p towards +x cross edge i–j?
            if ((v[i].y > p.y) != (v[j].y > p.y) &&
                p.x < v[i].x + (p.y - v[i].y) * (v[j].x - v[i].x) / (v[j].y - v[i].y))
                inside = !inside;
        }
        return inside ? -std::sqrt(nearest) : std::sqrt(nearest);
    }
    Box bounds() const {
        Box box{v[0], v[0]};
        for (int i = 1; i < count; ++i) {
            box.lo = {std::min(box.lo.x, v[i].x), std::min(box.lo.y, v[i].y)};
            box.hi = {std::max(box.hi.x, v[i].x), std::max(box.hi.y, v[i].y)};
        }
        return box;
    }
    /// The same polygon shrunk towards its vertex centroid (inner ears, window insets).
    Polygon shrunk(float factor) const {
        Vec2 centroid;
        for (int i = 0; i < count; ++i) centroid = centroid + v[i] * (1.0f / count);
        Polygon r = *this;
        for (int i = 0; i < count; ++i) r.v[i] = centroid + (v[i] - centroid) * factor;
        return r;
    }
};

/// An S×S RGB image (three planes, channel-major) that shapes are painted onto.
class Canvas {
public:
    Canvas(int size, float* rgb) : size_(size), rgb_(rgb) {}

    /// Every pixel set to `colour` — the first paint, since the storage starts uninitialised
    /// and every later paint blends with what is there.
    void fill(Rgb colour) {
        for (int i = 0, n = size_ * size_; i < n; ++i) set(i, colour);
    }

    /// Vertical gradient from `top` at y0 to `bottom` at y1 (canvas units), drawn over that
    /// band only, with anti-aliased first and last rows.
    void fill_gradient(float y0, float y1, Rgb top, Rgb bottom) {
        int row0 = std::max(0, static_cast<int>(std::floor(y0 * size_)));
        int row1 = std::min(size_, static_cast<int>(std::ceil(y1 * size_)));
        for (int y = row0; y < row1; ++y) {
            float cy = (y + 0.5f) / size_;
            float cover = std::clamp((cy - y0) * size_ + 0.5f, 0.0f, 1.0f) *
                          std::clamp((y1 - cy) * size_ + 0.5f, 0.0f, 1.0f);
            Rgb c = mix(top, bottom, std::clamp((cy - y0) / (y1 - y0), 0.0f, 1.0f));
            for (int x = 0; x < size_; ++x) blend(x, y, c, cover);
        }
    }

    /// Paint `shape` (given in object space, placed by `to_canvas`) in `colour`.
    /// `softness` widens the edge ramp, in pixels (1 = crisp anti-aliased edge).
    template <class Shape>
    void draw(const Shape& shape, const Transform& to_canvas, Rgb colour, float opacity = 1.0f,
              float softness = 1.0f) {
        // 1. Pixel bounding box: the four transformed corners of the shape's bounds.
        Box box = shape.bounds();
        float lo_x = 1e9f, lo_y = 1e9f, hi_x = -1e9f, hi_y = -1e9f;
        for (Vec2 corner : {box.lo, box.hi, Vec2{box.lo.x, box.hi.y}, Vec2{box.hi.x, box.lo.y}}) {
            Vec2 q = to_canvas.apply(corner);
            lo_x = std::min(lo_x, q.x), lo_y = std::min(lo_y, q.y);
            hi_x = std::max(hi_x, q.x), hi_y = std::max(hi_y, q.y);
        }
        float margin = softness / size_;
        int x0 = std::max(0, static_cast<int>(std::floor((lo_x - margin) * size_)));
        int y0 = std::max(0, static_cast<int>(std::floor((lo_y - margin) * size_)));
        int x1 = std::min(size_, static_cast<int>(std::ceil((hi_x + margin) * size_)));
        int y1 = std::min(size_, static_cast<int>(std::ceil((hi_y + margin) * size_)));
        // 2. Coverage of each pixel centre from the signed distance, measured in pixels.
        float pixels_per_unit = to_canvas.scale * size_;
        for (int y = y0; y < y1; ++y) {
            for (int x = x0; x < x1; ++x) {
                Vec2 p = to_canvas.invert({(x + 0.5f) / size_, (y + 0.5f) / size_});
                float d = shape.distance(p) * pixels_per_unit;
                float cover = std::clamp(0.5f - d / softness, 0.0f, 1.0f);
                if (cover > 0.0f) blend(x, y, colour, cover * opacity);
            }
        }
    }

private:
    void set(int i, Rgb c) {
        int plane = size_ * size_;
        rgb_[i] = c.r;
        rgb_[plane + i] = c.g;
        rgb_[2 * plane + i] = c.b;
    }
    void blend(int x, int y, Rgb c, float alpha) {
        int plane = size_ * size_, i = y * size_ + x;
        rgb_[i] += (c.r - rgb_[i]) * alpha;
        rgb_[plane + i] += (c.g - rgb_[plane + i]) * alpha;
        rgb_[2 * plane + i] += (c.b - rgb_[2 * plane + i]) * alpha;
    }

    int size_;
    float* rgb_;
};

// ============================================================================================
// 2. The four scenes
// ============================================================================================

// The per-image random stream: SplitMix64 mixes (seed, mode, index) into one Generator seed,
// so neighbouring indices give unrelated images. Every draw below is its own statement (or
// the one draw of an expression): C++ leaves the order of function arguments unspecified,
// and two draws in one argument list would make the images depend on the compiler.
uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

bool chance(Generator& gen, float p) { return gen.uniform() < p; }

template <size_t N>
Rgb pick(Generator& gen, const std::array<Rgb, N>& palette) {
    return palette[gen.integer(static_cast<uint32_t>(N))];
}

/// A palette colour with mild brightness and per-channel jitter, so no two objects match.
Rgb jittered(Generator& gen, Rgb c, float brightness, float channel) {
    float k = gen.uniform(1.0f - brightness, 1.0f + brightness);
    return {std::clamp(c.r * k + gen.uniform(-channel, channel), 0.0f, 1.0f),
            std::clamp(c.g * k + gen.uniform(-channel, channel), 0.0f, 1.0f),
            std::clamp(c.b * k + gen.uniform(-channel, channel), 0.0f, 1.0f)};
}

// Each mode has its own palette (warm browns, cool greys, reds/blues, yellow/orange/green cabs):
// a person recognises the shapes, but the pixel nearest-reference classifier leans on
// colour too, and disjoint palettes keep it reliable without shrinking the pose variety.
constexpr std::array<Rgb, 5> kDogCoats = {{{0.80f, 0.62f, 0.40f},    // tan
                                            {0.86f, 0.68f, 0.36f},   // golden
                                            {0.45f, 0.29f, 0.18f},   // chocolate
                                            {0.66f, 0.38f, 0.20f},   // rust
                                            {0.28f, 0.22f, 0.18f}}};  // dark brown
constexpr std::array<Rgb, 4> kCatCoats = {{{0.55f, 0.56f, 0.60f},    // grey
                                            {0.33f, 0.33f, 0.37f},   // charcoal
                                            {0.70f, 0.72f, 0.78f},   // silver-blue
                                            {0.16f, 0.16f, 0.19f}}};  // black
constexpr std::array<Rgb, 4> kCarBodies = {{{0.80f, 0.18f, 0.16f},   // red
                                             {0.20f, 0.36f, 0.74f},  // blue
                                             {0.56f, 0.12f, 0.20f},  // maroon
                                             {0.16f, 0.50f, 0.58f}}};  // teal
constexpr std::array<Rgb, 3> kTruckCabs = {{{0.93f, 0.76f, 0.18f},   // yellow
                                             {0.92f, 0.50f, 0.14f},  // orange
                                             {0.32f, 0.58f, 0.28f}}};  // green
constexpr std::array<Rgb, 3> kTruckBoxes = {{{0.92f, 0.92f, 0.90f},  // white
                                              {0.80f, 0.81f, 0.83f},  // light grey
                                              {0.88f, 0.82f, 0.68f}}};  // beige
constexpr Rgb kNearBlack = {0.10f, 0.09f, 0.09f};
constexpr Rgb kTyre = {0.12f, 0.12f, 0.13f};

/// Sky above a horizon and ground below it, both soft gradients in unsaturated colours.
void draw_background(Canvas& canvas, Generator& gen) {
    float horizon = gen.uniform(0.50f, 0.62f);
    float shade = gen.uniform(-0.04f, 0.04f);
    auto tint = [&](Rgb c) {
        return jittered(gen, {c.r + shade, c.g + shade, c.b + shade}, 0.0f, 0.025f);
    };
    Rgb sky_top = tint({0.64f, 0.75f, 0.88f});
    Rgb sky_low = tint({0.86f, 0.89f, 0.92f});
    static constexpr std::array<std::array<Rgb, 2>, 3> kGrounds = {{
        {{{0.63f, 0.70f, 0.53f}, {0.52f, 0.60f, 0.44f}}},   // meadow
        {{{0.80f, 0.75f, 0.62f}, {0.70f, 0.64f, 0.52f}}},   // sand
        {{{0.68f, 0.68f, 0.66f}, {0.57f, 0.57f, 0.56f}}},   // pavement
    }};
    const auto& ground = kGrounds[gen.integer(3)];
    Rgb ground_near_horizon = tint(ground[0]);
    Rgb ground_bottom = tint(ground[1]);
    canvas.fill(sky_low);
    canvas.fill_gradient(0.0f, horizon, sky_top, sky_low);
    canvas.fill_gradient(horizon, 1.0f, ground_near_horizon, ground_bottom);
}

/// A soft shadow under the object: grounds it, and it is cheap.
void draw_shadow(Canvas& canvas, const Transform& t, float half_width) {
    canvas.draw(Ellipse{{0.0f, 0.0f}, {half_width, 0.035f}}, t, {0.15f, 0.15f, 0.15f}, 0.28f, 3.0f);
}

/// Where an object of half-width `half_width` (object units) stands: scale, a horizontal
/// position that keeps it inside the frame, a ground line, and a random facing.
Transform place_object(Generator& gen, float half_width, float min_scale, float max_scale) {
    float scale = gen.uniform(min_scale, max_scale);
    float slack = std::max(0.0f, 0.48f - half_width * scale);
    float x = 0.5f + gen.uniform(-slack, slack);
    float ground = gen.uniform(0.76f, 0.92f);
    bool facing_left = chance(gen, 0.5f);
    return place({x, ground}, scale, 0.0f, facing_left);
}

// Dog: standing side view. Long body on four legs, head with a long snout and a floppy
// ear hanging down, tail up.
void draw_dog(Canvas& canvas, Generator& gen) {
    // Nose to tail tip spans about x in [-0.44, 0.56]; the shift centres it.
    Transform t = place_object(gen, 0.50f, 0.80f, 0.96f).then(place({-0.06f, 0.0f}, 1.0f));
    Rgb coat = jittered(gen, pick(gen, kDogCoats), 0.08f, 0.03f);
    Rgb ear = chance(gen, 0.6f) ? scaled(coat, 0.55f) : scaled(coat, 0.8f);
    Rgb far = scaled(coat, 0.78f);

    float leg = gen.uniform(0.16f, 0.22f);
    float body_len = gen.uniform(0.46f, 0.58f);
    float body_h = gen.uniform(0.105f, 0.135f);
    float body_y = -(leg + body_h * 0.55f);
    float stride = gen.uniform(-0.35f, 0.35f);  // leg swing: a walking pose
    float hip = body_len * 0.5f - 0.085f;

    draw_shadow(canvas, t, body_len * 0.6f);
    // Tail: two segments rising from the rump, elevated by `lift` above horizontal.
    float lift = gen.uniform(0.45f, 1.35f), bend = gen.uniform(-0.5f, 0.3f);
    Vec2 tail0 = {-body_len * 0.5f + 0.03f, body_y - body_h * 0.45f};
    Vec2 tail1 = tail0 + Vec2{-std::cos(lift), -std::sin(lift)} * 0.11f;
    Vec2 tail2 = tail1 + Vec2{-std::cos(lift + bend), -std::sin(lift + bend)} * 0.10f;
    canvas.draw(Capsule{tail0, tail1, 0.027f}, t, coat);
    canvas.draw(Capsule{tail1, tail2, 0.022f}, t, coat);
    // Far legs (darker, behind the body), body, near legs.
    auto leg_capsule = [&](float x, float swing) {
        Vec2 top = {x, body_y};
        Vec2 foot = {x + std::sin(swing) * leg, -0.032f};
        return Capsule{top, foot, 0.037f};
    };
    canvas.draw(leg_capsule(hip + 0.03f, -stride), t, far);
    canvas.draw(leg_capsule(-hip + 0.03f, stride), t, far);
    canvas.draw(Ellipse{{0.0f, body_y}, {body_len * 0.5f, body_h}}, t, coat);
    canvas.draw(leg_capsule(hip, stride), t, coat);
    canvas.draw(leg_capsule(-hip, -stride), t, coat);
    if (chance(gen, 0.4f))  // a pale chest
        canvas.draw(Ellipse{{hip, body_y + 0.02f}, {0.06f, 0.075f}}, t,
                    jittered(gen, {0.93f, 0.88f, 0.80f}, 0.03f, 0.02f));

    // Neck and head.
    Vec2 neck = {body_len * 0.5f - 0.06f, body_y - body_h * 0.3f};
    Vec2 head = {body_len * 0.5f + 0.07f, body_y - body_h - gen.uniform(0.05f, 0.11f)};
    canvas.draw(Capsule{neck, head, 0.06f}, t, coat);
    if (chance(gen, 0.6f)) {  // a collar across the neck
        static constexpr std::array<Rgb, 3> kCollars = {{{0.80f, 0.15f, 0.15f},
                                                          {0.15f, 0.35f, 0.80f},
                                                          {0.20f, 0.60f, 0.25f}}};
        Vec2 along = (head - neck) * (1.0f / length(head - neck));
        Vec2 across = {-along.y, along.x};
        Vec2 centre = neck + (head - neck) * 0.6f;
        canvas.draw(Capsule{centre - across * 0.055f, centre + across * 0.055f, 0.016f}, t,
                    pick(gen, kCollars));
    }
    Transform h = t.then(place(head, 1.0f, gen.uniform(-0.15f, 0.2f)));
    float snout = gen.uniform(0.075f, 0.10f);
    canvas.draw(Ellipse{{0.0f, 0.0f}, {0.10f, 0.085f}}, h, coat);
    canvas.draw(Ellipse{{0.09f, 0.03f}, {snout, 0.047f}, 0.12f}, h, coat);
    canvas.draw(Circle{{0.085f + snout, 0.03f}, 0.024f}, h, kNearBlack);   // nose
    canvas.draw(Circle{{0.035f, -0.025f}, 0.017f}, h, kNearBlack);         // eye
    canvas.draw(Ellipse{{-0.035f, 0.025f}, {0.038f, 0.085f}, gen.uniform(0.1f, 0.45f)}, h, ear);
}

// Cat: sitting, face towards the viewer. Round face with two pointed ears, eyes,
// a small nose and whiskers; pear-shaped body; tail curled on the ground beside it.
void draw_cat(Canvas& canvas, Generator& gen) {
    Transform t = place_object(gen, 0.38f, 0.82f, 0.98f);
    Rgb coat = jittered(gen, pick(gen, kCatCoats), 0.08f, 0.025f);
    float lightness = (coat.r + coat.g + coat.b) / 3.0f;
    Rgb light = mix(coat, {0.95f, 0.94f, 0.92f}, 0.35f);
    Rgb stripe = scaled(coat, 0.62f);
    bool tabby = lightness > 0.3f && chance(gen, 0.5f);

    draw_shadow(canvas, t, 0.3f);
    // Tail: curls from the back of the body along the ground and up at the end.
    float curl = gen.uniform(0.08f, 0.22f);
    Vec2 tail[4] = {{-0.10f, -0.05f}, {-0.28f, -0.035f}, {-0.36f, -0.035f - curl * 0.5f},
                    {-0.34f, -0.035f - curl}};
    for (int i = 0; i < 3; ++i) canvas.draw(Capsule{tail[i], tail[i + 1], 0.03f}, t, coat);
    // Body: haunch behind, upright chest in front, two front paws.
    canvas.draw(Ellipse{{-0.06f, -0.12f}, {0.19f, 0.12f}}, t, coat);
    canvas.draw(Ellipse{{0.0f, -0.22f}, {0.17f, 0.21f}}, t, coat);
    if (tabby)
        for (int i = 0; i < 3; ++i) {
            float y = -0.30f + 0.07f * i;
            canvas.draw(Capsule{{-0.16f, y}, {-0.08f, y + 0.02f}, 0.014f}, t, stripe);
        }
    canvas.draw(Ellipse{{0.02f, -0.22f}, {0.08f, 0.13f}}, t, mix(coat, light, 0.7f));
    canvas.draw(Ellipse{{-0.045f, -0.03f}, {0.055f, 0.032f}}, t, light);
    canvas.draw(Ellipse{{0.075f, -0.03f}, {0.055f, 0.032f}}, t, light);

    // Head in its own frame: tilted, turned a little towards the facing side.
    float turn = gen.uniform(0.0f, 0.05f);
    float tilt = gen.uniform(-0.2f, 0.2f);
    Transform h = t.then(place({turn, -0.52f}, 1.0f, tilt));
    float ear_spread = gen.uniform(-0.02f, 0.02f);
    Rgb inner_ear = {0.88f, 0.62f, 0.64f};
    for (float side : {-1.0f, 1.0f}) {
        Polygon ear{{side * 0.155f, -0.02f},
                    {side * (0.135f + ear_spread), -0.215f},
                    {side * 0.03f, -0.115f}};
        canvas.draw(ear, h, coat);
        canvas.draw(ear.shrunk(0.5f), h, inner_ear);
    }
    canvas.draw(Ellipse{{0.0f, 0.0f}, {0.165f, 0.145f}}, h, coat);
    if (tabby)
        for (float x : {-0.04f, 0.0f, 0.04f})
            canvas.draw(Capsule{{x, -0.125f}, {x * 0.8f, -0.075f}, 0.012f}, h, stripe);
    canvas.draw(Ellipse{{0.0f, 0.065f}, {0.075f, 0.048f}}, h, light);  // muzzle
    static constexpr std::array<Rgb, 3> kEyes = {{{0.55f, 0.78f, 0.30f},
                                                   {0.88f, 0.72f, 0.22f},
                                                   {0.45f, 0.70f, 0.80f}}};
    Rgb eye = pick(gen, kEyes);
    for (float side : {-1.0f, 1.0f}) {
        canvas.draw(Ellipse{{side * 0.065f, -0.015f}, {0.032f, 0.027f}}, h, eye);
        canvas.draw(Ellipse{{side * 0.065f, -0.015f}, {0.009f, 0.023f}}, h, kNearBlack);
    }
    canvas.draw(Polygon{{-0.024f, 0.03f}, {0.024f, 0.03f}, {0.0f, 0.056f}}, h, {0.85f, 0.50f, 0.55f});
    Rgb whisker = lightness > 0.45f ? Rgb{0.22f, 0.22f, 0.24f} : Rgb{0.92f, 0.92f, 0.90f};
    for (float side : {-1.0f, 1.0f})
        for (int k = 0; k < 3; ++k)
            canvas.draw(Capsule{{side * 0.06f, 0.06f + 0.012f * k},
                                {side * 0.23f, 0.025f + 0.04f * k}, 0.007f},
                        h, whisker);
}

/// A wheel: dark tyre, rim, hub.
void draw_wheel(Canvas& canvas, const Transform& t, Vec2 centre, float radius, Rgb rim) {
    canvas.draw(Circle{centre, radius}, t, kTyre);
    canvas.draw(Circle{centre, radius * 0.55f}, t, rim);
    canvas.draw(Circle{centre, radius * 0.18f}, t, scaled(rim, 0.5f));
}

// Car: low sedan in side view. Long low body, a cabin with two side windows, two wheels.
void draw_car(Canvas& canvas, Generator& gen) {
    float half = gen.uniform(0.44f, 0.50f);
    Transform t = place_object(gen, half, 0.80f, 0.94f);
    Rgb body = jittered(gen, pick(gen, kCarBodies), 0.08f, 0.03f);
    Rgb glass = jittered(gen, chance(gen, 0.7f) ? Rgb{0.74f, 0.84f, 0.92f} : Rgb{0.36f, 0.42f, 0.50f},
                         0.05f, 0.02f);
    Rgb rim = chance(gen, 0.7f) ? Rgb{0.78f, 0.78f, 0.80f} : Rgb{0.30f, 0.30f, 0.32f};
    float wheel_r = gen.uniform(0.082f, 0.095f);
    float wheel_x = half * gen.uniform(0.58f, 0.66f);

    draw_shadow(canvas, t, half * 1.02f);
    // Cabin (trapezoid, sloping windscreen); a hatchback has a steeper rear.
    float roof = -gen.uniform(0.32f, 0.36f);
    float rear_base = -half * gen.uniform(0.60f, 0.72f);
    float rear_top = chance(gen, 0.3f) ? rear_base + 0.04f : -half * gen.uniform(0.36f, 0.44f);
    float front_top = half * gen.uniform(0.12f, 0.22f);
    float front_base = half * gen.uniform(0.46f, 0.54f);
    Polygon cabin{{rear_base, -0.19f}, {rear_top, roof}, {front_top, roof}, {front_base, -0.19f}};
    canvas.draw(cabin, t, body);
    Polygon window{{rear_base + 0.045f, -0.195f}, {rear_top + 0.028f, roof + 0.022f},
                   {front_top - 0.012f, roof + 0.022f}, {front_base - 0.055f, -0.195f}};
    canvas.draw(window, t, glass);
    float pillar = (rear_top + front_top) * 0.5f + 0.02f;
    canvas.draw(Capsule{{pillar, roof}, {pillar - 0.01f, -0.19f}, 0.014f}, t, body);
    // Body, wheel arches, wheels, lights, door line.
    canvas.draw(RoundedBox{{0.0f, -0.135f}, {half, 0.075f}, 0.05f}, t, body);
    if (chance(gen, 0.25f))  // a stripe along the side
        canvas.draw(RoundedBox{{0.0f, -0.14f}, {half - 0.03f, 0.012f}, 0.01f}, t,
                    mix(body, {0.95f, 0.95f, 0.95f}, 0.7f));
    for (float x : {-wheel_x, wheel_x}) {
        canvas.draw(Circle{{x, -wheel_r}, wheel_r + 0.016f}, t, scaled(body, 0.35f));
        draw_wheel(canvas, t, {x, -wheel_r}, wheel_r, rim);
    }
    canvas.draw(RoundedBox{{half - 0.025f, -0.17f}, {0.026f, 0.017f}, 0.01f}, t, {0.98f, 0.93f, 0.62f});
    canvas.draw(RoundedBox{{-half + 0.018f, -0.17f}, {0.018f, 0.02f}, 0.008f}, t, {0.85f, 0.12f, 0.10f});
    Rgb trim = scaled(body, 0.55f);
    canvas.draw(Capsule{{pillar - 0.01f, -0.19f}, {pillar - 0.01f, -0.08f}, 0.005f}, t, trim);
    canvas.draw(Capsule{{pillar + 0.035f, -0.165f}, {pillar + 0.07f, -0.165f}, 0.007f}, t, trim);
}

// Truck: box truck in side view. Tall cab at the front, long cargo box behind it,
// three or four wheels on a dark chassis.
void draw_truck(Canvas& canvas, Generator& gen) {
    Transform t = place_object(gen, 0.50f, 0.78f, 0.92f);
    Rgb cab = jittered(gen, pick(gen, kTruckCabs), 0.08f, 0.03f);
    Rgb box = jittered(gen, pick(gen, kTruckBoxes), 0.04f, 0.02f);
    Rgb glass = jittered(gen, {0.74f, 0.84f, 0.92f}, 0.05f, 0.02f);
    Rgb chassis = {0.24f, 0.24f, 0.26f};
    float wheel_r = gen.uniform(0.078f, 0.09f);
    float box_top = -gen.uniform(0.56f, 0.66f);
    float box_rear = -gen.uniform(0.46f, 0.50f);
    float cab_top = -gen.uniform(0.42f, 0.48f);

    draw_shadow(canvas, t, 0.52f);
    canvas.draw(RoundedBox{{0.0f, -0.12f}, {0.48f, 0.035f}, 0.01f}, t, chassis);
    // Cargo box, with an optional stripe in the cab colour.
    float box_front = 0.14f;
    canvas.draw(RoundedBox{{(box_rear + box_front) * 0.5f, (box_top - 0.15f) * 0.5f},
                           {(box_front - box_rear) * 0.5f, (-0.15f - box_top) * 0.5f}, 0.015f},
                t, box);
    if (chance(gen, 0.5f))
        canvas.draw(RoundedBox{{(box_rear + box_front) * 0.5f, (box_top - 0.15f) * 0.5f},
                               {(box_front - box_rear) * 0.5f - 0.03f, 0.025f}, 0.005f},
                    t, cab);
    for (float x = box_rear + 0.13f; x < box_front - 0.05f; x += 0.13f)  // panel seams
        canvas.draw(Capsule{{x, box_top + 0.02f}, {x, -0.17f}, 0.004f}, t, scaled(box, 0.8f));
    // Cab: vertical back, sloping windscreen, big side window.
    Polygon cab_shape{
        {0.16f, -0.11f}, {0.50f, -0.11f}, {0.50f, -0.26f}, {0.42f, cab_top}, {0.16f, cab_top}};
    canvas.draw(cab_shape, t, cab);
    Polygon window{
        {0.30f, -0.29f}, {0.475f, -0.29f}, {0.418f, cab_top + 0.025f}, {0.30f, cab_top + 0.025f}};
    canvas.draw(window, t, glass);
    canvas.draw(Capsule{{0.27f, -0.27f}, {0.27f, -0.13f}, 0.005f}, t, scaled(cab, 0.6f));   // door
    canvas.draw(RoundedBox{{0.49f, -0.15f}, {0.03f, 0.022f}, 0.008f}, t, chassis);           // bumper
    canvas.draw(RoundedBox{{0.49f, -0.2f}, {0.012f, 0.018f}, 0.006f}, t, {0.98f, 0.93f, 0.62f});
    // Wheels: front, and a single or tandem rear axle.
    draw_wheel(canvas, t, {0.36f, -wheel_r}, wheel_r, {0.72f, 0.72f, 0.74f});
    float rear = gen.uniform(-0.34f, -0.26f);
    draw_wheel(canvas, t, {rear, -wheel_r}, wheel_r, {0.72f, 0.72f, 0.74f});
    if (chance(gen, 0.65f))
        draw_wheel(canvas, t, {rear + 2.2f * wheel_r, -wheel_r}, wheel_r, {0.72f, 0.72f, 0.74f});
}

// At most 256, the largest image a model takes (ModelLimits in experiment/model.h): a
// million pixels a side would ask for terabytes before the first image is drawn.
void check_image_size(int size) {
    if (size < 16 || size % 4 != 0 || size > 256)
        throw std::invalid_argument("dataset: image_size " + std::to_string(size) +
                                    " is not supported (valid: a multiple of 4 that is at least "
                                    "16 and at most 256, e.g. 32 or 64)");
}

void check_probability(const char* name, double p, const char* complement) {
    if (!(p >= 0.0 && p <= 1.0))
        throw std::invalid_argument(std::string("dataset: ") + name + " = " + std::to_string(p) +
                                    " is not a probability (valid: 0 <= p <= 1; " + complement +
                                    " = 1 - p)");
}

}  // namespace

// ============================================================================================
// 3. Names
// ============================================================================================

std::array<Mode, kNumModes> all_modes() { return {Mode::dog, Mode::cat, Mode::car, Mode::truck}; }

Category category_of(Mode mode) {
    return (mode == Mode::dog || mode == Mode::cat) ? Category::animal : Category::vehicle;
}

std::string to_string(Mode mode) {
    switch (mode) {
        case Mode::dog: return "dog";
        case Mode::cat: return "cat";
        case Mode::car: return "car";
        case Mode::truck: return "truck";
    }
    throw std::invalid_argument("to_string: not a Mode: " + std::to_string(static_cast<int>(mode)));
}

std::string to_string(Category category) {
    switch (category) {
        case Category::animal: return "animal";
        case Category::vehicle: return "vehicle";
    }
    throw std::invalid_argument("to_string: not a Category: " +
                                std::to_string(static_cast<int>(category)));
}

Category parse_category(const std::string& name) {
    if (name == "animal") return Category::animal;
    if (name == "vehicle") return Category::vehicle;
    throw std::invalid_argument("unknown z2 '" + name + "' (valid: animal, vehicle)");
}

Mode parse_mode(const std::string& name) {
    for (Mode m : all_modes())
        if (to_string(m) == name) return m;
    throw std::invalid_argument("unknown z1 '" + name + "' (valid: dog, cat, car, truck)");
}

void set_p_data(DatasetOptions& options, const std::string& spec) {
    const std::string form = " (valid: e.g. dog=0.8,car=0.5 — a mode of each z2 with its probability in [0, 1])";
    if (spec.empty()) throw std::invalid_argument("p_data: empty" + form);
    bool animal_set = false, vehicle_set = false;
    size_t start = 0;
    while (start <= spec.size()) {
        const size_t end = std::min(spec.find(',', start), spec.size());
        const std::string entry = spec.substr(start, end - start);
        const size_t equals = entry.find('=');
        if (equals == std::string::npos) throw std::invalid_argument("p_data: '" + entry + "' has no '='" + form);
        const std::string name = entry.substr(0, equals), value_text = entry.substr(equals + 1);
        Mode mode{};
        try {
            mode = parse_mode(name);
        } catch (const std::invalid_argument&) {
            throw std::invalid_argument("p_data: unknown mode '" + name + "'" + form);
        }
        double value = 0.0;
        const auto [after, error] = std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
        if (error != std::errc() || after != value_text.data() + value_text.size() || !(value >= 0.0 && value <= 1.0))
            throw std::invalid_argument("p_data: " + name + "=" + value_text + " is not a probability" + form);
        const bool animal = category_of(mode) == Category::animal;
        bool& seen = animal ? animal_set : vehicle_set;
        if (seen) throw std::invalid_argument("p_data: " + to_string(category_of(mode)) + " is given twice" + form);
        seen = true;
        // Stored as p(dog | animal) and p(car | vehicle): the first mode of each z2.
        const bool first_of_category = mode == Mode::dog || mode == Mode::car;
        (animal ? options.p_dog_given_animal : options.p_car_given_vehicle) = first_of_category ? value : 1.0 - value;
        start = end + 1;
    }
}

std::string p_data_spec(const DatasetOptions& options) {
    return "dog=" + fmt::format("{}", options.p_dog_given_animal) + ",car=" +
           fmt::format("{}", options.p_car_given_vehicle);
}

// ============================================================================================
// 4. The dataset
// ============================================================================================

int reference_block_size(int image_size, int resolution) {
    if (resolution <= 0 || resolution >= image_size) return 1;
    for (int block = image_size / resolution; block > 1; --block)
        if (image_size % block == 0) return block;
    return 1;
}

namespace {

/// Replaces each block×block square of each channel of a 3×size×size image by its mean.
void average_blocks(float* image, int64_t size, int block) {
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t by = 0; by < size; by += block)
            for (int64_t bx = 0; bx < size; bx += block) {
                float* corner = image + (c * size + by) * size + bx;
                double sum = 0.0;
                for (int y = 0; y < block; ++y)
                    for (int x = 0; x < block; ++x) sum += corner[y * size + x];
                const float mean = static_cast<float>(sum / (block * block));
                for (int y = 0; y < block; ++y)
                    for (int x = 0; x < block; ++x) corner[y * size + x] = mean;
            }
}

}  // namespace

SyntheticDataset::SyntheticDataset(DatasetOptions options) : options_(options) {
    check_image_size(options_.image_size);
    check_probability("p_dog_given_animal", options_.p_dog_given_animal, "p(cat|animal)");
    check_probability("p_car_given_vehicle", options_.p_car_given_vehicle, "p(truck|vehicle)");
    if (options_.references_per_mode < 1)
        throw std::invalid_argument("dataset: references_per_mode = " +
                                    std::to_string(options_.references_per_mode) +
                                    " (valid: at least 1)");
    if (options_.reference_resolution < 0)
        throw std::invalid_argument("dataset: reference_resolution = " +
                                    std::to_string(options_.reference_resolution) +
                                    " (valid: 0 for the full size, or a resolution of at least 1)");
    const int64_t size = options_.image_size, count = options_.references_per_mode;
    const int64_t image_numel = 3 * size * size;
    const int block = reference_block_size(options_.image_size, options_.reference_resolution);
    for (Mode m : all_modes()) {
        Tensor refs = Tensor::empty({count, 3, size, size});
        float* out = refs.data();
#pragma omp parallel for schedule(dynamic, 4)
        for (int64_t r = 0; r < count; ++r) {
            float* image = out + r * image_numel;
            render_into(m, kReferenceIndexBase + static_cast<uint64_t>(r), image);
            if (block > 1) average_blocks(image, size, block);
        }
        references_[static_cast<int>(m)] = refs;
    }
}

Tensor SyntheticDataset::anchors() const {
    // dog (1,0), cat (0,1), car (-1,0), truck (0,-1): unit length, 90° apart.
    return Tensor::from_vector({1.0f, 0.0f, 0.0f, 1.0f, -1.0f, 0.0f, 0.0f, -1.0f}, {kNumModes, kAnchorDim});
}

Tensor SyntheticDataset::anchor(Mode mode) const {
    std::vector<float> all = anchors().to_vector();
    int m = static_cast<int>(mode);
    return Tensor::from_vector({all[2 * m], all[2 * m + 1]}, {kAnchorDim});
}

double SyntheticDataset::p_data(Mode mode, Category category) const {
    if (category_of(mode) != category) return 0.0;
    switch (mode) {
        case Mode::dog: return options_.p_dog_given_animal;
        case Mode::cat: return 1.0 - options_.p_dog_given_animal;
        case Mode::car: return options_.p_car_given_vehicle;
        case Mode::truck: return 1.0 - options_.p_car_given_vehicle;
    }
    return 0.0;
}

std::vector<Mode> SyntheticDataset::modes_of(Category category) const {
    if (category == Category::animal) return {Mode::dog, Mode::cat};
    return {Mode::car, Mode::truck};
}

void SyntheticDataset::render_into(Mode mode, uint64_t index, float* out) const {
    const int size = options_.image_size;
    uint64_t key = splitmix64(splitmix64(splitmix64(options_.seed) ^ index) ^ static_cast<uint64_t>(mode));
    Generator gen(key);
    Canvas canvas(size, out);
    draw_background(canvas, gen);
    switch (mode) {
        case Mode::dog: draw_dog(canvas, gen); break;
        case Mode::cat: draw_cat(canvas, gen); break;
        case Mode::car: draw_car(canvas, gen); break;
        case Mode::truck: draw_truck(canvas, gen); break;
    }
    // [0, 1] -> [-1, 1], the range the diffusion models work in.
    for (int64_t i = 0, n = 3 * int64_t{size} * size; i < n; ++i)
        out[i] = std::clamp(2.0f * out[i] - 1.0f, -1.0f, 1.0f);
}

void SyntheticDataset::render_background_into(uint64_t index, float* out) const {
    const int size = options_.image_size;
    Generator gen(splitmix64(splitmix64(options_.seed) ^ index ^ 0x6261636b67726f75ULL)); // own stream: "backgrou"
    Canvas canvas(size, out);
    draw_background(canvas, gen);
    for (int64_t i = 0, n = 3 * int64_t{size} * size; i < n; ++i)
        out[i] = std::clamp(2.0f * out[i] - 1.0f, -1.0f, 1.0f);
}

Tensor SyntheticDataset::render(Mode mode, uint64_t index) const {
    const int64_t size = options_.image_size;
    Tensor image = Tensor::empty({3, size, size});
    render_into(mode, index, image.data());
    return image;
}

Tensor SyntheticDataset::references(Mode mode) const { return references_[static_cast<int>(mode)]; }

SyntheticDataset::Batch SyntheticDataset::sample_batch(int64_t batch_size, Generator& gen) const {
    if (batch_size < 1)
        throw std::invalid_argument("sample_batch: batch_size = " + std::to_string(batch_size) +
                                    " (valid: at least 1)");
    const int64_t size = options_.image_size, image_numel = 3 * size * size;
    Batch batch;
    batch.modes.resize(batch_size);
    batch.categories.resize(batch_size);
    std::vector<uint64_t> indices(batch_size);
    std::vector<float> z1(batch_size * kAnchorDim), z2(batch_size * kNumCategories, 0.0f);
    std::vector<float> anchor_values = anchors().to_vector();
    // 1. Labels and indices, serially from `gen`: the batch is a function of gen alone.
    for (int64_t b = 0; b < batch_size; ++b) {
        Category category = gen.integer(2) == 0 ? Category::animal : Category::vehicle;
        std::vector<Mode> modes = modes_of(category);
        Mode mode = gen.uniform() < p_data(modes[0], category) ? modes[0] : modes[1];
        uint64_t high = gen.next_u32();
        uint64_t low = gen.next_u32();
        uint64_t index = (high << 32 | low) % kReferenceIndexBase;
        batch.modes[b] = mode;
        batch.categories[b] = category;
        indices[b] = index;
        int m = static_cast<int>(mode);
        z1[b * kAnchorDim] = anchor_values[m * kAnchorDim];
        z1[b * kAnchorDim + 1] = anchor_values[m * kAnchorDim + 1];
        z2[b * kNumCategories + static_cast<int>(category)] = 1.0f;
    }
    // 2. Images, in parallel: each one is a pure function of (seed, mode, index).
    batch.images = Tensor::empty({batch_size, 3, size, size});
    float* out = batch.images.data();
#pragma omp parallel for schedule(dynamic, 2)
    for (int64_t b = 0; b < batch_size; ++b)
        render_into(batch.modes[b], indices[b], out + b * image_numel);
    batch.z1 = Tensor::from_vector(z1, {batch_size, kAnchorDim});
    batch.z2_onehot = Tensor::from_vector(z2, {batch_size, kNumCategories});
    return batch;
}

// ============================================================================================
// 5. The nearest-reference and nearest-anchor classifiers
// ============================================================================================

namespace {

// The nearest reference of `count` images at once (images: count·3·S·S floats). Each
// reference is streamed from memory once per block and compared with every image of the
// block while it is in cache — the references of all four modes (4·R·3·S·S floats, 6 MB
// at S = 64, R = 64) do not fit in cache, so comparing image by image would re-read them
// for every image.
void nearest_reference_block(const float* images, int64_t count, const ReferenceSet& references, int64_t image_numel,
                             ReferenceMatch* out) {
    for (int64_t n = 0; n < count; ++n) out[n] = {Mode::dog, std::numeric_limits<float>::infinity()};
    for (Mode m : all_modes()) {
        const Tensor& refs = references[static_cast<int>(m)];  // (R, 3, S, S)
        const float* r = refs.data();
        for (int64_t k = 0, num_refs = refs.size(0); k < num_refs; ++k, r += image_numel) {
            for (int64_t n = 0; n < count; ++n) {
                // Squared L2 distance (a float sum is plenty to rank distances this large).
                const float* x = images + n * image_numel;
                float distance = 0.0f;
#pragma omp simd reduction(+ : distance)
                for (int64_t i = 0; i < image_numel; ++i) {
                    float diff = x[i] - r[i];
                    distance += diff * diff;
                }
                // Strictly smaller: a tie keeps the earlier reference, hence the lower mode.
                if (distance < out[n].distance) out[n] = {m, distance};
            }
        }
    }
}

ReferenceSet references_of(const SyntheticDataset& dataset) {
    ReferenceSet references;
    for (Mode m : all_modes()) references[static_cast<int>(m)] = dataset.references(m);
    return references;
}

}  // namespace

Mode nearest_reference_mode(const float* image, const SyntheticDataset& dataset) {
    const int64_t size = dataset.image_size();
    ReferenceMatch match;
    nearest_reference_block(image, 1, references_of(dataset), 3 * size * size, &match);
    return match.mode;
}

std::vector<ReferenceMatch> match_nearest_references(const Tensor& images, const ReferenceSet& references) {
    const Shape& shape = images.shape();
    const Shape& reference_shape = references[0].shape();
    if (shape.size() != 4 || reference_shape.size() != 4 || shape[1] != reference_shape[1] ||
        shape[2] != reference_shape[2] || shape[3] != reference_shape[3])
        throw ShapeError("match_nearest_references: images " + shape_str(shape) + " against references " +
                         shape_str(reference_shape) + " (expected the same image shape)");
    const int64_t count = shape[0], image_numel = shape[1] * shape[2] * shape[3];
    constexpr int64_t kBlock = 8;  // 8 images of 48 KB (S = 64) stay in L2 beside one reference
    std::vector<ReferenceMatch> matches(count);
    const float* data = images.data();
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t start = 0; start < count; start += kBlock)
        nearest_reference_block(data + start * image_numel, std::min(kBlock, count - start), references, image_numel,
                                matches.data() + start);
    return matches;
}

std::vector<ReferenceMatch> match_nearest_references(const Tensor& images, const SyntheticDataset& dataset) {
    const int64_t size = dataset.image_size();
    const Shape& shape = images.shape();
    if (shape.size() != 4 || shape[1] != 3 || shape[2] != size || shape[3] != size)
        throw ShapeError("classify_by_nearest_reference: images " + shape_str(shape) +
                         " (expected (N,3," + std::to_string(size) + "," + std::to_string(size) +
                         ") for this dataset)");
    return match_nearest_references(images, references_of(dataset));
}

std::vector<Mode> classify_by_nearest_reference(const Tensor& images, const SyntheticDataset& dataset) {
    std::vector<Mode> modes;
    for (const ReferenceMatch& match : match_nearest_references(images, dataset)) modes.push_back(match.mode);
    return modes;
}

std::vector<Mode> classify_by_nearest_anchor(const Tensor& z1, const SyntheticDataset& dataset) {
    const Shape& shape = z1.shape();
    if (shape.size() != 2 || shape[1] != kAnchorDim)
        throw ShapeError("classify_by_nearest_anchor: z1 " + shape_str(shape) + " (expected (N,2))");
    std::vector<float> anchor_values = dataset.anchors().to_vector();
    const float* z = z1.data();
    std::vector<Mode> modes(shape[0]);
    for (int64_t n = 0; n < shape[0]; ++n) {
        float best = std::numeric_limits<float>::infinity();
        for (int m = 0; m < kNumModes; ++m) {
            float dx = z[2 * n] - anchor_values[2 * m], dy = z[2 * n + 1] - anchor_values[2 * m + 1];
            float distance = dx * dx + dy * dy;
            if (distance < best) best = distance, modes[n] = static_cast<Mode>(m);
        }
    }
    return modes;
}

}  // namespace hd
