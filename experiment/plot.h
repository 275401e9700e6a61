// plot.h — small PNG charts: loss curves, the prior's z1 scatter, and point charts with
// error bars (the summary's quality–diversity and imbalance plots).
//
// Drawn with image_io.h's pixels and bitmap font; no plotting library. What it does not
// do: anti-aliasing, arbitrary tick placement (point charts label their range's ends and
// quarters; line charts its ends).
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

/// One point of a point chart: a mean with its spread (e.g. ± one standard deviation over
/// seeds; 0 = no bar), and a short label drawn beside it (e.g. the guidance weight).
struct ErrorPoint {
    double x = 0.0, y = 0.0;
    double x_error = 0.0, y_error = 0.0;
    std::string label;
};
struct PointSeries {
    std::string name; // the legend's entry
    Rgb8 colour;
    std::vector<ErrorPoint> points; // joined by lines in this order
};
struct PointPlotOptions {
    std::string title;
    std::string x_label;
    std::string y_label;
    bool diagonal = false; // the line y = x (e.g. p_model against p_data: on it, the model matches the data)
    // Fixed axis ranges; a range with min >= max follows the data (error bars included).
    double x_min = 0.0, x_max = 0.0, y_min = 0.0, y_max = 0.0;
    int width = 960; // the legend takes what the longest series name needs, right of the chart
    int height = 480;
};

/// A chart of points with error bars and labels, one polyline per series, with a legend.
/// Non-finite points are left out.
RgbImage point_plot(const std::vector<PointSeries>& series, const PointPlotOptions& options);

/// A smoothing of noisy per-step losses: the mean over a sliding window of `window` steps.
std::vector<double> moving_average(const std::vector<double>& values, size_t window);

}  // namespace hd
