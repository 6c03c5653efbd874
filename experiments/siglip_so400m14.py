r"""SigLIP So400m/14 (Alabdulmohsin et al., 2023, "Getting ViT in Shape",
the shape-optimised 400M ViT, as released in SigLIP So400m/14 @ 224 px:
So400m image tower with MAP head, So400m text tower, 32k vocabulary,
L=16 in the released 224 px checkpoint; batch 32k, lr 1e-3, wd 1e-4).

Scaled-down defaults (batch 128); the paper setting needs a TPU pod:

    python -m keras_lip.train --config=experiments/siglip_so400m14.py \
        --workdir=gs://bucket/so400m --config.strategy=tpu --config.tpu=local \
        --config.batch_size=32768 \
        --config.data.train_files='gs://bucket/webli/train-*.tfrecord' \
        --config.data.eval_files='gs://bucket/webli/val-*.tfrecord' \
        --config.data.tokenizer=gs://bucket/c4_en.model
"""

from keras_lip.trainer import evals
from keras_lip.trainer.config import base_config


def get_config():
    c = base_config("siglip")
    c.batch_size = 128
    c.total_steps = 100_000
    c.steps_per_checkpoint = 1_000
    c.mixed_precision = True
    c.model.image.variant = "So400m/14"
    c.model.text.variant = "So400m"
    c.model.text.vocab_size = 32_000
    c.data.kind = "tfrecord"
    c.model.image.image_size = 224
    c.model.text.max_len = 16
    c.optimizer.decay_type = "rsqrt"
    c.optimizer.warmup_steps = 10_000
    c.optimizer.cooldown_steps = 10_000
    # Zero-shot ImageNet (a prepared TFDS imagenet2012) and retrieval on
    # held-out pairs (--config.data.eval_files=...); turn one off with
    # --config.evals.<name>.enabled=False.
    c.evals.imagenet = evals.section(
        "zero_shot", dataset="imagenet2012", split="validation",
        templates="clip_paper", every_n_checkpoints=10)
    c.evals.val = evals.section("retrieval", every_n_checkpoints=10)
    return c
