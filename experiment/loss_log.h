// loss_log.h — the per-step record of a training run: the loss CSV and the loss curve.
//
// The rows are kept in memory and the whole CSV is rewritten (atomically, through
// nn/files.h) with each checkpoint, so the log on disk never runs ahead of or behind the
// checkpoint beside it by more than a crash between the two writes; a resumed run reads
// the log back cut to the checkpoint's step.
#pragma once

#include "experiment/model.h"

#include <string>
#include <vector>

namespace hd {

class LossLog {
public:
    struct Row {
        int64_t step = 0;  // optimizer steps done, this one included
        int64_t epoch = 0; // completed epochs after this step
        double loss = 0.0, prior_loss = 0.0, decoder_loss = 0.0; // prior/decoder: model B only (0 for A)
        double learning_rate = 0.0, grad_norm = 0.0, images_per_second = 0.0;
    };

    /// The rows of an earlier run's CSV at `path` up to and including step `up_to_step`
    /// (the checkpoint's): rows past it were written for steps the checkpoint never saw.
    /// A missing file gives an empty log.
    static LossLog read(const std::string& path, int64_t up_to_step);

    void add(const Row& row);
    size_t size() const { return lines_.size(); }
    /// The CSV text: the header and one line per row.
    std::string csv() const;
    /// Writes csv() to `path` atomically.
    void write_csv(const std::string& path) const;
    /// The loss curve (a moving average; model B: decoder and prior separately); nothing
    /// for an empty log.
    void write_plot(const std::string& path, ModelKind kind) const;

private:
    void keep(std::string line, double step, double loss, double prior_loss, double decoder_loss);

    std::vector<std::string> lines_; // as written: an earlier run's rows keep their digits exactly
    std::vector<double> steps_, losses_, prior_losses_, decoder_losses_;
};

}  // namespace hd
