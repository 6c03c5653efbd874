"""The built-in demo: a tiny SigLIP on the procedurally drawn shapes data
(`keras_lip.data.shapes`), on CPU in a few minutes.

    python -m keras_lip.train                      # this config
    python -m keras_lip.train --config.backend=jax --workdir=/tmp/demo_jax

Training never shows six colour-shape pairs; the run ends with zero-shot
accuracy on images of those pairs and image↔text retrieval, each against
chance, and exports a SavedModel into the workdir.
"""

from keras_lip.training.config import base_config


def get_config():
    c = base_config()
    c.batch_size = 128
    c.steps_per_checkpoint = 64          # One pass over the 8192 images.
    c.total_steps = 768                  # 12 passes.
    c.model.image_variant = "mu/4"       # 32×32 images → 8×8 patches of 4.
    c.model.text_variant = "mu"
    c.model.width, c.model.depth = 64, 2
    c.model.mlp_dim, c.model.num_heads = 128, 4
    c.model.vocab_size = 25              # The demo's word vocabulary.
    c.data.kind = "demo"
    c.data.image_size = 32
    c.data.text_len = 16
    c.data.train_examples = 8192
    c.eval.kind = "demo"
    c.eval.every_n_checkpoints = 4
    c.optimizer.decay_type = "constant"
    c.optimizer.warmup_steps = 0
    return c
