"""NaFlex per-image position embeddings and patch embedding."""

import keras
import numpy as np
from absl.testing import parameterized
from keras import ops

from keras_lip import layers
from keras_lip.layers.resize_weights import linear_resize_matrix
from keras_lip.testing import TestCase


def _coords(grids, tokens):
    """Row-major (yidx, xidx) of each `(h, w)` grid, zero-padded."""
    y = np.zeros((len(grids), tokens), "int32")
    x = np.zeros_like(y)
    for i, (h, w) in enumerate(grids):
        gy, gx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        y[i, :h * w], x[i, :h * w] = gy.ravel(), gx.ravel()
    return y, x


def _reference(posemb, h, w):
    """`jax.image.resize(posemb, (h, w, d), "linear")`, flattened."""
    m_h = linear_resize_matrix(posemb.shape[0], h, True)
    m_w = linear_resize_matrix(posemb.shape[1], w, True)
    return np.einsum("ah,bw,hwd->abd", m_h, m_w, posemb).reshape(h * w, -1)


class _TinyNaFlex(keras.Model):
    """Patch embedding, masked encoder, masked MAP pooling, a linear read."""

    def __init__(self):
        super().__init__(name="tiny_naflex")
        self.embed = layers.NaFlexPatchEmbedding(8, nposemb=4)
        self.encoder = layers.MaskedTransformerEncoder(1, 2, 16)
        self.pool = layers.MaskedMAPHead(2, 16)
        self.readout = keras.layers.Dense(1)

    def call(self, inputs):
        patches, ptype, yidx, xidx = inputs
        x = self.encoder(self.embed(patches, yidx, xidx),
                         padding_mask=ptype == 1)
        return self.readout(self.pool(x, padding_mask=ptype == 1))


class NaFlexPositionEmbeddingTest(TestCase):
    @parameterized.parameters(((8, 8), [(4, 13), (9, 6), (8, 8), (21, 3)]),
                              ((5, 3), [(2, 7), (1, 1), (70, 1)]))
    def test_resized_per_image(self, posemb_hw, grids):
        posemb = np.random.default_rng(0).normal(size=(*posemb_hw, 4))
        posemb = posemb.astype("float32")
        tokens = max(h * w for h, w in grids) + 3
        yidx, xidx = _coords(grids, tokens)
        out = np.asarray(layers.naflex_position_embedding(posemb, yidx, xidx))
        for i, (h, w) in enumerate(grids):
            self.assertAllClose(out[i, :h * w], _reference(posemb, h, w),
                                atol=1e-5)
            # Pads (coordinates 0, 0) get the first token's embedding.
            pads = out[i, h * w:]
            self.assertAllClose(pads, np.broadcast_to(out[i, 0], pads.shape),
                                atol=0, rtol=0)

    def test_layer(self):
        embed = layers.NaFlexPatchEmbedding(6, nposemb=4)
        grids = [(3, 5), (2, 2)]
        yidx, xidx = _coords(grids, 16)
        patches = np.random.default_rng(1).normal(size=(2, 16, 12))
        patches = patches.astype("float32")
        out = embed(patches, yidx, xidx)
        dense = patches @ np.asarray(embed.embedding.kernel)
        dense += np.asarray(embed.embedding.bias)
        posemb = layers.naflex_position_embedding(embed.pos_embedding, yidx,
                                                  xidx)
        self.assertAllClose(out, dense + np.asarray(posemb), atol=1e-5)
        self.assertEqual(tuple(embed.pos_embedding.shape), (4, 4, 6))
        revived = self.run_serialization_test(embed)
        self.assertEqual(revived.nposemb, (4, 4))

    def test_trains_in_a_jitted_step_with_mixed_grids(self):
        keras.utils.set_random_seed(0)
        grids = [(3, 5), (2, 2), (4, 4), (1, 7)]
        yidx, xidx = _coords(grids, 16)
        ptype = (np.arange(16)[None] < np.array([h * w for h, w in grids])
                 [:, None]).astype("int32")
        patches = np.random.default_rng(2).normal(size=(4, 16, 12))
        inputs = (patches.astype("float32") * ptype[..., None], ptype, yidx,
                  xidx)
        model = _TinyNaFlex()
        model(inputs)
        before = np.asarray(model.embed.pos_embedding)
        model.compile(keras.optimizers.SGD(0.005), "mse", jit_compile=True)
        history = model.fit(inputs, np.array([[1.0], [-1.0], [0.5], [0.0]]),
                            batch_size=4, epochs=5, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertGreater(
            np.abs(np.asarray(model.embed.pos_embedding) - before).max(), 0)
        self.assertTrue(np.all(np.isfinite(ops.convert_to_numpy(
            model.predict(inputs, verbose=0)))))
