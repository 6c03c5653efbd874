r"""SigLIP B/16 (Zhai et al., 2023, "Sigmoid Loss for Language Image
Pre-Training", Table/Section 3: B/16 image tower with MAP head, B text
tower, 32k SentencePiece vocabulary, 224 px, L=64, t=10, b=-10, lr 1e-3,
wd 1e-4, β2 0.95, batch 32k, rsqrt schedule with warm-up; WebLI data).

Paper setting: batch 32_768 on TPUv4 pods (`strategy="tpu"`). Scaled-down
defaults here (batch 256 on one host) so the file runs anywhere; scale up
with flags, e.g. on a TPU VM:

    python -m keras_lip.train --config=experiments/siglip_b16.py \
        --workdir=gs://bucket/siglip_b16 --config.strategy=tpu \
        --config.tpu=local --config.batch_size=32768 \
        --config.data.train_files='gs://bucket/webli/train-*.tfrecord' \
        --config.data.eval_files='gs://bucket/webli/val-*.tfrecord' \
        --config.data.tokenizer=gs://bucket/c4_en.model
"""

from keras_lip.trainer import evals
from keras_lip.trainer.config import base_config


def get_config():
    c = base_config("siglip")
    c.batch_size = 256              # Paper: 32_768.
    c.total_steps = 100_000         # Paper: ~9B examples seen.
    c.steps_per_checkpoint = 1_000
    c.mixed_precision = True
    c.model.image.variant = "B/16"
    c.model.text.variant = "B"
    c.model.text.vocab_size = 32_000
    c.data.kind = "tfrecord"
    c.model.image.image_size = 224
    c.model.text.max_len = 64
    c.optimizer.lr = 1e-3
    c.optimizer.wd = 1e-4
    c.optimizer.decay_type = "rsqrt"
    c.optimizer.warmup_steps = 10_000
    c.optimizer.cooldown_steps = 10_000
    c.optimizer.timescale = 10_000
    # Zero-shot ImageNet (a prepared TFDS imagenet2012) and retrieval on
    # held-out pairs (--config.data.eval_files=...); turn one off with
    # --config.evals.<name>.enabled=False.
    c.evals.imagenet = evals.section(
        "zero_shot", dataset="imagenet2012", split="validation",
        templates="clip_paper", every_n_checkpoints=10)
    c.evals.val = evals.section("retrieval", every_n_checkpoints=10)
    return c
