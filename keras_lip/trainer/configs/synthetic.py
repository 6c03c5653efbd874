"""Random inputs (a pure function of seed and example index) and the
smallest SigLIP: for smoke tests, multi-host checks and benchmarks of the
training loop. Every global batch holds the same examples however the
input is sharded, so multi-process runs can be compared exactly.

    python -m keras_lip.train --config=keras_lip/trainer/configs/synthetic.py
"""

from keras_lip.trainer.config import base_config


def get_config():
    return base_config("siglip")
