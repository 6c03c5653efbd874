r"""SigLIP on your own images and captions (a folder of images plus a CSV or
JSONL file of captions), small enough for a laptop CPU.

Your data (image paths relative to the captions file):

    my_data/images/0001.jpg ...
    my_data/train.csv        image,caption         (one row per caption)
    my_data/val.csv          same, held-out images (for retrieval R@k)

1. A tokenizer for your captions (prints the vocabulary size):

    python tools/train_tokenizer.py --captions=my_data/train.csv \
        --output=my_data/captions_sp --vocab_size=8000

2. Train (B/16-style towers scaled down; 224 px; resumes if re-run):

    python -m keras_lip.train --config=experiments/own_data.py \
        --workdir=runs/my_data \
        --config.data.train_files=my_data/train.csv \
        --config.data.eval_files=my_data/val.csv \
        --config.data.tokenizer=my_data/captions_sp.model \
        --config.model.text.vocab_size=8000

Images are decoded, resized to 224×224 and scaled to [-1, 1]; captions are
lowercased, tokenised to 64 ids with an EOS, as big_vision's SigLIP. Bad
images and captions are skipped and counted (see WORKDIR/inputs.json).
For large data, write TFRecord shards first (tools/make_tfrecords.py) and
use data.kind="tfrecord" with a file pattern.
"""

from keras_lip.trainer import evals
from keras_lip.trainer.config import base_config


def get_config():
    c = base_config("siglip")
    c.batch_size = 64
    c.total_steps = 2_000
    c.steps_per_checkpoint = 200
    c.model.image.variant = "S/16"
    c.model.image.image_size = 224
    c.model.text.variant = "S"
    c.model.text.max_len = 64
    c.model.text.vocab_size = 8_000
    c.data.kind = "csv"
    c.data.shuffle_buffer = 5_000
    c.evals.val = evals.section("retrieval", every_n_checkpoints=5)
    c.optimizer.lr = 1e-3
    c.optimizer.warmup_steps = 200
    return c
