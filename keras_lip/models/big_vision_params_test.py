"""The Keras towers reproduce big_vision's embeddings from its checkpoints."""

import json

import numpy as np
from absl.testing import parameterized

from keras_lip.models import TwoTower
from keras_lip.models.big_vision_params import load_two_tower_params
from keras_lip.models.text_encoder import TextEncoder
from keras_lip.models.vit_encoder import ViTEncoder
from keras_lip.testing import TestCase
from keras_lip.testing import shared_dir

GOLDEN = shared_dir() / "golden" / "public" / "two_towers"
# float32, unscanned checkpoints (scan and bf16 variants: see issue 3).
MODELS = ("siglip_map", "tok_imghead", "gap_clip")


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
