"""The tiny CPU demo (same as `python -m keras_lip.train` with no flags).

    python -m keras_lip.train --config=experiments/siglip_demo.py --workdir=/tmp/demo
"""

from keras_lip.trainer.configs.demo import get_config  # noqa: F401
