"""Paper recipes as optimizers: SigLIP's and CLIP's AdamW settings."""

from keras_lip.optimizers.masked_adamw import KERNELS_ONLY
from keras_lip.optimizers.masked_adamw import MaskedAdamW


def _peak(learning_rate):
    if isinstance(learning_rate, (int, float)):
        return float(learning_rate)
    peak = getattr(learning_rate, "peak_learning_rate", None)
    if peak is None:
        raise ValueError(
            "siglip_optimizer needs the peak learning rate to convert "
            "big_vision's weight decay; pass peak_learning_rate= with a "
            f"schedule ({type(learning_rate).__name__}) that has no "
            "`peak_learning_rate` attribute.")
    return float(peak)


def siglip_optimizer(learning_rate=1e-3, weight_decay=1e-4, beta_2=0.95,
                     global_clipnorm=1.0, peak_learning_rate=None,
                     weight_decay_pattern=KERNELS_ONLY, epsilon=1e-8,
                     **kwargs):
    """The SigLIP paper's optimizer settings as a `MaskedAdamW`.

    big_vision adds `wd · params` *after* scaling by the base learning rate,
    so its decay per step is `wd · schedule(step)`, independent of `lr`.
    Keras multiplies weight decay by the current learning rate, so the
    Keras value is `weight_decay / peak_learning_rate` (1e-4 / 1e-3 = 0.1
    for SigLIP's defaults): the same update as big_vision.

    Args:
        learning_rate: float or `keras.optimizers.schedules` schedule
            (big_vision SigLIP: 1e-3 with warm-up and cosine/rsqrt decay).
        weight_decay: big_vision's `config.wd` (SigLIP: 1e-4).
        beta_2: Adam's second-moment decay (SigLIP: 0.95, for stability).
        global_clipnorm: gradient clipping (big_vision `grad_clip_norm`: 1).
        peak_learning_rate: the schedule's peak learning rate (defaults to
            `learning_rate` when it is a float, or the schedule's
            `peak_learning_rate` attribute).
        weight_decay_pattern: which variables decay (default: kernels).
        epsilon: optax's Adam default, 1e-8. (Keras adds it to the
            uncorrected √v, optax to the bias-corrected one: a difference
            only while v is tiny.)
        **kwargs: other `MaskedAdamW` arguments.

    Returns:
        A `MaskedAdamW`.
    """
    peak = peak_learning_rate or _peak(learning_rate)
    return MaskedAdamW(
        learning_rate=learning_rate, weight_decay=weight_decay / peak,
        beta_2=beta_2, global_clipnorm=global_clipnorm, epsilon=epsilon,
        weight_decay_pattern=weight_decay_pattern, **kwargs)


def clip_optimizer(learning_rate=5e-4, weight_decay=0.2, beta_2=0.98,
                   epsilon=1e-6, weight_decay_pattern=KERNELS_ONLY,
                   **kwargs):
    """CLIP's optimizer (Radford et al. 2021, Appendix F): AdamW with
    β2 = 0.98, ε = 1e-6, decoupled weight decay 0.2 on kernels (CLIP
    exempts gains, biases and the temperature) and no clipping.

    CLIP's decay is PyTorch's `wd · lr · w`, the same form as Keras', so
    `weight_decay` is passed through unchanged (unlike `siglip_optimizer`).

    Returns:
        A `MaskedAdamW`.

    Example:

    >>> clip_optimizer().beta_2
    0.98
    """
    return MaskedAdamW(
        learning_rate=learning_rate, weight_decay=weight_decay,
        beta_2=beta_2, epsilon=epsilon,
        weight_decay_pattern=weight_decay_pattern, **kwargs)


def lit_warmup_steps(total_steps):
    """big_vision's LiT warm-up: `max(3% of total_steps, 100)`, kept below
    `total_steps` for short runs."""
    return min(max(int(0.03 * total_steps), 100), max(total_steps - 1, 0))


def lit_optimizer(total_steps=None, learning_rate=1e-3, weight_decay=0.01,
                  beta_2=0.999, global_clipnorm=1.0,
                  weight_decay_pattern=KERNELS_ONLY, **kwargs):
    """LiT's optimizer, as big_vision's `siglip_lit_coco.py`: optax's
    `scale_by_adam` (β2 0.999, ε 1e-8), lr 1e-3, weight decay 0.01 in
    big_vision's units (per step `wd × schedule`, kernels only), gradient
    clipping at global norm 1, cosine decay with `max(3%, 100)` warm-up
    steps when `total_steps` is given (else a constant learning rate).
    Locked variables are not trainable, so they get no slots, no decay
    and no share of the clipping norm (big_vision masks them out of all
    three).

    Returns:
        A `MaskedAdamW`.

    Example:

    >>> opt = lit_optimizer(total_steps=5000)
    >>> lit_warmup_steps(5000), round(float(opt.weight_decay), 6)
    (150, 10.0)
    """
    from keras_lip.optimizers.schedules import WarmupDecaySchedule

    peak = float(learning_rate)
    if total_steps:
        learning_rate = WarmupDecaySchedule(
            peak, total_steps, "cosine",
            warmup_steps=lit_warmup_steps(total_steps))
    return siglip_optimizer(
        learning_rate, weight_decay=weight_decay, beta_2=beta_2,
        global_clipnorm=global_clipnorm, peak_learning_rate=peak,
        weight_decay_pattern=weight_decay_pattern, **kwargs)
