"""Padding masks: pooling helpers, masked encoder and masked MAP head."""

import numpy as np
from keras import ops

from keras_lip import layers
from keras_lip.testing import TestCase

LENGTHS = (5, 2, 7)


def _padded(seed=0, width=8, tokens=7):
    """Random tokens with garbage (large) values at the pad positions."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(LENGTHS), tokens, width)).astype("float32")
    mask = np.arange(tokens)[None, :] < np.array(LENGTHS)[:, None]
    x[~mask] = 50.0
    return x, mask


class PoolingTest(TestCase):
    def test_pairwise_mask(self):
        m = np.asarray(layers.pairwise_attention_mask(np.array([[1, 0, 1]])))
        self.assertEqual(m.dtype, bool)
        self.assertEqual(m[0].astype(int).tolist(),
                         [[1, 0, 1], [0, 0, 0], [1, 0, 1]])

    def test_masked_mean_and_max(self):
        x, mask = _padded()
        for i, n in enumerate(LENGTHS):
            self.assertAllClose(np.asarray(layers.masked_mean(x, mask))[i],
                                x[i, :n].mean(0), atol=1e-6)
            self.assertAllClose(np.asarray(layers.masked_max(x, mask))[i],
                                x[i, :n].max(0), atol=0)
        empty = np.zeros_like(mask)
        self.assertAllClose(layers.masked_mean(x, empty), np.zeros((3, 8)))


class MaskedLayersTest(TestCase):
    def _each_alone(self, fn, x):
        return [np.asarray(fn(x[i:i + 1, :n]))[0]
                for i, n in enumerate(LENGTHS)]

    def test_encoder_valid_tokens_ignore_pads(self):
        encoder = layers.MaskedTransformerEncoder(2, 2, 16)
        x, mask = _padded()
        out = np.asarray(encoder(x, padding_mask=mask))
        for i, alone in enumerate(self._each_alone(encoder, x)):
            self.assertAllClose(out[i, :LENGTHS[i]], alone, atol=1e-5)

    def test_encoder_without_mask_is_transformer_encoder(self):
        masked = layers.MaskedTransformerEncoder(2, 2, 16)
        plain = layers.TransformerEncoder(2, 2, 16)
        x, _ = _padded()
        masked.build(x.shape)
        plain.build(x.shape)
        self.assertEqual([v.path.split("/", 1)[1] for v in masked.weights],
                         [v.path.split("/", 1)[1] for v in plain.weights])
        plain.set_weights(masked.get_weights())
        self.assertAllClose(masked(x), plain(x), atol=0, rtol=0)
        full = np.ones(x.shape[:2], bool)
        self.assertAllClose(masked(x, padding_mask=full), plain(x), atol=1e-5)

    def test_map_head_pools_valid_tokens_only(self):
        head = layers.MaskedMAPHead(2, 16)
        x, mask = _padded(1)
        pooled = np.asarray(head(x, padding_mask=ops.convert_to_tensor(mask)))
        for i, alone in enumerate(self._each_alone(head, x)):
            self.assertAllClose(pooled[i], alone, atol=1e-5)
        plain = layers.MAPHead(2, 16)
        plain.build(x.shape)
        plain.set_weights(head.get_weights())
        self.assertAllClose(head(x), plain(x), atol=0, rtol=0)

    def test_serialization(self):
        encoder = self.run_serialization_test(
            layers.MaskedTransformerEncoder(2, 2, 16, dropout=0.1))
        self.assertIsInstance(encoder, layers.MaskedTransformerEncoder)
        head = self.run_serialization_test(layers.MaskedMAPHead(2, 16))
        self.assertIsInstance(head, layers.MaskedMAPHead)
