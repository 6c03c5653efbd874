"""Cross-replica losses equal the global loss, value and gradients.

Runs on the active backend: TensorFlow MirroredStrategy over logical CPUs, or
JAX keras.distribution.DataParallel over host devices (both configured by the
root conftest before any framework is imported).
"""

import keras
import numpy as np
from absl.testing import parameterized

from keras_lip import losses
from keras_lip.testing import TestCase
from keras_lip.testing import value_and_grad
from keras_lip.testing.replicas import replicated_value_and_grad
from keras_lip.testing.subprocess_utils import run_python

REPLICAS = (1, 2, 3, 4, 8)
BATCH = 24  # Divisible by every count in REPLICAS.


def _embeddings(seed, batch=BATCH, dim=16):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(2, batch, dim)).astype("float32")
    # Correlated pairs so that positives and negatives both matter.
    z[1] = z[0] + 0.5 * z[1]
    return z / np.linalg.norm(z, axis=-1, keepdims=True)


class DistributedSigmoidLossTest(TestCase):
    def _check(self, fn, reference, args, scalars, n):
        value, grads = replicated_value_and_grad(fn, args, scalars, n)
        ref_value, ref_grads = value_and_grad(reference, *args, *scalars)
        self.assertGradientClose(value, ref_value, "loss", rtol=1e-5)
        names = ["image_embeddings", "text_embeddings", "logit_scale",
                 "logit_bias"]
        for got, want, name in zip(grads, ref_grads, names):
            self.assertGradientClose(got, want, name, rtol=1e-5)

    @parameterized.product(n=REPLICAS, negatives=("ring", "gather", "auto"))
    def test_sigmoid_equals_global_loss(self, n, negatives):
        zimg, ztxt = _embeddings(n)
        scalars = [np.float32(np.log(10.0)), np.float32(-6.0)]

        def fn(a, b, t, bias):
            return losses.sigmoid_contrastive_loss(a, b, t, bias,
                                                   negatives=negatives)

        self._check(fn, losses.sigmoid_contrastive_loss, [zimg, ztxt],
                    scalars, n)

    @parameterized.parameters(2, 4)
    def test_sigmoid_local_negatives(self, n):
        zimg, ztxt = _embeddings(10 + n)
        b = BATCH // n
        scalars = [np.float32(1.0), np.float32(-3.0)]

        def fn(a, c, t, bias):
            return losses.sigmoid_contrastive_loss(a, c, t, bias,
                                                   negatives="local")

        def reference(a, c, t, bias):
            # Mean over replicas of each replica's own-batch loss.
            parts = [losses.sigmoid_contrastive_loss(
                a[i * b:(i + 1) * b], c[i * b:(i + 1) * b], t, bias)
                for i in range(n)]
            return keras.ops.mean(keras.ops.stack(parts))

        self._check(fn, reference, [zimg, ztxt], scalars, n)

    @parameterized.product(n=(1, 3, 8), negatives=("gather", "local"))
    def test_softmax(self, n, negatives):
        zimg, ztxt = _embeddings(20 + n)
        b = BATCH // n

        def fn(a, c, t):
            return losses.softmax_contrastive_loss(a, c, t,
                                                   negatives=negatives)

        def reference(a, c, t):
            if negatives == "gather":
                return losses.softmax_contrastive_loss(a, c, t)
            parts = [losses.softmax_contrastive_loss(
                a[i * b:(i + 1) * b], c[i * b:(i + 1) * b], t)
                for i in range(n)]
            return keras.ops.mean(keras.ops.stack(parts))

        self._check(fn, reference, [zimg, ztxt], [np.float32(2.0)], n)

    def test_indivisible_global_batch(self):
        if keras.config.backend() == "jax":
            zimg, ztxt = _embeddings(0, batch=10)
            scalars = (np.float32(1.0), np.float32(-1.0))
            import jax

            with keras.distribution.DataParallel(
                    devices=jax.devices()[:4]).scope():
                with self.assertRaisesRegex(
                        ValueError, "global batch of 10 .* the 4 devices"):
                    losses.sigmoid_contrastive_loss(zimg, ztxt, *scalars)
            return
        # A failed collective cancels every later collective of the process.
        result = run_python("""
            import numpy as np, tensorflow as tf
            from keras_lip import losses
            from keras_lip.testing.replicas import mirrored_strategy
            z = np.eye(10, 4, dtype="float32")
            strategy = mirrored_strategy(4)
            starts = [0, 3, 6, 8, 10]  # An uneven last batch of 10.
            inputs = strategy.experimental_distribute_values_from_function(
                lambda ctx: z[starts[ctx.replica_id_in_sync_group]:
                              starts[ctx.replica_id_in_sync_group + 1]])
            fn = lambda x: losses.sigmoid_contrastive_loss(x, x, 1.0, -1.0)
            tf.function(lambda x: strategy.run(fn, (x,)))(inputs)
        """)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertRegex(
            result.stderr,
            r"InvalidArgumentError[\s\S]*global batch of[\s\S]*10[\s\S]*"
            r"does not split evenly over the[\s\S]*4[\s\S]*replicas")
