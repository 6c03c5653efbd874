"""The TF "gather" loop (tf.while_loop + TensorArray + custom gradient)
compiles with XLA, as it must under TPUStrategy.

Multi-replica XLA cannot run on CPU here (MirroredStrategy with
jit_compile=True fails for any model: "Trying to access resource ... located
in device CPU:1 from device CPU:0"), so this compiles one replica's share
with `jit_compile=True` and compares it with autodiff over the same blocks.
Runs in a TensorFlow child process whatever KERAS_BACKEND is.
"""

import json

from keras_lip.testing import TestCase
from keras_lip.testing.subprocess_utils import run_python

PROGRAM = """
import json
import numpy as np, tensorflow as tf
from keras_lip.distribution import tf_negatives
from keras_lip.ops import blocks

rng = np.random.default_rng(0)
zimg = tf.constant(rng.normal(size=(4, 8)).astype("float32"))
zall = tf.constant(rng.normal(size=(12, 8)).astype("float32"))
t, b = tf.constant(1.0), tf.constant(-2.0)

def value_and_grads(share_fn, jit):
    @tf.function(jit_compile=jit)
    def run(zimg, zall, t, b):
        with tf.GradientTape() as tape:
            tape.watch([zimg, zall, t, b])
            loss = share_fn(zimg, zall, t, b)
        return [loss] + tape.gradient(loss, [zimg, zall, t, b])
    values = [np.asarray(x).tolist() for x in run(zimg, zall, t, b)]
    if jit:  # Raises unless XLA compiled it; HLO text otherwise.
        hlo = run.experimental_get_compiler_ir(zimg, zall, t, b)(stage="hlo")
        values.append("HloModule" in hlo and "while" in hlo)
    return values

compiled = value_and_grads(lambda *a: tf_negatives._gather_share(
    *a, me=tf.constant(1), n=3, global_batch=tf.constant(12.0)), True)
reference = value_and_grads(lambda zi, za, t, b: sum(
    blocks.sigmoid_block_loss(zi, za[4 * k:4 * k + 4], tf.exp(t), b, k == 1)
    for k in range(3)) / 12.0, False)
print("RESULT " + json.dumps([compiled, reference]))
"""


class TfXlaTest(TestCase):
    def test_gather_share_compiles_with_xla(self):
        result = run_python(PROGRAM, env={"KERAS_BACKEND": "tensorflow"})
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        line = [l for l in result.stdout.splitlines()
                if l.startswith("RESULT ")][0]
        compiled, reference = json.loads(line[len("RESULT "):])
        self.assertTrue(compiled.pop())  # An XLA module with a while loop.
        for got, want, name in zip(compiled, reference,
                                   ["loss", "zimg", "ztxt_all", "t", "b"]):
            self.assertGradientClose(got, want, name, rtol=1e-5)
