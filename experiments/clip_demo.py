"""The built-in demo with the CLIP family: the same towers and data, the
softmax contrastive loss (Radford et al., 2021), heads on both towers,
class-token image pooling, temperature 1/0.07 and no bias.

    python -m keras_lip.train --config=experiments/clip_demo.py --workdir=/tmp/clip
"""

from keras_lip.trainer.configs import demo


def get_config():
    return demo.get_config("clip")
