"""Tiny FlexiViT and NaFlex towers assembled from keras_lip.layers reproduce
big_vision's golden outputs (tests/testdata/golden/flexi/)."""

import json

import keras
import numpy as np
from absl.testing import parameterized
from keras import ops

from keras_lip import data
from keras_lip import layers
from keras_lip.data import image_ops
from keras_lip.models import TextEncoder
from keras_lip.testing import TestCase
from keras_lip.testing import golden_dir

# Keras variable names that differ from Flax's.
_RENAMES = {"gamma": "scale", "beta": "bias", "attention_output": "out",
            "embeddings": "embedding"}


def _jit(fn):
    if keras.config.backend() == "jax":
        import jax

        return jax.jit(fn)
    import tensorflow as tf

    return tf.function(fn, jit_compile=True)


def _load(params, named_layers, overrides=None):
    """Assigns flat big_vision `params` to `[(prefix, layer)]` by variable
    path (`Transformer/encoderblock_0/LayerNorm_0/gamma` ->
    `<prefix>Transformer/encoderblock_0/LayerNorm_0/scale`); every
    checkpoint entry must be used."""
    params = {k.removeprefix("params/"): v for k, v in params.items()}
    used = set()
    for prefix, layer in named_layers:
        for variable in layer.weights:
            key = "/".join(_RENAMES.get(p, p) for p in variable.path.split("/"))
            key = (overrides or {}).get(key, prefix + key)
            variable.assign(params[key].reshape(variable.shape))
            used.add(key)
    return sorted(set(params) - used)


def _folder(name):
    folder = golden_dir("flexi", name)
    config = json.loads((folder / "config.json").read_text())
    return (config, dict(np.load(folder / "io.npz")),
            dict(np.load(folder / "checkpoint.npz")))


class _GoldenCase(TestCase):
    def assertGoldenClose(self, actual, expected, msg=None):
        """Within 1e-5 of the output's scale (rtol 1e-5): outputs such as
        the conv stem reach ~20, where float32 rounding alone is ~1e-5
        (big_vision's own stem is 1.5e-5 from a float64 recomputation)."""
        scale = max(1.0, float(np.max(np.abs(expected))))
        self.assertAllClose(actual, expected, atol=1e-5 * scale, rtol=1e-5,
                            msg=msg)


class FlexiViTGoldenTest(_GoldenCase):
    @classmethod
    def setUpClass(cls):
        config, cls.io, params = _folder("flexivit")
        m = cls.m = config["model"]
        cls.embed = layers.FlexiPatchEmbedding(
            m["width"], m["patch_size"], m["posemb_size"], name="embedding")
        cls.embed.build((None, None, None, 3))
        cls.encoder = layers.TransformerEncoder(
            m["depth"], m["num_heads"], m["mlp_dim"], name="Transformer")
        cls.encoder.build((None, None, m["width"]))
        cls.head = keras.layers.Dense(m["num_classes"], name="head")
        cls.head.build((None, m["width"]))
        unused = _load(params, [("", cls.embed), ("", cls.encoder),
                                ("", cls.head)],
                       {"embedding/pos_embedding": "pos_embedding"})
        assert unused == ["cls"], unused
        cls.cls = params["params/cls"]

    def _forward(self, images, seqhw):
        """big_vision's `proj.flexi.vit` with pool_type "tok"."""
        x = self.embed(images, seqhw=seqhw)
        cls = ops.tile(ops.convert_to_tensor(self.cls), (ops.shape(x)[0], 1, 1))
        encoded = self.encoder(ops.concatenate([cls, x], axis=1))
        logits_2d = self.head(ops.reshape(encoded[:, 1:],
                                          (-1, seqhw, seqhw, self.m["width"])))
        return x, encoded, self.head(encoded[:, 0]), logits_2d

    @parameterized.parameters(8, 4, 2, 7)
    def test_every_seqhw(self, seqhw):
        io, key = self.io, f"seqhw{seqhw}/"
        patch = self.embed.resolve_patch_size((64, 64), seqhw)
        self.assertEqual(patch, tuple(io[key + "patch_size"]))
        if key + "patch_kernel" in io:
            self.assertAllClose(
                layers.resample_patch_embedding(self.embed.kernel, patch),
                io[key + "patch_kernel"], atol=1e-6, rtol=0)
        self.assertGoldenClose(
            self.embed.embed_patches(ops.convert_to_tensor(io["images"]),
                                     patch),
            io[key + "out/stem"])
        outputs = self._forward(io["images"], seqhw)
        names = ("with_posemb", "encoded", "logits", "logits_2d")
        for name, value in zip(names, outputs):
            self.assertGoldenClose(value, io[key + "out/" + name], msg=name)
        self.assertGoldenClose(outputs[2], io[key + "logits"])

    def test_jitted_steps_at_several_patch_sizes(self):
        for seqhw in (4, 7):
            step = _jit(lambda images, s=seqhw: self._forward(images, s)[2])
            logits = step(ops.convert_to_tensor(self.io["images"]))
            self.assertGoldenClose(logits, self.io[f"seqhw{seqhw}/logits"])


class NaFlexGoldenTest(_GoldenCase):
    @classmethod
    def setUpClass(cls):
        config, cls.io, params = _folder("naflex")
        img, txt = config["model"]["image"], config["model"]["text"]
        width, depth, mlp, heads = (img[k] for k in (
            "width", "depth", "mlp_dim", "num_heads"))
        cls.embed = layers.NaFlexPatchEmbedding(width, img["nposemb"],
                                                name="img")
        cls.encoder = layers.MaskedTransformerEncoder(
            depth, heads, mlp, name="Transformer")
        cls.map_head = layers.MaskedMAPHead(heads, mlp, name="MAPHead_0")
        cls.text = TextEncoder(txt["vocab_size"], txt["width"], txt["depth"],
                               txt["mlp_dim"], txt["num_heads"],
                               num_classes=config["model"]["out_dim"][1],
                               name="txt")
        io = cls.io
        cls.embed(io["patches"], io["yidx"], io["xidx"])
        for layer in (cls.encoder, cls.map_head):
            layer.build((None, None, width))
        cls.text(io["tokens"])
        unused = _load(params, [("", cls.embed), ("img/", cls.encoder),
                                ("img/", cls.map_head), ("", cls.text)])
        assert unused == ["b", "t"], unused
        cls.t, cls.b = params["params/t"], params["params/b"]

    def _zimg(self, patches, ptype, yidx, xidx):
        x = self.embed(patches, yidx, xidx)
        x = self.encoder(x, padding_mask=ptype == 1)
        return layers.l2_normalize(self.map_head(x, padding_mask=ptype == 1))

    def _inputs(self):
        return [ops.convert_to_tensor(self.io[k])
                for k in ("patches", "ptype", "yidx", "xidx")]

    def test_posemb_and_tokens(self):
        io = self.io
        self.assertAllClose(
            layers.naflex_position_embedding(self.embed.pos_embedding,
                                             io["yidx"], io["xidx"]),
            io["posemb_gathered"], atol=1e-6, rtol=0)
        with_posemb = self.embed(io["patches"], io["yidx"], io["xidx"])
        self.assertGoldenClose(with_posemb, io["out/img/with_posemb"])
        encoded = self.encoder(with_posemb, padding_mask=io["mask"])
        valid = io["mask"]
        self.assertGoldenClose(np.asarray(encoded)[valid],
                               io["out/img/encoded"][valid])

    def test_embeddings_and_logits(self):
        zimg = self._zimg(*self._inputs())
        ztxt = self.text(self.io["tokens"])
        ztxt = layers.l2_normalize(ztxt)
        self.assertGoldenClose(zimg, self.io["zimg"])
        self.assertGoldenClose(ztxt, self.io["ztxt"])
        logits = ops.matmul(zimg, ops.transpose(ztxt)) * np.exp(self.t) + self.b
        self.assertGoldenClose(logits, self.io["logits"])

    def test_jitted_and_pads_ignored(self):
        patches, ptype, yidx, xidx = self._inputs()
        step = _jit(self._zimg)
        self.assertGoldenClose(step(patches, ptype, yidx, xidx),
                               self.io["zimg"])
        # Pad patches' content must not matter (big_vision checks 0.5).
        noisy = ops.where((ptype == 1)[:, :, None], patches, 0.5)
        self.assertGoldenClose(step(noisy, ptype, yidx, xidx), self.io["zimg"])

    def test_raw_images_through_the_pipeline(self):
        import tensorflow as tf

        raw = [self.io[f"pp/raw/{i}"] for i in range(4)]
        ds = tf.data.Dataset.from_generator(
            lambda: iter(raw),
            output_signature=tf.TensorSpec([None, None, 3], tf.uint8))
        ds = ds.map(lambda im: data.naflex_patches(image_ops.value_range(im),
                                                   8, 64)).batch(4)
        inputs = [ops.convert_to_tensor(v.numpy()) for v in next(iter(ds))]
        self.assertGoldenClose(self._zimg(*inputs), self.io["zimg"])
