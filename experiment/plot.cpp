// plot.cpp — see plot.h.
#include "experiment/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace hd {

namespace {

constexpr Rgb8 kBlack{0, 0, 0}, kGrey{200, 200, 200}, kDark{90, 90, 90};

void draw_line(RgbImage& image, int x0, int y0, int x1, int y1, Rgb8 colour, int thickness = 1) {
    // Bresenham's line, stamped with a small square for thickness.
    int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, error = dx + dy;
    for (;;) {
        for (int ox = 0; ox < thickness; ++ox)
            for (int oy = 0; oy < thickness; ++oy) image.set(x0 + ox - thickness / 2, y0 + oy - thickness / 2, colour);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * error;
        if (e2 >= dy) error += dy, x0 += sx;
        if (e2 <= dx) error += dx, y0 += sy;
    }
}

void fill_disc(RgbImage& image, int cx, int cy, int radius, Rgb8 colour) {
    for (int y = -radius; y <= radius; ++y)
        for (int x = -radius; x <= radius; ++x)
            if (x * x + y * y <= radius * radius) image.set(cx + x, cy + y, colour);
}

std::string number_label(double v) { return fmt::format("{:.3g}", v); }

}  // namespace

std::vector<double> moving_average(const std::vector<double>& values, size_t window) {
    std::vector<double> out(values.size());
    double total = 0.0;
    for (size_t i = 0; i < values.size(); ++i) {
        total += values[i];
        if (i >= window) total -= values[i - window];
        out[i] = total / double(std::min(i + 1, window));
    }
    return out;
}

RgbImage line_plot(const std::vector<Series>& series, const PlotOptions& o) {
    RgbImage image(o.width, o.height);
    const int left = 70, right = o.width - 20, top = 40, bottom = o.height - 50;
    auto transform_y = [&](double y) { return o.log_y ? std::log10(std::max(y, 1e-12)) : y; };

    // 1. Data ranges (finite values only).
    double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
    for (const Series& s : series)
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.y[i]) || (o.log_y && s.y[i] <= 0)) continue;
            x_min = std::min(x_min, s.x[i]), x_max = std::max(x_max, s.x[i]);
            y_min = std::min(y_min, transform_y(s.y[i])), y_max = std::max(y_max, transform_y(s.y[i]));
        }
    if (!std::isfinite(x_min)) x_min = 0, x_max = 1, y_min = 0, y_max = 1;
    if (x_max == x_min) x_max = x_min + 1;
    if (y_max == y_min) y_max = y_min + 1;
    auto px = [&](double x) { return left + int(std::lround((x - x_min) / (x_max - x_min) * (right - left))); };
    auto py = [&](double y) { return bottom - int(std::lround((transform_y(y) - y_min) / (y_max - y_min) * (bottom - top))); };

    // 2. Frame, range labels, titles.
    draw_line(image, left, top, left, bottom, kBlack);
    draw_line(image, left, bottom, right, bottom, kBlack);
    for (int k = 1; k < 4; ++k) draw_line(image, left + 1, top + k * (bottom - top) / 4, right, top + k * (bottom - top) / 4, kGrey);
    auto y_text = [&](double v) { return number_label(o.log_y ? std::pow(10.0, v) : v); };
    draw_text(image, 4, top - 4, y_text(y_max), kDark);
    draw_text(image, 4, bottom - 4, y_text(y_min), kDark);
    draw_text(image, left, bottom + 6, number_label(x_min), kDark);
    draw_text(image, right - text_width(number_label(x_max)), bottom + 6, number_label(x_max), kDark);
    draw_text(image, (left + right - text_width(o.x_label)) / 2, bottom + 22, o.x_label, kBlack);
    draw_text(image, 4, top - 22, o.y_label + (o.log_y ? " (LOG SCALE)" : ""), kBlack);
    draw_text(image, (o.width - text_width(o.title, 2)) / 2, 6, o.title, kBlack, 2);

    // 3. The series and the legend.
    int legend_y = top + 6;
    for (const Series& s : series) {
        bool have_previous = false;
        int prev_x = 0, prev_y = 0;
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.y[i]) || (o.log_y && s.y[i] <= 0)) continue;
            int x = px(s.x[i]), y = py(s.y[i]);
            if (have_previous) draw_line(image, prev_x, prev_y, x, y, s.colour, 2);
            prev_x = x, prev_y = y, have_previous = true;
        }
        draw_line(image, right - 150, legend_y + 3, right - 130, legend_y + 3, s.colour, 3);
        draw_text(image, right - 124, legend_y, s.name, kBlack);
        legend_y += 14;
    }
    return image;
}

namespace {

bool finite(const ErrorPoint& p) {
    return std::isfinite(p.x) && std::isfinite(p.y) && std::isfinite(p.x_error) && std::isfinite(p.y_error);
}

// The chart's pixel box and the data range it shows, with the mapping between them.
struct Axes {
    int left = 0, right = 0, top = 0, bottom = 0;
    double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
    int px(double x) const { return left + int(std::lround((x - x_min) / (x_max - x_min) * (right - left))); }
    int py(double y) const { return bottom - int(std::lround((y - y_min) / (y_max - y_min) * (bottom - top))); }
};

// A margin around the data (fit_ranges keeps an axis of non-negative values at 0 or above).
void widen(double& low, double& high) {
    if (!std::isfinite(low)) low = 0.0, high = 1.0;
    const double margin = high > low ? 0.05 * (high - low) : 0.5;
    low -= margin, high += margin;
}

// Ranges fixed where the options give them, else the data's with their error bars.
void fit_ranges(Axes& axes, const std::vector<PointSeries>& series, const PointPlotOptions& o) {
    axes.x_min = o.x_min, axes.x_max = o.x_max, axes.y_min = o.y_min, axes.y_max = o.y_max;
    const bool fit_x = !(axes.x_min < axes.x_max), fit_y = !(axes.y_min < axes.y_max);
    if (fit_x) axes.x_min = INFINITY, axes.x_max = -INFINITY;
    if (fit_y) axes.y_min = INFINITY, axes.y_max = -INFINITY;
    // Quantities that cannot be negative (KL, shares) keep the axis at 0 or above even when
    // a mean minus its standard deviation dips below; the bar is cut at the axis instead.
    bool x_non_negative = true, y_non_negative = true;
    for (const PointSeries& s : series)
        for (const ErrorPoint& p : s.points) {
            if (!finite(p)) continue;
            x_non_negative = x_non_negative && p.x >= 0.0, y_non_negative = y_non_negative && p.y >= 0.0;
            if (fit_x) axes.x_min = std::min(axes.x_min, p.x - p.x_error), axes.x_max = std::max(axes.x_max, p.x + p.x_error);
            if (fit_y) axes.y_min = std::min(axes.y_min, p.y - p.y_error), axes.y_max = std::max(axes.y_max, p.y + p.y_error);
        }
    if (fit_x) widen(axes.x_min, axes.x_max);
    if (fit_y) widen(axes.y_min, axes.y_max);
    if (fit_x && x_non_negative) axes.x_min = std::max(axes.x_min, 0.0);
    if (fit_y && y_non_negative) axes.y_min = std::max(axes.y_min, 0.0);
}

// Frame, grid, range labels, titles, and the diagonal over the part of y = x in view.
void draw_frame(RgbImage& image, const Axes& a, const PointPlotOptions& o) {
    draw_line(image, a.left, a.top, a.left, a.bottom, kBlack);
    draw_line(image, a.left, a.bottom, a.right, a.bottom, kBlack);
    // Grid lines at the quarters of each range, each labelled with its value.
    for (int k = 1; k < 4; ++k) {
        const int y = a.top + k * (a.bottom - a.top) / 4;
        draw_line(image, a.left + 1, y, a.right, y, kGrey);
        draw_text(image, 4, y - 4, number_label(a.y_max - k * (a.y_max - a.y_min) / 4), kDark);
        const int x = a.left + k * (a.right - a.left) / 4;
        draw_line(image, x, a.top, x, a.bottom - 1, kGrey);
        const std::string x_value = number_label(a.x_min + k * (a.x_max - a.x_min) / 4);
        draw_text(image, x - text_width(x_value) / 2, a.bottom + 6, x_value, kDark);
    }
    draw_text(image, 4, a.top - 4, number_label(a.y_max), kDark);
    draw_text(image, 4, a.bottom - 4, number_label(a.y_min), kDark);
    draw_text(image, a.left, a.bottom + 6, number_label(a.x_min), kDark);
    draw_text(image, a.right - text_width(number_label(a.x_max)), a.bottom + 6, number_label(a.x_max), kDark);
    draw_text(image, (a.left + a.right - text_width(o.x_label)) / 2, a.bottom + 22, o.x_label, kBlack);
    draw_text(image, 4, a.top - 18, o.y_label, kBlack);
    draw_text(image, (o.width - text_width(o.title, 2)) / 2, 6, o.title, kBlack, 2);
    if (o.diagonal) {
        const double low = std::max(a.x_min, a.y_min), high = std::min(a.x_max, a.y_max);
        if (low < high) draw_line(image, a.px(low), a.py(low), a.px(high), a.py(high), kDark);
    }
}

// A dot with its error bars (capped) and its label.
void draw_error_point(RgbImage& image, const Axes& a, const ErrorPoint& p, Rgb8 colour) {
    const int x = a.px(p.x), y = a.py(p.y);
    // Bars end at the axes: a spread past them (a share above 1, a KL below 0) is cut, and
    // a cut end has no cap.
    if (p.y_error > 0) {
        const double low = p.y - p.y_error, high = p.y + p.y_error;
        const int y_low = a.py(std::max(low, a.y_min)), y_high = a.py(std::min(high, a.y_max));
        draw_line(image, x, y_low, x, y_high, colour);
        if (low >= a.y_min) draw_line(image, x - 4, y_low, x + 4, y_low, colour);
        if (high <= a.y_max) draw_line(image, x - 4, y_high, x + 4, y_high, colour);
    }
    if (p.x_error > 0) {
        const double low = p.x - p.x_error, high = p.x + p.x_error;
        const int x_low = a.px(std::max(low, a.x_min)), x_high = a.px(std::min(high, a.x_max));
        draw_line(image, x_low, y, x_high, y, colour);
        if (low >= a.x_min) draw_line(image, x_low, y - 4, x_low, y + 4, colour);
        if (high <= a.x_max) draw_line(image, x_high, y - 4, x_high, y + 4, colour);
    }
    fill_disc(image, x, y, 4, colour);
    if (!p.label.empty()) draw_text(image, x + 7, y - 12, p.label, kBlack);
}

// One series: its polyline, then its points on top.
void draw_point_series(RgbImage& image, const Axes& a, const PointSeries& s) {
    bool have_previous = false;
    int prev_x = 0, prev_y = 0;
    for (const ErrorPoint& p : s.points) {
        if (!finite(p)) continue;
        if (have_previous) draw_line(image, prev_x, prev_y, a.px(p.x), a.py(p.y), s.colour, 2);
        prev_x = a.px(p.x), prev_y = a.py(p.y), have_previous = true;
    }
    for (const ErrorPoint& p : s.points)
        if (finite(p)) draw_error_point(image, a, p, s.colour);
}

}  // namespace

RgbImage point_plot(const std::vector<PointSeries>& series, const PointPlotOptions& o) {
    RgbImage image(o.width, o.height);
    // The legend sits right of the chart, so that it never hides a point.
    int legend_width = 0;
    for (const PointSeries& s : series) legend_width = std::max(legend_width, text_width(s.name) + 36);
    Axes axes{.left = 70, .right = o.width - 20 - legend_width, .top = 50, .bottom = o.height - 50};
    fit_ranges(axes, series, o);
    draw_frame(image, axes, o);
    int legend_y = axes.top + 6;
    for (const PointSeries& s : series) {
        draw_point_series(image, axes, s);
        draw_line(image, axes.right + 12, legend_y + 3, axes.right + 32, legend_y + 3, s.colour, 3);
        draw_text(image, axes.right + 38, legend_y, s.name, kBlack);
        legend_y += 14;
    }
    return image;
}

RgbImage scatter_plot(const std::vector<ScatterPoint>& points, const std::vector<std::vector<ScatterPoint>>& paths,
                      const std::vector<Anchor>& anchors, double extent, const std::string& title, int size) {
    RgbImage image(size, size + 30);
    const int margin = 20, top = 30;
    auto px = [&](double x) { return margin + int(std::lround((x + extent) / (2 * extent) * (size - 2 * margin))); };
    auto py = [&](double y) { return top + int(std::lround((extent - y) / (2 * extent) * (size - 2 * margin))); };
    draw_line(image, px(-extent), py(0), px(extent), py(0), kGrey);
    draw_line(image, px(0), py(-extent), px(0), py(extent), kGrey);
    draw_text(image, (size - text_width(title, 2)) / 2, 6, title, kBlack, 2);
    for (const auto& path : paths)
        for (size_t i = 1; i < path.size(); ++i)
            draw_line(image, px(path[i - 1].x), py(path[i - 1].y), px(path[i].x), py(path[i].y), path[i].colour);
    // Anchors under the points: a prior that has learned its modes puts its samples right on
    // them, and those dots must stay visible.
    for (const Anchor& a : anchors) {
        const int x = px(a.x), y = py(a.y);
        draw_line(image, x - 6, y - 6, x + 6, y + 6, kBlack, 2);
        draw_line(image, x - 6, y + 6, x + 6, y - 6, kBlack, 2);
    }
    for (const ScatterPoint& p : points) fill_disc(image, px(p.x), py(p.y), 3, p.colour);
    for (const Anchor& a : anchors) draw_text(image, px(a.x) + 9, py(a.y) - 14, a.label, kBlack);
    return image;
}

}  // namespace hd
