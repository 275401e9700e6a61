// models.cpp — constructors of the homework models (provided; the forward passes are
// the Parts, in image_denoiser.cpp and latent_prior.cpp).
#include "homework/provided/models.h"

namespace hd {

std::shared_ptr<Sequential> make_time_embedding(int64_t embedding_dim, Generator& gen) {
    return std::make_shared<Sequential>(std::vector<std::shared_ptr<UnaryModule>>{
        std::make_shared<SinusoidalTimeEmbedding>(embedding_dim), std::make_shared<Linear>(embedding_dim, embedding_dim, gen),
        std::make_shared<SiLU>(), std::make_shared<Linear>(embedding_dim, embedding_dim, gen)});
}

ImageDenoiser::ImageDenoiser(const ImageDenoiserOptions& opts, Generator& gen) : options(opts) {
    time_embed = register_module("time_embed", make_time_embedding(opts.embedding_dim, gen));
    condition_embed = register_module("condition_embed", std::make_shared<Linear>(opts.condition_dim, opts.embedding_dim, gen));
    unet = register_module("unet", std::make_shared<UNet>(UNetOptions{.in_channels = opts.image_channels,
                                                                      .out_channels = opts.image_channels,
                                                                      .base_channels = opts.base_channels,
                                                                      .embedding_dim = opts.embedding_dim,
                                                                      .groups = opts.groups,
                                                                      .levels = opts.unet_levels,
                                                                      .colour_path = opts.colour_path},
                                                          gen));
}

LatentPrior::LatentPrior(const LatentPriorOptions& opts, Generator& gen) : options(opts) {
    time_embed = register_module("time_embed", make_time_embedding(opts.embedding_dim, gen));
    condition_embed = register_module("condition_embed", std::make_shared<Linear>(opts.condition_dim, opts.embedding_dim, gen));
    mlp = register_module("mlp", std::make_shared<MLP>(MLPOptions{.in_features = opts.latent_dim + 2 * opts.embedding_dim,
                                                                  .hidden_features = opts.hidden_features,
                                                                  .hidden_layers = opts.hidden_layers,
                                                                  .out_features = opts.latent_dim},
                                                       gen));
}

}  // namespace hd
