"""The built-in demo: a tiny SigLIP on the procedurally drawn shapes data
(`keras_lip.data.shapes`), on CPU in a few minutes.

    python -m keras_lip.train                      # this config
    python -m keras_lip.train --config.backend=jax --workdir=/tmp/demo_jax
    python -m keras_lip.train --config=keras_lip/trainer/configs/demo.py:clip

Training never shows six colour-shape pairs; the run ends with zero-shot
accuracy on images of those pairs and image↔text retrieval, each against
chance, and exports a SavedModel into the workdir. This file is the one
source of the demo's settings (`examples/shapes_demo.py` reads it too).
"""

from keras_lip.trainer import evals
from keras_lip.trainer.config import base_config


def get_config(family="siglip"):
    c = base_config(family)
    c.batch_size = 128
    c.steps_per_checkpoint = 64          # One pass over the 8192 images.
    c.total_steps = 768                  # 12 passes.
    for tower in (c.model.image, c.model.text):
        tower.width, tower.depth = 64, 2
        tower.mlp_dim, tower.num_heads = 128, 4
    c.model.image.variant = "mu/4"       # 32×32 images → 8×8 patches of 4.
    c.model.image.image_size = 32
    c.model.text.variant = "mu"
    c.model.text.vocab_size = 25         # The demo's word vocabulary.
    c.model.text.max_len = 16
    c.data.kind = "demo"
    c.data.train_examples = 8192
    c.evals.demo = evals.section("demo", every_n_checkpoints=4)
    c.optimizer.decay_type = "constant"
    c.optimizer.warmup_steps = 0
    return c
