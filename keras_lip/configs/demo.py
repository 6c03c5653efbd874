"""The built-in demo: a tiny SigLIP on CPU in a few minutes.

    python -m keras_lip.train                      # this config
    python -m keras_lip.train --config.backend=jax --config.total_steps=200
"""

from keras_lip.training.config import base_config


def get_config():
    return base_config()
