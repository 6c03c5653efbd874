"""V-MoE's noisy top-K router (`NoisyTopExpertsPerItemRouter`)."""

import keras
from keras import ops

from keras_lip.layers import moe_routing


@keras.saving.register_keras_serializable(package="keras_lip")
class MoeRouter(keras.layers.Layer):
    """Gates, dispatch and combine tensors for G groups of S tokens.

    As google-research/vmoe `vmoe/nn/routing.py` `NoisyTopExpertsPerItemRouter`
    with the einsum dispatcher: logits = x·W (dense, no bias, LeCun-normal
    init as Flax's `nn.Dense`); in training, Gaussian noise of std
    `noise_std / E` is added to the logits; the gates are the softmax of the
    (noisy) logits; each token goes to its top-K experts within
    `ceil(S·K·C/E)` slots per expert (`moe_routing.top_k_routing`, Batch
    Priority Routing optional); the combine weights are the gates of the
    kept choices (not renormalised over the top K, as V-MoE). The router
    computes in float32 whatever the dtype policy of its caller.

    Args:
        num_experts: E.
        num_selected_experts: K.
        capacity_factor: C.
        batch_priority: Batch Priority Routing (V-MoE §4.1).
        noise_std: noise std in units of 1/E (V-MoE's convention); 0 turns
            noise off.
        seed: seed of the noise.
        **kwargs: passed to `keras.layers.Layer`.

    Call returns a dict: `logits`, `noisy_logits` `[G, S, E]` (equal when no
    noise was added), `gates` (softmax of `noisy_logits`), `dispatch` and
    `combine` `[G, S, E, C]`, `expert_index` and `kept` `[G, S, K]`, and
    `noise_std` (the absolute std used, 0.0 if none).

    Example:

    >>> import numpy as np
    >>> router = MoeRouter(num_experts=4, num_selected_experts=2)
    >>> out = router(np.ones((1, 6, 8), "float32"))
    >>> tuple(out["dispatch"].shape)  # C = ceil(6·2·1.0/4) = 3.
    (1, 6, 4, 3)
    """

    def __init__(self, num_experts, num_selected_experts=1, capacity_factor=1.0,
                 batch_priority=True, noise_std=1.0, seed=None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if not num_experts >= num_selected_experts >= 1:
            raise ValueError(
                "Need num_experts >= num_selected_experts >= 1, got "
                f"num_experts={num_experts}, "
                f"num_selected_experts={num_selected_experts}.")
        self.num_experts = num_experts
        self.num_selected_experts = num_selected_experts
        self.capacity_factor = capacity_factor
        self.batch_priority = batch_priority
        self.noise_std = noise_std
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            (input_shape[-1], self.num_experts), name="kernel",
            initializer=keras.initializers.LecunNormal())

    def call(self, inputs, training=None):
        if len(inputs.shape) != 3:
            raise ValueError("MoeRouter takes [groups, tokens, width], got "
                             f"shape {inputs.shape}.")
        logits = ops.matmul(inputs, self.kernel)
        noisy_logits, noise_std = logits, 0.0
        if training and self.noise_std > 0:
            noise_std = self.noise_std / self.num_experts
            noisy_logits = logits + noise_std * keras.random.normal(
                ops.shape(logits), seed=self.seed_generator, dtype=logits.dtype)
        gates = ops.softmax(noisy_logits, axis=-1)
        capacity = moe_routing.expert_capacity(
            ops.shape(inputs)[1], self.num_experts, self.num_selected_experts,
            self.capacity_factor)
        dispatch, expert_index, kept = moe_routing.top_k_routing(
            gates, self.num_selected_experts, capacity, self.batch_priority)
        return {
            "logits": logits, "noisy_logits": noisy_logits, "gates": gates,
            "dispatch": dispatch, "combine": gates[..., None] * dispatch,
            "expert_index": expert_index, "kept": kept, "noise_std": noise_std,
        }

    def compute_output_spec(self, inputs, training=None):
        groups, tokens, _ = inputs.shape
        spec = keras.KerasTensor((groups, tokens, self.num_experts), "float32")
        slots = (moe_routing.expert_capacity(
            tokens, self.num_experts, self.num_selected_experts,
            self.capacity_factor) if isinstance(tokens, int) else None)
        routed = keras.KerasTensor(
            (groups, tokens, self.num_experts, slots), "float32")
        choices = (groups, tokens, self.num_selected_experts)
        return {
            "logits": spec, "noisy_logits": spec, "gates": spec,
            "dispatch": routed, "combine": routed,
            "expert_index": keras.KerasTensor(choices, "int32"),
            "kept": keras.KerasTensor(choices, "bool"), "noise_std": 0.0,
        }

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_experts": self.num_experts,
            "num_selected_experts": self.num_selected_experts,
            "capacity_factor": self.capacity_factor,
            "batch_priority": self.batch_priority,
            "noise_std": self.noise_std, "seed": self.seed,
        })
        return config
