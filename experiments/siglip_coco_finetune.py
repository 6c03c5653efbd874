r"""Fine-tune SigLIP B/16 on COCO captions from TFDS (`coco_captions`: each
image has 5 captions; training picks one at random). Start from a converted
big_vision checkpoint with `--config.init_checkpoint` once checkpoint
conversion lands; until then this trains from scratch.

Prepare the dataset once (TFDS downloads COCO), then:

    python -m keras_lip.train --config=experiments/siglip_coco_finetune.py \
        --workdir=/tmp/siglip_coco --config.data.tfds_data_dir=~/tensorflow_datasets \
        --config.data.tokenizer=/path/to/c4_en.model
"""

from keras_lip.trainer import evals
from keras_lip.trainer.config import base_config


def get_config():
    c = base_config("siglip")
    c.batch_size = 256
    c.total_steps = 5_000
    c.steps_per_checkpoint = 500
    c.model.image.variant = "B/16"
    c.model.text.variant = "B"
    c.model.text.vocab_size = 32_000
    c.data.kind = "tfds"
    c.data.tfds_name = "coco_captions"
    c.data.eval_split = "val"
    c.model.image.image_size = 224
    c.model.text.max_len = 64
    c.optimizer.lr = 1e-5
    c.optimizer.decay_type = "cosine"
    c.optimizer.warmup_steps = 500
    c.evals.val = evals.section("retrieval")  # COCO val image↔text R@k.
    return c
