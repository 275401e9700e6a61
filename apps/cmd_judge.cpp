// cmd_judge.cpp — `hd judge --grid samples.png --labels samples.txt`: checks the evaluation
// classifier against a person's eyes (experiment/judge.h).
#include "apps/commands.h"
#include "experiment/judge.h"

namespace hd::cli {

void add_judge_command(CLI::App& app) {
    auto* command = app.add_subcommand("judge", "compare the evaluation classifier with hand labels of sample grids");
    auto o = std::make_shared<JudgeOptions>();
    command->add_option("--grid", o->grids, "unlabelled sample grid PNG (from hd sample); repeat for more")->required();
    command->add_option("--labels", o->labels,
                        "text file: one of dog cat car truck none per tile, row by row; one per --grid")->required();
    command->add_option("--classifier_cache,--classifier-cache", o->classifier_cache,
                        "evaluation classifier file (default checkpoints/mode_classifier_s<S>_d<seed>.safetensors)");
    command->add_option("--image_size,--image-size", o->image_size, "size S of the samples in the grid")
        ->capture_default_str();
    command->add_option("--dataset_seed,--dataset-seed", o->dataset_seed, "seed of the synthetic dataset")
        ->capture_default_str();
    command->add_option("--classifier_steps,--classifier-steps", o->classifier.steps,
                        "training steps of the evaluation classifier (when it is not cached yet)")->capture_default_str();
    command->add_option("--thresholds", o->thresholds, "confidence thresholds to compare")->capture_default_str();
    command->add_option("--confidence", o->confidence, "threshold of the per-grid figures and the confusion table")
        ->capture_default_str();
    command->callback([o] { run_judge(*o); });
}

}  // namespace hd::cli
