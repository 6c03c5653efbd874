"""Sparse mixture of MLP experts (V-MoE / LIMoE), dense einsum dispatch."""

import keras
from keras import ops

from keras_lip.layers import moe_aux_losses
from keras_lip.layers.moe_metrics import MoeMetrics
from keras_lip.layers.moe_router import MoeRouter

_LOSSES = ("importance_loss", "load_loss")
_MODALITY_LOSSES = ("local_entropy_loss", "global_entropy_loss")


def _per_modality(value, modalities, name):
    """A float or None for every modality, or one per modality."""
    if value is None or isinstance(value, (int, float)):
        return [value] * len(modalities)
    value = list(value)
    if len(value) != len(modalities):
        raise ValueError(f"{name} has {len(value)} entries for "
                         f"{len(modalities)} modalities {list(modalities)}.")
    return value


@keras.saving.register_keras_serializable(package="keras_lip")
class MoeMlp(keras.layers.Layer):
    """E MLP experts (big_vision's `MlpBlock` shape), top-K routed per token.

    Replaces the MLP of a transformer block; returns the MLP part only
    (the block adds the residual, which alone carries a token that lost
    all its choices to capacity: its output here is zero). Tokens are
    routed in groups of `group_size` (all the call's tokens when None), as
    V-MoE; the router is `MoeRouter` (noisy top-K, capacity, Batch
    Priority Routing). Experts compute as dense einsums on one-hot
    dispatch tensors, with their weights stacked on a leading expert axis:
    `expert_kernel_0` `[E, d, h]`, `expert_bias_0` `[E, h]`,
    `expert_kernel_1` `[E, h, d]`, `expert_bias_1` `[E, d]` (paths
    `<layer>/expert_...`, e.g. LayoutMap key `.*expert_kernel_.*` →
    `("expert", None, None)`); the router's is `<layer>/router/kernel`.

    Auxiliary losses (see `moe_aux_losses`) are added with `add_loss`,
    weighted: V-MoE's importance and load losses over all tokens (load
    only with routing noise, i.e. in training), and LIMoE's local and
    global entropy losses per modality, given per-token `modality_ids`;
    all but the load loss use the noise-free router probabilities, as
    V-MoE's importance loss does.
    Each loss, unweighted, and routing statistics are recorded per call
    (`latest_metrics()`); for `model.fit` logs, the model's `compute_loss`
    calls `update_metrics()` (the one place both the TF and the JAX trainer
    keep metric updates):

        def compute_loss(self, *args, **kwargs):
            for layer in self._flatten_layers():
                if isinstance(layer, MoeMlp):
                    layer.update_metrics()
            return super().compute_loss(*args, **kwargs)

    Logged as `<layer name>/<entry>`, entries (m a modality name, e an
    expert): `aux_loss` (weighted sum), `importance_loss`, `load_loss`,
    `router_entropy` (mean token routing entropy, nats), `dropped` (fraction
    of tokens with no choice kept), and per modality `m_local_entropy_loss`,
    `m_global_entropy_loss`, `m_effective_experts` (exp H(p̃)), `m_dropped`,
    and with `log_expert_usage`, `m_usage_e` (fraction of the modality's
    top-K choices, before capacity, that pick expert e).

    Args:
        num_experts: E.
        mlp_dim: expert hidden width (4·width when None).
        num_selected_experts: K.
        capacity_factor: C; capacity is `ceil(S·K·C/E)` per group of S.
        batch_priority: Batch Priority Routing.
        noise_std: router noise std in units of 1/E (training only).
        group_size: tokens per routing group (must divide the token count);
            None routes all tokens of a call as one group.
        modalities: modality names; `modality_ids` index them (ids outside
            the range count in no modality's losses; None: all modality 0).
        importance_loss_weight, load_loss_weight: V-MoE's weights (its
            paper configs use 0.005 each).
        local_entropy_loss_weight, global_entropy_loss_weight: one float, or
            one per modality (off by default: set LIMoE's from its paper).
        global_entropy_threshold: τ in nats (e.g. log of the least number
            of experts a modality should use), one or one per modality;
            None: no threshold (loss −H(p̃)).
        log_expert_usage: also record per-expert usage (E·M entries).
        dropout: dropout rate on the experts' hidden activations.
        seed: seed of the router noise.
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np
    >>> moe = MoeMlp(num_experts=4, mlp_dim=16, num_selected_experts=2)
    >>> x = np.random.default_rng(0).normal(size=(2, 3, 8)).astype("float32")
    >>> tuple(moe(x, modality_ids=np.array([[0, 0, 1]] * 2)).shape)
    (2, 3, 8)
    >>> sorted(moe.latest_metrics())[:3]
    ['aux_loss', 'dropped', 'image_dropped']
    """

    def __init__(self, num_experts, mlp_dim=None, num_selected_experts=1,
                 capacity_factor=1.0, batch_priority=True, noise_std=1.0,
                 group_size=None, modalities=("image", "text"),
                 importance_loss_weight=0.005, load_loss_weight=0.005,
                 local_entropy_loss_weight=0.0, global_entropy_loss_weight=0.0,
                 global_entropy_threshold=None, log_expert_usage=True,
                 dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_experts = num_experts
        self.mlp_dim = mlp_dim
        self.num_selected_experts = num_selected_experts
        self.capacity_factor = capacity_factor
        self.batch_priority = batch_priority
        self.noise_std = noise_std
        self.group_size = group_size
        self.modalities = list(modalities)
        self.importance_loss_weight = importance_loss_weight
        self.load_loss_weight = load_loss_weight
        self.local_entropy_loss_weight = local_entropy_loss_weight
        self.global_entropy_loss_weight = global_entropy_loss_weight
        self.global_entropy_threshold = global_entropy_threshold
        self.log_expert_usage = log_expert_usage
        self.dropout = dropout
        self.seed = seed
        self._local_weights = _per_modality(
            local_entropy_loss_weight, self.modalities,
            "local_entropy_loss_weight")
        self._global_weights = _per_modality(
            global_entropy_loss_weight, self.modalities,
            "global_entropy_loss_weight")
        thresholds = _per_modality(global_entropy_threshold, self.modalities,
                                   "global_entropy_threshold")
        if any(t is None for t in thresholds) and any(
                t is not None for t in thresholds):
            raise ValueError("global_entropy_threshold must be given for all "
                             f"modalities or none, got {thresholds}.")
        self._thresholds = None if thresholds[0] is None else thresholds
        self.metric_names = self._names()
        self.router = MoeRouter(num_experts, num_selected_experts,
                                capacity_factor, batch_priority, noise_std,
                                seed=seed, name="router")
        self.dropout_layer = keras.layers.Dropout(dropout,
                                                  dtype=self.dtype_policy)
        self.tracker = MoeMetrics(self.metric_names, prefix=f"{self.name}/",
                                  name=f"{self.name}_metrics")

    def _names(self):
        names = ["aux_loss", *_LOSSES, "router_entropy", "dropped"]
        for m in self.modalities:
            names += [f"{m}_{n}" for n in _MODALITY_LOSSES]
            names += [f"{m}_effective_experts", f"{m}_dropped"]
            if self.log_expert_usage:
                names += [f"{m}_usage_{e}" for e in range(self.num_experts)]
        return names

    def build(self, input_shape):
        width = input_shape[-1]
        hidden = self.mlp_dim or 4 * width
        experts = self.num_experts
        self.router.build((None, None, width))

        # Each expert as big_vision's MlpBlock: Glorot-uniform kernels (per
        # expert fans, not the stacked shape's), biases N(0, 1e-6²).
        def glorot(fan_in, fan_out):
            limit = (6.0 / (fan_in + fan_out)) ** 0.5
            return keras.initializers.RandomUniform(-limit, limit)

        bias_init = keras.initializers.RandomNormal(stddev=1e-6)
        self.expert_kernel_0 = self.add_weight(
            (experts, width, hidden), glorot(width, hidden),
            name="expert_kernel_0")
        self.expert_bias_0 = self.add_weight(
            (experts, hidden), bias_init, name="expert_bias_0")
        self.expert_kernel_1 = self.add_weight(
            (experts, hidden, width), glorot(hidden, width),
            name="expert_kernel_1")
        self.expert_bias_1 = self.add_weight(
            (experts, width), bias_init, name="expert_bias_1")
        # The latest call's entries, as state: unlike Python attributes it
        # survives jit (the JAX trainer threads it through its steps).
        self.metric_values = self.add_weight(
            (len(self.metric_names),), "zeros", dtype="float32",
            trainable=False, aggregation="mean", name="metric_values")

    def _groups(self, inputs, modality_ids):
        width = inputs.shape[-1]
        tokens = ops.reshape(inputs, (-1, width))
        ids = (ops.zeros(ops.shape(tokens)[:1], "int32")
               if modality_ids is None
               else ops.reshape(ops.cast(modality_ids, "int32"), (-1,)))
        count = tokens.shape[0]
        if self.group_size is None:
            return tokens[None], ids[None]
        if isinstance(count, int) and count % self.group_size:
            raise ValueError(
                f"group_size={self.group_size} does not divide the "
                f"{count} tokens of inputs of shape {inputs.shape}.")
        return (ops.reshape(tokens, (-1, self.group_size, width)),
                ops.reshape(ids, (-1, self.group_size)))

    def call(self, inputs, modality_ids=None, training=None):
        if modality_ids is not None and tuple(modality_ids.shape) != tuple(
                inputs.shape[:-1]):
            raise ValueError(
                f"modality_ids has shape {tuple(modality_ids.shape)}, "
                f"inputs {tuple(inputs.shape)}: need one id per token.")
        x, ids = self._groups(inputs, modality_ids)
        routing = self.router(x, training=training)
        dispatch = ops.cast(routing["dispatch"], x.dtype)
        combine = ops.cast(routing["combine"], x.dtype)
        # [E, G, C, d]: the expert axis leads, for expert-parallel sharding.
        h = ops.einsum("gsec,gsd->egcd", dispatch, x)
        h = ops.einsum("egcd,edh->egch", h, self.expert_kernel_0)
        h = h + self.expert_bias_0[:, None, None, :]
        h = keras.activations.gelu(h, approximate=True)
        h = self.dropout_layer(h, training=training)
        h = ops.einsum("egch,ehd->egcd", h, self.expert_kernel_1)
        h = h + self.expert_bias_1[:, None, None, :]
        y = ops.einsum("gsec,egcd->gsd", combine, h)
        values = self._aux_values(routing, ids)
        self.add_loss(values["aux_loss"])
        self.metric_values.assign(
            ops.stack([values[n] for n in self.metric_names]))
        return ops.reshape(y, ops.shape(inputs))

    def _aux_values(self, routing, ids):
        logits = routing["logits"]
        probs = ops.softmax(logits, axis=-1)
        mask = ops.one_hot(ids, len(self.modalities), dtype="float32")
        all_tokens = ops.ones_like(mask[..., :1])
        values = {"importance_loss": moe_aux_losses.importance_loss(probs)}
        if routing["noise_std"]:
            values["load_loss"] = moe_aux_losses.load_loss(
                logits, routing["noisy_logits"], routing["noise_std"],
                self.num_selected_experts)
        else:  # Defined by the noise (V-MoE): none at inference.
            values["load_loss"] = ops.zeros((), "float32")
        entropy = moe_aux_losses.token_entropy(logits)
        values["router_entropy"] = moe_aux_losses.masked_mean(
            entropy, all_tokens)[0]
        dropped = 1.0 - ops.cast(ops.any(routing["kept"], axis=-1), "float32")
        values["dropped"] = moe_aux_losses.masked_mean(dropped, all_tokens)[0]
        per_modality = {
            "local_entropy_loss": moe_aux_losses.masked_mean(entropy, mask),
            "global_entropy_loss": moe_aux_losses.global_entropy_loss(
                probs, mask, self._thresholds),
            "effective_experts": moe_aux_losses.group_mean(ops.exp(
                moe_aux_losses.mean_distribution_entropy(probs, mask)), mask),
            "dropped": moe_aux_losses.masked_mean(dropped, mask),
        }
        choices = ops.one_hot(routing["expert_index"], self.num_experts,
                              dtype="float32")  # [G, S, K, E]
        usage = ops.einsum("gske,gsm->me", choices, mask) / ops.maximum(
            self.num_selected_experts * ops.sum(mask, axis=(0, 1)), 1.0
        )[:, None]
        total = (self.importance_loss_weight * values["importance_loss"]
                 + self.load_loss_weight * values["load_loss"])
        for i, m in enumerate(self.modalities):
            for key, value in per_modality.items():
                values[f"{m}_{key}"] = value[i]
            for e in range(self.num_experts if self.log_expert_usage else 0):
                values[f"{m}_usage_{e}"] = usage[i, e]
            total += (self._local_weights[i] * values[f"{m}_local_entropy_loss"]
                      + self._global_weights[i]
                      * values[f"{m}_global_entropy_loss"])
        values["aux_loss"] = total
        return values

    def update_metrics(self):
        """Adds the latest call's entries to the logged running means; call
        it from `Model.compute_loss` (see the class docstring)."""
        self.tracker.update_state(self.metric_values)

    def latest_metrics(self):
        """The latest call's entries, `{name: float}`."""
        values = ops.convert_to_numpy(self.metric_values)
        return {n: float(v) for n, v in zip(self.metric_names, values)}

    def compute_output_spec(self, inputs, modality_ids=None, training=None):
        return keras.KerasTensor(inputs.shape, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_experts": self.num_experts, "mlp_dim": self.mlp_dim,
            "num_selected_experts": self.num_selected_experts,
            "capacity_factor": self.capacity_factor,
            "batch_priority": self.batch_priority,
            "noise_std": self.noise_std, "group_size": self.group_size,
            "modalities": self.modalities,
            "importance_loss_weight": self.importance_loss_weight,
            "load_loss_weight": self.load_loss_weight,
            "local_entropy_loss_weight": self.local_entropy_loss_weight,
            "global_entropy_loss_weight": self.global_entropy_loss_weight,
            "global_entropy_threshold": self.global_entropy_threshold,
            "log_expert_usage": self.log_expert_usage,
            "dropout": self.dropout, "seed": self.seed,
        })
        return config
