// plot.h — small PNG charts: loss curves and the prior's z1 scatter.
//
// Drawn with image_io.h's pixels and bitmap font; no plotting library. What it does not
// do: anti-aliasing, arbitrary tick placement (axes show their range at the ends).
#pragma once

#include "diffusion/image_io.h"

#include <string>
#include <vector>

namespace hd {

struct Series {
    std::string name;
    Rgb8 colour;
    std::vector<double> x, y;
};

struct PlotOptions {
    std::string title;
    std::string x_label;
    std::string y_label;
    bool log_y = false; // losses span decades: plot them on a log scale
    int width = 640;
    int height = 400;
};

/// A line chart of one or more series with a legend.
RgbImage line_plot(const std::vector<Series>& series, const PlotOptions& options);

/// A point in the z1 plane with its colour (the prior scatter).
struct ScatterPoint {
    double x, y;
    Rgb8 colour;
};
struct Anchor {
    double x, y;
    std::string label;
};
/// Points (and optional paths: polylines, e.g. denoising trajectories) over the square
/// [-extent, extent]², with the anchors marked and labelled.
RgbImage scatter_plot(const std::vector<ScatterPoint>& points, const std::vector<std::vector<ScatterPoint>>& paths,
                      const std::vector<Anchor>& anchors, double extent, const std::string& title, int size = 480);

/// A smoothing of noisy per-step losses: the mean over a sliding window of `window` steps.
std::vector<double> moving_average(const std::vector<double>& values, size_t window);

}  // namespace hd
