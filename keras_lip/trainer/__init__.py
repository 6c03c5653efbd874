"""The training application behind `python -m keras_lip.train`.

Config (`config.base_config`, `config.validate`), the family-neutral loop
(`loop.train`), step checkpoints, the registry of model families, data
kinds and evaluations, distribution scopes and the glibc malloc setting.
It sits on top of the library: nothing in `keras_lip`'s library packages
imports it.
"""

from keras_lip.trainer import registry
from keras_lip.trainer.config import base_config
from keras_lip.trainer.config import validate
