import numpy as np
from absl.testing import parameterized

from keras_lip import layers
from keras_lip import losses
from keras_lip.testing import TestCase
from keras_lip.testing import golden_dir
from keras_lip.testing import value_and_grad

GOLDEN = golden_dir("loss")
CASES = sorted(p.stem for p in GOLDEN.glob("*.npz"))


class SoftmaxContrastiveLossTest(TestCase):
    @parameterized.parameters(*CASES)
    def test_matches_big_vision(self, case):
        g = dict(np.load(GOLDEN / f"{case}.npz"))
        loss, grads = value_and_grad(
            losses.softmax_contrastive_loss, g["zimg"], g["ztxt"], g["t"])
        self.assertAllClose(loss, g["softmax_loss"], rtol=1e-5, atol=1e-5)
        for got, key in zip(grads, ("zimg", "ztxt", "t")):
            self.assertGradientClose(got, g[f"softmax_grad_{key}"], key)

        def raw(zimg_raw, ztxt_raw):
            return losses.softmax_contrastive_loss(
                layers.l2_normalize(zimg_raw), layers.l2_normalize(ztxt_raw),
                g["t"])

        _, grads = value_and_grad(raw, g["zimg_raw"], g["ztxt_raw"])
        for got, key in zip(grads, ("zimg_raw", "ztxt_raw")):
            self.assertGradientClose(got, g[f"softmax_grad_{key}"], key)

    def test_pinned_value(self):
        # Orthonormal pairs, t = log 10: each row and column has logit 10 on
        # the diagonal and 0 elsewhere: loss = log(1 + 3·e^-10).
        z = np.eye(4, 8, dtype="float32")
        loss = losses.softmax_contrastive_loss(z, z, np.log(10.0))
        self.assertAllClose(loss, np.log1p(3 * np.exp(-10.0)), rtol=1e-4)

    def test_no_ring(self):
        with self.assertRaisesRegex(ValueError, "negatives='ring'"):
            losses.SoftmaxContrastiveLoss(negatives="ring")

    def test_serialization(self):
        revived = self.run_serialization_test(
            losses.SoftmaxContrastiveLoss(negatives="local"))
        self.assertEqual(revived.negatives, "local")
