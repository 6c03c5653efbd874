"""The `lit` trainer family end to end: training from images, caching the
locked tower's features with tools/cache_image_features.py (the command a
user runs), and training from the cache to the same weights
(bad inputs included: both paths skip the same examples)."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from keras_lip.testing import TestCase
from keras_lip.testing import data_fixtures
from keras_lip.trainer import config as config_lib
from keras_lip.trainer import loop

TOOL = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tools", "cache_image_features.py")

CONFIG = """
from keras_lip.trainer.config import base_config

def get_config():
    c = base_config("lit")
    c.total_steps, c.steps_per_checkpoint, c.batch_size = 4, 2, 4
    c.model.image.image_size, c.model.image.variant = 16, "mu/8"
    c.model.text.max_len, c.model.text.vocab_size = 8, 64
    c.deterministic, c.export = False, False
    c.optimizer.warmup_steps = 0
    c.data.kind, c.data.train_files = "tfrecord", {images!r}
    c.data.eval_files = {images!r}
    c.data.tokenizer, c.data.shuffle_buffer = {tokenizer!r}, 16
    return c
"""


class LitTrainerTest(TestCase):
    def test_feature_cache_trains_to_the_image_path_weights(self):
        folder = self.get_temp_dir()
        data_fixtures.write_mixed_tfrecords(os.path.join(folder, "img"), 2)
        images = os.path.join(folder, "img-*.tfrecord")
        path = os.path.join(folder, "tiny_lit.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent(CONFIG.format(
                images=images,
                tokenizer=data_fixtures.shared_sentencepiece())))
        config = config_lib.validate(config_lib.load_config_file(path))
        from_images, _ = loop.train(config, os.path.join(folder, "a"),
                                    verbose=0)
        prefix = os.path.join(folder, "cache", "feat")
        out = subprocess.run(
            [sys.executable, TOOL, f"--config={path}",
             f"--output_prefix={prefix}", "--batch_size=4"],
            capture_output=True, text=True, check=False)
        self.assertEqual(out.returncode, 0, out.stderr[-3000:])
        self.assertIn("feature cache complete", out.stdout)
        meta = json.load(open(prefix + ".json"))
        self.assertEqual(sorted(meta["shards"]), ["0", "1"])
        # write_mixed_tfrecords: 10 good images, 7 that cannot be decoded.
        self.assertEqual(sum(s["examples"] for s in meta["shards"].values()),
                         14)
        self.assertEqual(sum(s["skipped"] for s in meta["shards"].values()),
                         7)
        # (Resuming and refusing another tower's cache:
        # keras_lip/data/feature_cache_test.py.)
        cached_config = config_lib.load_config_file(path)
        cached_config.data.kind = "feature_cache"
        cached_config.data.train_files = prefix + ".json"
        config_lib.validate(cached_config)
        from_cache, _ = loop.train(cached_config, os.path.join(folder, "b"),
                                   verbose=0)
        moved = 0.0
        for a, b in zip(from_cache.weights, from_images.weights):
            if b.path.endswith("key/bias"):  # Zero gradient, rounding only.
                continue
            self.assertAllClose(a, b, atol=1e-5, rtol=1e-4, msg=b.path)
        for v, w in zip(from_images.text_encoder.weights,
                        _initial(cached_config).text_encoder.get_weights()):
            moved = max(moved, float(np.max(np.abs(np.asarray(v) - w))))
        self.assertGreater(moved, 1e-4)


def _initial(config):
    import keras

    from keras_lip.trainer import registry

    keras.utils.set_random_seed(config.seed)
    return registry.family(config).build(config)
