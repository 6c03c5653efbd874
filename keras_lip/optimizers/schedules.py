"""big_vision's learning-rate schedules as a Keras schedule."""

import math

import keras
from keras import ops

DECAY_TYPES = ("cosine", "rsqrt", "linear", "constant")


@keras.saving.register_keras_serializable(package="keras_lip")
class WarmupDecaySchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up, then cosine / rsqrt / linear / constant decay, then an
    optional linear cool-down to 0, as big_vision's
    `create_learning_rate_schedule` (the schedule SigLIP and LiT use).

    With `progress = clip((step - warmup) / (total - warmup), 0, 1)`:
      - cosine: `peak · ½(1 + cos(π·progress))`;
      - rsqrt: `peak / √((step + timescale - warmup) / timescale)` after
        warm-up (big_vision's "rsqrt", timescale 10k by default);
      - linear: `end + (peak - end)·(1 - progress)`;
      - constant: `peak`;
    times `min(1, step / warmup_steps)` and `min(1, (total - step) /
    cooldown_steps)`. `step` is the optimizer's iteration count (0 for the
    first update, as optax's count).

    Args:
        peak_learning_rate: big_vision's `config.lr`.
        total_steps: length of the run.
        decay_type: one of `DECAY_TYPES`.
        warmup_steps: linear warm-up length.
        cooldown_steps: linear cool-down length at the end.
        timescale: rsqrt timescale.
        end_learning_rate: final value of "linear".

    Example:

    >>> s = WarmupDecaySchedule(1e-3, 100, "cosine", warmup_steps=10)
    >>> [round(float(s(i)), 6) for i in (0, 5, 10, 55, 100)]
    [0.0, 0.0005, 0.001, 0.0005, 0.0]
    """

    def __init__(self, peak_learning_rate, total_steps, decay_type="cosine",
                 warmup_steps=0, cooldown_steps=0, timescale=10_000,
                 end_learning_rate=0.0):
        if decay_type not in DECAY_TYPES:
            raise ValueError(f"decay_type={decay_type!r}; expected one of "
                             f"{DECAY_TYPES}.")
        if not 0 <= warmup_steps < max(total_steps, 1):
            raise ValueError(f"warmup_steps={warmup_steps} must be in [0, "
                             f"total_steps={total_steps}).")
        if not 0 <= cooldown_steps <= total_steps:
            raise ValueError(f"cooldown_steps={cooldown_steps} must be in "
                             f"[0, total_steps={total_steps}].")
        self.peak_learning_rate = float(peak_learning_rate)
        self.total_steps = int(total_steps)
        self.decay_type = decay_type
        self.warmup_steps = int(warmup_steps)
        self.cooldown_steps = int(cooldown_steps)
        self.timescale = float(timescale)
        self.end_learning_rate = float(end_learning_rate)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        peak, warmup = self.peak_learning_rate, float(self.warmup_steps)
        span = max(float(self.total_steps) - warmup, 1.0)
        progress = ops.clip((step - warmup) / span, 0.0, 1.0)
        if self.decay_type == "cosine":
            lr = peak * 0.5 * (1.0 + ops.cos(math.pi * progress))
        elif self.decay_type == "rsqrt":
            shift = self.timescale - warmup
            lr = ops.where(step > warmup,
                           peak / ops.sqrt((step + shift) / self.timescale),
                           peak)
        elif self.decay_type == "linear":
            end = self.end_learning_rate
            lr = end + (peak - end) * (1.0 - progress)
        else:
            lr = peak + 0.0 * step
        if self.warmup_steps:
            lr = lr * ops.minimum(1.0, step / warmup)
        if self.cooldown_steps:
            lr = lr * ops.minimum(
                1.0, (self.total_steps - step) / self.cooldown_steps)
        return lr

    def get_config(self):
        return {"peak_learning_rate": self.peak_learning_rate,
                "total_steps": self.total_steps,
                "decay_type": self.decay_type,
                "warmup_steps": self.warmup_steps,
                "cooldown_steps": self.cooldown_steps,
                "timescale": self.timescale,
                "end_learning_rate": self.end_learning_rate}
