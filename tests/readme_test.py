"""Every Python block of README.md runs, in order, in one namespace, at
tiny sizes (the substitutions below shrink B/16 at 224 px to mu/8 at 32
px, the 32k vocabulary to a 40-piece SentencePiece model, COCO to a tiny
local TFDS dataset), with the names the prose leaves to the reader
(`dataset`, `images`, `labelled_batches`, ...) defined by `_setup`. A
README edit that breaks an example fails here."""

import os
import pathlib
import re
import textwrap

import numpy as np

from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
# (pattern, replacement): sizes and names only, never the API used.
TINY = [
    (r'"B/16"', '"mu/8"'), (r"image_size=224", "image_size=32"),
    (r"max_sequence_length=64", "max_sequence_length=16"),
    (r"vocab_size=32_000", "vocab_size=101"), (r"size=224", "size=32"),
    (r"max_len=64", "max_len=16"), (r"batch_size=4096", "batch_size=4"),
    (r'"coco_captions"', "TINY_TFDS"), (r'"c4_en\.model"', "SPM"),
    (r'"/tmp/siglip"', "EXPORT_DIR"), (r'"plots/"', "PLOTS_DIR"),
    (r'"clip_paper"', '"clip_best"'), (r"epochs=10", "epochs=1"),
    (r'decode_variant\("B"\)', 'decode_variant("mu")'),
]


def python_blocks(text):
    """The ```python blocks (also indented ones in lists), dedented."""
    pattern = re.compile(r"^([ \t]*)```python\n(.*?)^\1```", re.S | re.M)
    return [textwrap.dedent(m.group(2)) for m in pattern.finditer(text)]


def _setup(folder):
    import keras
    import tensorflow as tf

    from keras_lip import data

    rng = np.random.default_rng(0)
    spm = data_fixtures.shared_sentencepiece()
    images = rng.uniform(-1, 1, (8, 32, 32, 3)).astype("float32")
    token_ids = rng.integers(2, 40, (8, 16)).astype("int32")
    image_encoder = keras.Sequential([keras.layers.Flatten(),
                                      keras.layers.Dense(8)])
    text_encoder = keras.Sequential([keras.layers.Embedding(101, 8),
                                     keras.layers.GlobalAveragePooling1D()])
    tfds_dir = os.path.join(folder, "tfds")
    tiny = data_fixtures.prepare_tiny_tfds(tfds_dir)
    eval_pipeline = data.ImageTextPipeline(
        data.TfdsSource(tiny, "val", data_dir=tfds_dir), spm, batch_size=2,
        training=False, image=data.ImagePreprocessing(size=32),
        text=data.TextPreprocessing(max_len=16))
    return dict(
        tf=tf, keras=keras, np=np, images=images, token_ids=token_ids,
        dataset=tf.data.Dataset.from_tensor_slices(
            {"images": images, "token_ids": token_ids}).batch(4),
        image_encoder=image_encoder, text_encoder=text_encoder,
        DIR=tfds_dir, TINY_TFDS=repr(tiny), SPM=spm,
        tokenizer=data.sentencepiece_tokenizer(spm),
        captions=[c for i in range(8) for c in data_fixtures.captions_for(
            i, 1)],
        labelled_batches=[(images, np.arange(8) % 5)],
        eval_pipeline=eval_pipeline, log_dir=os.path.join(folder, "tb"),
        EXPORT_DIR=os.path.join(folder, "export"),
        PLOTS_DIR=os.path.join(folder, "plots"))


class ReadmeTest(TestCase):
    def test_python_blocks_run(self):
        blocks = python_blocks(README.read_text())
        self.assertGreaterEqual(len(blocks), 6)
        folder = self.get_temp_dir()
        namespace = _setup(folder)
        for name in ("TINY_TFDS",):  # Substituted as source text.
            TINY.append((name, namespace.pop(name)))
        for i, block in enumerate(blocks):
            code = block
            for pattern, replacement in TINY:
                code = re.sub(pattern, replacement, code)
            if "train" not in namespace and "pipeline" in namespace:
                namespace["train"] = namespace["pipeline"].dataset()
            try:
                exec(compile(code, f"README.md block {i + 1}", "exec"),
                     namespace)
            except Exception as error:
                raise AssertionError(
                    f"README.md python block {i + 1} failed:\n{code}") \
                    from error
        self.assertTrue(os.path.exists(os.path.join(
            folder, "export", "saved_model.pb")))
        self.assertEqual(sorted(os.listdir(os.path.join(folder, "plots"))),
                         ["retrieval.png", "similarity.png"])

    def test_blocks_are_found(self):
        text = "a\n```python\nx = 1\n```\n- item\n\n  ```python\n  y = 2\n  ```\n"
        self.assertEqual(python_blocks(text), ["x = 1\n", "y = 2\n"])
