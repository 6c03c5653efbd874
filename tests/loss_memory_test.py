"""The chunked losses never materialise more than b×b logits per device.

XLA's compiled memory analysis is deterministic, so this checks the bound
without timing or RSS noise: the temporary buffers of one forward+backward
step of the sharded loss (8 devices) stay below a few b×b blocks plus O(B·d),
far below one b×B slab, while the naive loss needs several B×B buffers.
It runs the JAX program in a child process (any KERAS_BACKEND);
tools/bench_loss.py measures real peak memory on both backends.
"""

import json

from keras_lip.testing import TestCase
from keras_lip.testing.subprocess_utils import run_python

PROGRAM = """
import json, jax, keras, numpy as np
from keras_lip import losses
B, D = 8192, 16
z = np.random.default_rng(0).normal(size=(2, B, D)).astype("float32")
args = (z[0], z[1], np.float32(1.0), np.float32(-1.0))
def temp_bytes(negatives):
    fn = jax.value_and_grad(
        lambda a, b, t, bias: losses.sigmoid_contrastive_loss(
            a, b, t, bias, negatives=negatives, check_finite=False),
        argnums=(0, 1, 2, 3))
    return jax.jit(fn).lower(*args).compile().memory_analysis(
        ).temp_size_in_bytes
out = {"naive": temp_bytes("auto")}
with keras.distribution.DataParallel(devices=jax.devices()[:8]).scope():
    for negatives in ("ring", "gather", "local"):
        out[negatives] = temp_bytes(negatives)
print("RESULT " + json.dumps(out))
"""


class LossMemoryTest(TestCase):
    def test_temporary_memory_bound(self):
        result = run_python(PROGRAM, env={"KERAS_BACKEND": "jax"})
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        line = [l for l in result.stdout.splitlines()
                if l.startswith("RESULT ")][0]
        temp = json.loads(line[len("RESULT "):])
        global_batch, dim, devices = 8192, 16, 8
        b = global_batch // devices
        block = b * b * 4  # One float32 b×b block of logits.
        slab = b * global_batch * 4  # One device's full row of logits.
        self.assertGreaterEqual(temp["naive"], global_batch**2 * 4)
        for negatives in ("ring", "gather", "local"):
            bound = 6 * block + 4 * global_batch * dim * 4
            self.assertLess(bound, slab)  # The bound is meaningful.
            self.assertLess(temp[negatives], bound, (negatives, temp))
