"""Chunked retrieval equals the naive full-matrix computation."""

import numpy as np
from absl.testing import parameterized

from keras_lip.evaluation import retrieval
from keras_lip.testing import TestCase, tiny_siglip


def _naive(zimg, ztxt, owner, ks):
    sims = zimg @ ztxt.T  # [N, M]
    i2t = np.argsort(-sims, axis=1)
    t2i = np.argsort(-sims.T, axis=1)
    out = {}
    for k in ks:
        out[f"i2t_r{k}"] = np.mean([
            np.any(owner[i2t[i, :k]] == i) for i in range(len(zimg))])
    for k in ks:
        out[f"t2i_r{k}"] = np.mean([
            owner[j] in t2i[j, :k] for j in range(len(ztxt))])
    return out, i2t, t2i


def _random(n, m, d, seed=0):
    rng = np.random.default_rng(seed)
    zimg = rng.normal(size=(n, d)).astype("float32")
    owner = np.sort(rng.integers(0, n, m))
    # Captions near their image, so recalls are neither 0 nor 1.
    ztxt = (zimg[owner] + 1.5 * rng.normal(size=(m, d))).astype("float32")
    return zimg, ztxt, owner


class RetrievalTest(TestCase):
    @parameterized.parameters((7, 5), (64, 1000), (3, 2))
    def test_chunked_equals_naive(self, image_chunk, text_chunk):
        zimg, ztxt, owner = _random(50, 130, 16)
        ks = (1, 5, 10)
        expected, i2t_full, t2i_full = _naive(zimg, ztxt, owner, ks)
        i2t, t2i = retrieval.chunked_topk(zimg, ztxt, 10, image_chunk,
                                          text_chunk)
        np.testing.assert_array_equal(i2t, i2t_full[:, :10])
        np.testing.assert_array_equal(t2i, t2i_full[:, :10])
        got = retrieval.recall_at_k(i2t, t2i, owner, ks)
        self.assertEqual(sorted(got), sorted(expected))
        for key, value in expected.items():
            self.assertAlmostEqual(got[key], value, msg=key)
        self.assertGreater(got["i2t_r1"], 0.05)
        self.assertLess(got["t2i_r1"], 0.95)

    def test_k_larger_than_sets(self):
        zimg, ztxt, owner = _random(3, 4, 8)
        i2t, t2i = retrieval.chunked_topk(zimg, ztxt, 10, 2, 3)
        self.assertEqual(i2t.shape, (3, 4))
        self.assertEqual(t2i.shape, (4, 3))
        got = retrieval.recall_at_k(i2t, t2i, owner, ks=(10,))
        self.assertEqual(got, {"i2t_r10": 1.0, "t2i_r10": 1.0})

    def test_evaluate_retrieval_with_caption_mask(self):
        model = tiny_siglip(width=32, depth=1)
        rng = np.random.default_rng(0)
        images = rng.uniform(-1, 1, (6, 16, 16, 3)).astype("float32")
        tokens = rng.integers(2, 100, (6, 3, 8)).astype("int32")
        mask = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]] * 2, bool)
        batches = [{"images": images[:3], "token_ids": tokens[:3],
                    "caption_mask": mask[:3]},
                   {"images": images[3:], "token_ids": tokens[3:],
                    "caption_mask": mask[3:]}]
        zimg, ztxt, owner = retrieval.retrieval_embeddings(model, batches)
        self.assertEqual(zimg.shape, (6, 32))
        self.assertEqual(ztxt.shape, (12, 32))
        self.assertEqual(owner.tolist(), [0, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 5])
        self.assertAllClose(ztxt[4], model.embed_texts(tokens[2, :1])[0],
                            atol=1e-5)
        result = retrieval.evaluate_retrieval(model, batches, ks=(1, 5))
        expected, _, _ = _naive(zimg, ztxt, owner, (1, 5))
        for key, value in expected.items():
            self.assertAlmostEqual(result[key], value, places=6)
        self.assertEqual((result["num_images"], result["num_texts"]), (6, 12))

    def test_coco_scale_5k_by_25k(self):
        zimg, ztxt, owner = _random(5000, 25000, 64, seed=1)
        i2t, t2i = retrieval.chunked_topk(zimg, ztxt, 10)
        self.assertEqual(i2t.shape, (5000, 10))
        self.assertEqual(t2i.shape, (25000, 10))
        got = retrieval.recall_at_k(i2t, t2i, owner)
        # Spot-check rows against exact numpy similarities.
        for row in (0, 2500, 4999):
            sims = zimg[row] @ ztxt.T
            np.testing.assert_array_equal(i2t[row], np.argsort(-sims)[:10])
        for col in (0, 12345, 24999):
            sims = zimg @ ztxt[col]
            np.testing.assert_array_equal(t2i[col], np.argsort(-sims)[:10])
        self.assertGreater(got["i2t_r10"], got["i2t_r1"])
