"""keras_lip: language-image pre-training (SigLIP, LiT, CLIPPO) in Keras 3.

Subpackages load on first use, so `import keras_lip` does not initialise a
framework (virtual devices and XLA flags must be set before that happens).
"""

import importlib

from keras_lip.version import __version__

# The library (the trainer application, `keras_lip.trainer`, and the test
# helpers, `keras_lip.testing`, are imported by name).
_SUBPACKAGES = ("compat", "data", "distribution", "evaluation", "export",
                "layers", "losses", "models", "ops", "optimizers")


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"keras_lip.{name}")
    raise AttributeError(f"module 'keras_lip' has no attribute {name!r}")
