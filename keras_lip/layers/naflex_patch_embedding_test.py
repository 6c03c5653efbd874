"""NaFlex per-image position embeddings and patch embedding."""

import numpy as np
from absl.testing import parameterized

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
            self.assertAllClose(out[i, h * w:],
                                np.broadcast_to(out[i, 0], out[i, h * w:].shape),
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
