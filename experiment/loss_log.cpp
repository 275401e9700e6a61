// loss_log.cpp — see loss_log.h.
#include "experiment/loss_log.h"

#include "experiment/plot.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace hd {

namespace {

constexpr const char* kHeader = "step,epoch,loss,prior_loss,decoder_loss,lr,grad_norm,images_per_second\n";
constexpr size_t kMaxLogBytes = size_t{1} << 30; // ~15 million rows: far beyond any run's length

}  // namespace

LossLog LossLog::read(const std::string& path, int64_t up_to_step) {
    LossLog log;
    if (!std::filesystem::exists(path)) return log;
    std::istringstream in(read_file_bounded(path, kMaxLogBytes));
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string cell;
        std::vector<double> values;
        while (std::getline(fields, cell, ',')) values.push_back(std::strtod(cell.c_str(), nullptr));
        if (values.size() < 5 || values[0] > double(up_to_step)) continue;
        log.keep(line, values[0], values[2], values[3], values[4]);
    }
    return log;
}

void LossLog::add(const Row& r) {
    keep(fmt::format("{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.1f}", r.step, r.epoch, r.loss, r.prior_loss,
                     r.decoder_loss, r.learning_rate, r.grad_norm, r.images_per_second),
         double(r.step), r.loss, r.prior_loss, r.decoder_loss);
}

void LossLog::keep(std::string line, double step, double loss, double prior_loss, double decoder_loss) {
    lines_.push_back(std::move(line));
    steps_.push_back(step), losses_.push_back(loss), prior_losses_.push_back(prior_loss),
        decoder_losses_.push_back(decoder_loss);
}

std::string LossLog::csv() const {
    std::string text = kHeader;
    for (const std::string& line : lines_) text += line + "\n";
    return text;
}

void LossLog::write_csv(const std::string& path) const { write_file_atomic(path, csv()); }

void LossLog::write_plot(const std::string& path, ModelKind kind) const {
    if (steps_.empty()) return;
    std::vector<Series> series;
    const size_t window = std::max<size_t>(1, steps_.size() / 50);
    if (kind == ModelKind::flat) {
        series.push_back({"LOSS", {200, 60, 40}, steps_, moving_average(losses_, window)});
    } else {
        series.push_back({"DECODER", {200, 60, 40}, steps_, moving_average(decoder_losses_, window)});
        series.push_back({"PRIOR", {40, 90, 200}, steps_, moving_average(prior_losses_, window)});
    }
    write_png(path, line_plot(series, {.title = fmt::format("MODEL {} TRAINING LOSS", kind == ModelKind::flat ? "A" : "B"),
                                       .x_label = "STEP", .y_label = "EPS-MSE", .log_y = true}));
}

}  // namespace hd
