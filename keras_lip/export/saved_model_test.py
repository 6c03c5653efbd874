"""The SavedModel's endpoints, loaded by plain TensorFlow in a fresh process
that never imports keras_lip, reproduce the Keras model's outputs."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np

from keras_lip import models
from keras_lip.export import export_saved_model
from keras_lip.testing import TestCase
from keras_lip.testing import tiny_batch
from keras_lip.testing import tiny_siglip
from keras_lip.testing import toy_two_tower

LOAD_AND_CALL = """
import json, sys
import numpy as np
import tensorflow as tf
path, inputs = sys.argv[1], np.load(sys.argv[2])
loaded = tf.saved_model.load(path)
out = {
    "image_embeddings": loaded.embed_images(inputs["images"]),
    "text_embeddings": loaded.embed_texts(inputs["token_ids"]),
}
similarity = loaded.similarity(inputs["images"], inputs["token_ids"])
out.update(logits=similarity["logits"],
           probabilities=similarity["probabilities"])
signature = loaded.signatures["serving_default"]
out["serving_default"] = list(signature(tf.constant(inputs["images"])).values())[0]
assert "keras_lip" not in sys.modules, "keras_lip was imported"
np.savez(sys.argv[3], **{k: np.asarray(v) for k, v in out.items()})
"""


def _expected(model, batch):
    out = {k: keras.ops.convert_to_numpy(v) for k, v in model(batch).items()}
    logits = (out["image_embeddings"] @ out["text_embeddings"].T
              * np.exp(keras.ops.convert_to_numpy(model.logit_scale)))
    if model.logit_bias is None:  # CLIP: softmax over the texts.
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = e / e.sum(axis=1, keepdims=True)
    else:
        logits = logits + keras.ops.convert_to_numpy(model.logit_bias)
        probabilities = 1 / (1 + np.exp(-logits))
    out.update(logits=logits, probabilities=probabilities,
               serving_default=out["image_embeddings"])
    return out


class SavedModelTest(TestCase):
    def _load_in_fresh_process(self, path, batch):
        folder = self.get_temp_dir()
        inputs, outputs = (os.path.join(folder, n) for n in ("in.npz",
                                                             "out.npz"))
        np.savez(inputs, **batch)
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(LOAD_AND_CALL), path,
             inputs, outputs], capture_output=True, text=True, cwd=folder,
            env=dict(os.environ, CUDA_VISIBLE_DEVICES=""), timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        return dict(np.load(outputs))

    def _check(self, model, path, batch):
        got = self._load_in_fresh_process(path, batch)
        want = _expected(model, batch)
        for key, value in want.items():
            self.assertEqual(got[key].shape, value.shape, key)
            self.assertLessEqual(float(np.max(np.abs(got[key] - value))),
                                 1e-5, key)

    def test_endpoints_match_keras(self):
        model = tiny_siglip(temperature_init=3.0, bias_init=-2.0)
        batch = tiny_batch(5)
        model(batch)
        path = os.path.join(self.get_temp_dir(), "siglip")
        export_saved_model(model, path)
        # A different batch size than the one the model was built on.
        self._check(model, path, tiny_batch(3, seed=1))

    def test_cli_exports_a_keras_file_from_tensorflow(self):
        model = tiny_siglip()
        batch = tiny_batch(2)
        model(batch)
        folder = self.get_temp_dir()
        model.save(os.path.join(folder, "m.keras"))
        proc = subprocess.run(
            [sys.executable, "-m", "keras_lip.export",
             f"--model={folder}/m.keras", f"--output={folder}/sm"],
            capture_output=True, text=True, timeout=600,
            env=dict(os.environ, KERAS_BACKEND="tensorflow"))
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self._check(model, os.path.join(folder, "sm"), batch)

    def test_declared_geometry_needs_no_shapes(self):
        # keras_lip towers with image_size / max_sequence_length: built at
        # construction, exported without image_shape / text_length; a CLIP
        # (no bias) exports softmax probabilities.
        model = models.CLIP.from_variant(
            "mu/8", text_variant="mu", vocab_size=101, image_size=32,
            max_sequence_length=16)
        self.assertTrue(model.built)
        path = os.path.join(self.get_temp_dir(), "clip")
        export_saved_model(model, path)
        self._check(model, path, tiny_batch(3, seed=2))

    def test_keras_hub_towers(self):
        import keras_hub

        image = keras_hub.models.SigLIPVisionEncoder(
            patch_size=8, hidden_dim=32, num_layers=1, num_heads=2,
            intermediate_dim=64, image_shape=(32, 32, 3))
        text = keras_hub.models.SigLIPTextEncoder(
            vocabulary_size=101, embedding_dim=32, hidden_dim=32,
            num_layers=1, num_heads=2, intermediate_dim=64,
            max_sequence_length=16)
        model = models.TwoTower(image, text)
        self.assertEqual((model.image_shape, model.text_length),
                         ((32, 32, 3), 16))
        path = os.path.join(self.get_temp_dir(), "hub")
        export_saved_model(model, path)
        self._check(model, path, tiny_batch(2, seed=3))

    def test_unknown_shapes_are_errors(self):
        model = toy_two_tower()
        with self.assertRaisesRegex(ValueError, "before exporting"):
            export_saved_model(model, self.get_temp_dir())
        model({"images": np.zeros((1, 4, 4, 3), "float32"),
               "token_ids": np.zeros((1, 6), "int32")})
        with self.assertRaisesRegex(ValueError, "pass image_shape"):
            export_saved_model(model, self.get_temp_dir())
        with self.assertRaisesRegex(ValueError, "pass text_length"):
            export_saved_model(model, self.get_temp_dir(),
                               image_shape=(4, 4, 3))
        path = os.path.join(self.get_temp_dir(), "toy")
        export_saved_model(model, path, image_shape=(4, 4, 3), text_length=6,
                           similarity=False)
        self.assertTrue(os.path.exists(os.path.join(path, "saved_model.pb")))


