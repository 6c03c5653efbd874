"""The Keras towers reproduce big_vision's embeddings from its checkpoints."""

import json

import keras
import numpy as np
from absl.testing import parameterized

from keras_lip.models import TwoTower
from keras_lip.models.big_vision_params import bfloat16_to_float32
from keras_lip.models.big_vision_params import load_two_tower_params
from keras_lip.models.text_encoder import TextEncoder
from keras_lip.models.vit_encoder import ViTEncoder
from keras_lip.testing import TestCase
from keras_lip.testing import golden_dir

GOLDEN = golden_dir("two_towers")
# float32 checkpoints, a scanned (stacked blocks) one and a bfloat16 one.
MODELS = ("siglip_map", "tok_imghead", "gap_clip", "siglip_map_scan",
          "siglip_map_bf16")


def _model_from_config(config):
    m = config["model"]
    image, text = m["image"], m["text"]
    vit = ViTEncoder(image["patch_size"], image["width"], image["depth"],
                     image["mlp_dim"], image["num_heads"],
                     pool_type=image.get("pool_type", "map"),
                     posemb=image.get("posemb", "learn"),
                     num_classes=m["out_dim"][0])
    txt = TextEncoder(text["vocab_size"], text["width"], text["depth"],
                      text["mlp_dim"], text["num_heads"],
                      pool_type=text.get("pool_type", "last"),
                      num_classes=m["out_dim"][1])
    return TwoTower(vit, txt)


def _load(name):
    folder = GOLDEN / name
    config = json.loads((folder / "config.json").read_text())
    io = dict(np.load(folder / "io.npz"))
    inputs = {"images": io["images"], "token_ids": io["tokens"]}
    model = _model_from_config(config)
    model(inputs)
    load_two_tower_params(model, dict(np.load(folder / "checkpoint.npz")))
    return model, inputs, io


class BigVisionParamsTest(TestCase):
    @parameterized.parameters(*MODELS)
    def test_reproduces_big_vision_embeddings(self, name):
        model, inputs, io = _load(name)
        out = model(inputs)
        self.assertAllClose(out["image_embeddings"], io["zimg"], atol=1e-5)
        self.assertAllClose(out["text_embeddings"], io["ztxt"], atol=1e-5)
        self.assertAllClose(model.logit_scale, io["out/t/parameter"][0])

    def test_mixed_bfloat16_matches_big_vision_bf16(self):
        # big_vision's "native" bf16 run feeds the bf16 weights to Flax
        # (text tower in bf16); ours computes both towers in bf16 with
        # float32 variables. Both stay within bf16 rounding of the float32
        # reference (measured ~4e-3), and the embeddings stay float32.
        policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_bfloat16")
        try:
            model, inputs, io = _load("siglip_map_bf16")
            out = model(inputs)
        finally:
            keras.config.set_dtype_policy(policy)
        self.assertEqual(model.image_encoder.compute_dtype, "bfloat16")
        self.assertEqual(model.logit_scale.dtype, "float32")
        for key, ref in (("image_embeddings", "zimg"),
                         ("text_embeddings", "ztxt")):
            self.assertEqual(keras.backend.standardize_dtype(
                out[key].dtype), "float32")
            self.assertAllClose(out[key], io[ref], atol=2e-2)
            self.assertAllClose(out[key], io["native_bf16/" + ref], atol=2e-2)

    def test_bfloat16_bits_widen_exactly(self):
        bits = np.array([0x3F80, 0xC000, 0x7F80, 0x0001], np.uint16)
        values = bfloat16_to_float32(bits.view("V2"))
        self.assertEqual(values.dtype, np.float32)
        np.testing.assert_array_equal(values[:3], [1.0, -2.0, np.inf])
        self.assertEqual(values[3].view(np.uint32), 0x00010000)

    def test_scanned_stack_with_wrong_depth_is_an_error(self):
        folder = GOLDEN / "siglip_map_scan"
        config = json.loads((folder / "config.json").read_text())
        config["model"]["image"]["depth"] = 3
        model = _model_from_config(config)
        model({"images": np.zeros((1, 32, 32, 3), "float32"),
               "token_ids": np.zeros((1, 16), "int32")})
        with self.assertRaisesRegex(KeyError, "img/Transformer/encoderblock_2"):
            load_two_tower_params(model, dict(np.load(folder /
                                                      "checkpoint.npz")))

    def test_unmapped_or_missing_keys_are_errors(self):
        folder = GOLDEN / "siglip_map"
        config = json.loads((folder / "config.json").read_text())
        params = dict(np.load(folder / "checkpoint.npz"))
        model = _model_from_config(config)
        model({"images": np.zeros((1, 32, 32, 3), "float32"),
               "token_ids": np.zeros((1, 16), "int32")})
        extra = dict(params, **{"params/img/extra": np.zeros(1)})
        with self.assertRaisesRegex(ValueError, "not mapped.*img/extra"):
            load_two_tower_params(model, extra)
        del params["params/txt/head/bias"]
        with self.assertRaisesRegex(KeyError, "txt/head/bias"):
            load_two_tower_params(model, params)

    def test_tower_configs_and_saving(self):
        model, inputs, _ = _load("tok_imghead")
        self.run_serialization_test(model.image_encoder)
        self.run_serialization_test(model.text_encoder)
        self.run_model_saving_test(model, inputs, atol=1e-6)
