"""Position-embedding resizes: load-time (big_vision's resample_posemb and
fix_old_checkpoints) and in-graph (FlexiViT's per-call resize)."""

import numpy as np
from absl.testing import parameterized
from keras import ops

from keras_lip import layers
from keras_lip.testing import TestCase
from keras_lip.testing import golden_dir
from keras_lip.testing import value_and_grad

GOLDEN = dict(np.load(golden_dir("flexi", "resample_posemb.npz")))
FLEXI = golden_dir("flexi", "flexivit")


class ResamplePosembTest(TestCase):
    @parameterized.parameters(("g7_to_g14", 14), ("g16_to_g24", 24),
                              ("g14_to_g9", 9), ("g7_to_g7", 7))
    def test_matches_big_vision(self, case, grid):
        out = layers.resample_posemb(GOLDEN[case + "/old"], grid)
        self.assertEqual(out.dtype, np.float32)
        self.assertAllClose(out, GOLDEN[case + "/new"], atol=1e-6, rtol=0)

    def test_old_cls_posemb(self):
        case = "cls_g7p1_to_g10/"
        with self.assertRaisesRegex(ValueError, "split_cls_posemb"):
            layers.resample_posemb(GOLDEN[case + "old"], 10)
        posemb, cls = layers.split_cls_posemb(GOLDEN[case + "old"],
                                              GOLDEN[case + "old_cls"])
        self.assertAllClose(cls, GOLDEN[case + "new_cls"], atol=0, rtol=0)
        self.assertAllClose(layers.resample_posemb(posemb, 10),
                            GOLDEN[case + "new"], atol=1e-6, rtol=0)

    def test_split_cls_leaves_other_layouts_alone(self):
        grid = GOLDEN["g7_to_g14/old"]
        self.assertIs(layers.split_cls_posemb(grid)[0], grid)
        # A NaFlex [n, n, width] grid with n = k*k + 1 is not an old posemb
        # (big_vision's fix_old_checkpoints corrupts it).
        naflex = np.zeros((5, 5, 8), "float32")
        self.assertIs(layers.split_cls_posemb(naflex, None)[0], naflex)

    def test_non_square_grids_are_separable(self):
        posemb = np.random.default_rng(0).normal(size=(1, 12, 3))
        out = layers.resample_posemb(posemb, (5, 2), old_grid=(3, 4))
        rows = layers.resample_posemb(posemb, (5, 4), old_grid=(3, 4))
        both = layers.resample_posemb(rows, (5, 2), old_grid=(5, 4))
        self.assertAllClose(out, both, atol=1e-12)
        self.assertAllClose(out.reshape(5, 2, 3)[[0, -1]][:, [0, -1]],
                            posemb.reshape(3, 4, 3)[[0, -1]][:, [0, -1]],
                            atol=1e-12)  # Aligned corners.

    def test_bad_shapes(self):
        with self.assertRaisesRegex(ValueError, "not a square"):
            layers.resample_posemb(np.zeros((1, 12, 3)), 4)
        with self.assertRaisesRegex(ValueError, r"\[1, tokens, width\]"):
            layers.resample_posemb(np.zeros((12, 3)), 4)
        with self.assertRaisesRegex(ValueError, "does not hold 12"):
            layers.resample_posemb(np.zeros((1, 12, 3)), 4, old_grid=(3, 3))


class ResizePosembTest(TestCase):
    @parameterized.parameters(8, 4, 2, 7)
    def test_matches_flexivit_run_time_resize(self, seqhw):
        posemb = np.load(FLEXI / "checkpoint.npz")["params/pos_embedding"]
        expected = np.load(FLEXI / "io.npz")[f"seqhw{seqhw}/posemb_used"]
        self.assertAllClose(layers.resize_posemb(posemb, 7, seqhw), expected,
                            atol=1e-6, rtol=0)

    def test_differs_from_load_time_resize_and_is_differentiable(self):
        posemb = GOLDEN["g7_to_g14/old"]
        in_graph = np.asarray(layers.resize_posemb(posemb, 7, 14))
        self.assertGreater(np.abs(in_graph - GOLDEN["g7_to_g14/new"]).max(),
                           0.1)  # Half-pixel vs aligned corners.
        probe = np.random.default_rng(0).normal(size=(1, 16, 16))
        probe = probe.astype("float32")
        _, (grad,) = value_and_grad(
            lambda p: ops.sum(layers.resize_posemb(p, (7, 7), (4, 4)) * probe),
            posemb)
        self.assertEqual(tuple(grad.shape), posemb.shape)
        self.assertAllClose(np.sum(grad), np.sum(probe), atol=1e-4)

    def test_bad_grid(self):
        with self.assertRaisesRegex(ValueError, "does not match"):
            layers.resize_posemb(np.zeros((1, 49, 4)), (6, 6), (3, 3))
