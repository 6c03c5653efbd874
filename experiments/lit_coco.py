r"""LiT on COCO captions (Zhai et al., CVPR 2022, "LiT: Zero-Shot Transfer
with Locked-image text Tuning"), mirroring big_vision's
`configs/proj/image_text/siglip_lit_coco.py`: a pretrained B/16 image
tower, LOCKED ("tok" pooling, no image head), a B text tower with a head
to the image width (768), the sigmoid loss with t = 10 and b = -2.71,
224 px, 16 tokens, batch 512, 5000 steps, lr 1e-3 with cosine decay and
max(3%, 100) = 150 warm-up steps, Adam (β2 0.999), big_vision weight decay
0.01 on kernels, gradient clipping at global norm 1, COCO retrieval every
1000 steps.

Nothing is downloaded: the image tower is yours, either the weights of a
keras_lip B/16 ViT (`.weights.h5`, e.g. saved from `models.ViTEncoder`
after loading a big_vision checkpoint) or the backbone of a keras-hub
preset directory on disk (`backbone.save_to_preset(DIR)`). Prepare
coco_captions with TFDS first. Then:

    python -m keras_lip.train --config=experiments/lit_coco.py \
        --workdir=/tmp/lit_coco \
        --config.model.image.init=/path/vit_b16_i21k.weights.h5 \
        --config.data.tfds_data_dir=~/tensorflow_datasets \
        --config.data.tokenizer=/path/c4_en.model

    # or a keras-hub image backbone (its output pooled as image.pooling):
    #   --config.model.image.keras_hub_preset=/path/vit_preset_dir

Differences from big_vision: the text tower is keras_lip's text
transformer with a SentencePiece tokenizer (big_vision's default here is
BERT-base; a keras-hub `BertBackbone` works as `models.LiT`'s text tower
in your own script, see README "LiT"); images get no flip/RandAugment (the
trainer's pipelines do not augment yet), which is what makes the feature
cache valid. To train from precomputed features (a multiple faster on a
locked B/16, see BENCHMARKS.md), write TFRecords of COCO first
(tools/make_tfrecords.py), cache the tower's features once
(tools/cache_image_features.py --config=experiments/lit_coco.py ...) and
add `--config.data.kind=feature_cache --config.data.train_files=CACHE.json
--config.data.eval_files='coco/val-*.tfrecord'`.

The tiny variant runs here in a minute or two (shapes demo data, a small
random image tower unless `--config.model.image.init` gives one, e.g. the
one examples/lit_shapes.py pretrains):

    python -m keras_lip.train --config=experiments/lit_coco.py:tiny \
        --workdir=/tmp/lit_tiny
"""

from keras_lip.optimizers import lit_warmup_steps
from keras_lip.trainer import evals
from keras_lip.trainer.config import base_config


def get_config(arg=""):
    c = base_config("lit")
    if arg == "tiny":
        return _tiny(c)
    c.batch_size = 512
    c.total_steps = 5_000
    c.steps_per_checkpoint = 1_000
    c.model.image.variant = "B/16"
    c.model.image.image_size = 224
    c.model.image.pool_type = "tok"
    c.model.text.variant = "B"
    c.model.text.vocab_size = 32_000
    c.model.text.max_len = 16
    c.data.kind = "tfds"
    c.data.tfds_name = "coco_captions"
    c.data.train_split = "train"
    c.data.eval_split = "val"
    c.data.shuffle_buffer = 250_000
    c.optimizer.warmup_steps = lit_warmup_steps(c.total_steps)  # 150.
    c.evals.val = evals.section("retrieval")  # Every 1000 steps.
    return c


def _tiny(c):
    c.batch_size = 128
    c.steps_per_checkpoint = 64
    c.total_steps = 384                     # 6 passes over 8192 images.
    for tower in (c.model.image, c.model.text):
        tower.width, tower.depth = 64, 2
        tower.mlp_dim, tower.num_heads = 128, 4
    c.model.image.variant = "mu/4"
    c.model.image.pool_type = "map"         # As the SigLIP demo's tower.
    c.model.image.image_size = 32
    c.model.text.variant = "mu"
    c.model.text.vocab_size = 25
    c.model.text.max_len = 16
    c.data.kind = "demo"
    c.evals.demo = evals.section("demo", every_n_checkpoints=3)
    c.optimizer.warmup_steps = lit_warmup_steps(c.total_steps) // 10
    return c
