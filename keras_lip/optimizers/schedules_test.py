"""WarmupDecaySchedule reproduces big_vision's schedule formulas."""

import math

import keras
import numpy as np

from keras_lip.testing import TestCase
from keras_lip.optimizers import siglip_optimizer
from keras_lip.optimizers import WarmupDecaySchedule


def _values(schedule, steps):
    return np.array([float(keras.ops.convert_to_numpy(schedule(s)))
                     for s in steps])


class SchedulesTest(TestCase):
    def test_cosine_with_warmup_and_cooldown(self):
        s = WarmupDecaySchedule(2.0, 110, "cosine", warmup_steps=10,
                                cooldown_steps=20)
        steps = [0, 5, 10, 35, 60, 90, 100, 110]
        want = []
        for t in steps:
            progress = min(max((t - 10) / 100, 0), 1)
            lr = 2.0 * 0.5 * (1 + math.cos(math.pi * progress))
            lr *= min(1, t / 10) * min(1, (110 - t) / 20)
            want.append(lr)
        self.assertAllClose(_values(s, steps), np.array(want), atol=1e-6)

    def test_rsqrt_linear_constant(self):
        s = WarmupDecaySchedule(1.0, 50_000, "rsqrt", warmup_steps=100,
                                timescale=1000)
        # big_vision: lr / sqrt((step + timescale - warmup) / timescale).
        self.assertAllClose(_values(s, [50, 100, 1100, 10_100]),
                            np.array([0.5, 1.0, 1 / math.sqrt(2),
                                      1 / math.sqrt(11)]),
                            rtol=1e-5)
        s = WarmupDecaySchedule(1.0, 100, "linear", end_learning_rate=0.1)
        self.assertAllClose(_values(s, [0, 50, 100]), np.array([1.0, 0.55, 0.1]),
                            rtol=1e-6)
        s = WarmupDecaySchedule(3.0, 100, "constant", cooldown_steps=10)
        self.assertAllClose(_values(s, [0, 90, 95, 100]), np.array([3, 3, 1.5, 0]),
                            rtol=1e-6)

    def test_errors_config_and_optimizer_peak(self):
        with self.assertRaisesRegex(ValueError, "decay_type='step'"):
            WarmupDecaySchedule(1.0, 10, "step")
        with self.assertRaisesRegex(ValueError, "warmup_steps=10"):
            WarmupDecaySchedule(1.0, 10, warmup_steps=10)
        s = WarmupDecaySchedule(1e-3, 1000, "rsqrt", warmup_steps=10)
        revived = WarmupDecaySchedule.from_config(s.get_config())
        self.assertEqual(revived.get_config(), s.get_config())
        # siglip_optimizer reads the peak to convert big_vision's decay.
        self.assertAllClose(siglip_optimizer(s).weight_decay, 0.1)
