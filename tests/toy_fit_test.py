"""README command 1 (the toy demo) runs and its loss goes down."""

import re

from absl.testing import parameterized

from keras_lip.testing import TestCase
from keras_lip.testing.subprocess_utils import run_python

DEMO = """
import sys
from absl import app
from keras_lip.cli import toy_fit
sys.argv = ["toy_fit"] + {args!r}
app.run(toy_fit.main)
"""


class ToyFitTest(TestCase):
    # The JAX ring under 4 virtual CPU devices on 2 cores aborted twice in
    # ~10 CI runs inside XLA's CPU CollectivePermute rendezvous
    # (AwaitAndLogIfStuck, SIGABRT) while an eager op ran; undiagnosed. The
    # demo test uses "gather"; ring exactness stays covered by
    # distributed_loss_test and distributed_fit_test.
    @parameterized.parameters(([],), (["--replicas=4", "--negatives=gather"],))
    def test_demo_trains(self, args):
        result = run_python(DEMO.format(args=["--epochs=3"] + args))
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        match = re.search(r"OK: loss went down from ([\d.]+) to ([\d.]+)",
                          result.stdout)
        self.assertIsNotNone(match, result.stdout[-3000:])
        self.assertLess(float(match.group(2)), 0.8 * float(match.group(1)))
