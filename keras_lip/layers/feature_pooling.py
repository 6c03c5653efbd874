"""Pools any tower's output (a vector, tokens or a feature map) to `[B, d]`."""

import keras
from keras import ops

from keras_lip.layers.map_head import MAPHead

POOL_TYPES = ("auto", "none", "tok", "first", "last", "gap", "mean", "max",
              "map")


def _heads_for(width):
    for heads in (16, 12, 8, 4, 2, 1):
        if width % heads == 0 and width // heads >= 8:
            return heads
    return 1


@keras.saving.register_keras_serializable(package="keras_lip")
class FeaturePooling(keras.layers.Layer):
    """Turns a tower's output into one vector per example.

    Accepts `[B, d]` (kept as it is), a token sequence `[B, N, d]` or a
    feature map `[B, H, W, d]` (a CNN's; flattened to `H·W` tokens):

    - "auto": `[B, d]` as is, tokens → "tok", feature maps → "gap";
    - "tok" / "first": the first token (big_vision's "tok" pooling, the
      class token of keras-hub's `ViTBackbone`, BERT's CLS);
    - "last": the last token; "gap" / "mean": the mean over tokens (or
      positions); "max": the maximum;
    - "map": big_vision's multihead attention pooling (`MAPHead`, a
      learned probe; it has weights, so it is trained);
    - "none": the input must already be `[B, d]`.

    Args:
        pool_type: one of `POOL_TYPES`.
        num_heads: attention heads of "map" (default: the most of 16, 12,
            8, 4, 2 that leaves ≥ 8 channels a head).
        mlp_dim: MLP width of "map" (default 4·d).
        **kwargs: passed to `keras.layers.Layer`.

    Example:

    >>> import numpy as np, keras
    >>> tokens = np.arange(12, dtype="float32").reshape(1, 3, 4)
    >>> keras.ops.convert_to_numpy(FeaturePooling("tok")(tokens)).tolist()
    [[0.0, 1.0, 2.0, 3.0]]
    >>> tuple(FeaturePooling("auto")(np.zeros((2, 4, 4, 8), "float32")).shape)
    (2, 8)
    """

    def __init__(self, pool_type="auto", num_heads=None, mlp_dim=None,
                 **kwargs):
        super().__init__(**kwargs)
        if pool_type not in POOL_TYPES:
            raise ValueError(f"pool_type={pool_type!r}; expected one of "
                             f"{POOL_TYPES}.")
        # === Config ===
        self.pool_type = pool_type
        self.num_heads = num_heads
        self.mlp_dim = mlp_dim
        self.map_head = None

    @property
    def has_weights(self):
        """Whether this pooling is learned ("map")."""
        return self.pool_type == "map"

    def resolved(self, rank):
        """The pooling applied to an input of `rank` (2, 3 or 4)."""
        if rank not in (2, 3, 4):
            raise ValueError(
                f"FeaturePooling takes [B, d], [B, N, d] or [B, H, W, d]; "
                f"got a rank-{rank} tower output.")
        if self.pool_type == "auto":
            return {2: "none", 3: "tok", 4: "gap"}[rank]
        if rank == 2 and self.pool_type != "none":
            raise ValueError(
                f"pool_type={self.pool_type!r} needs tokens or a feature "
                "map, but the tower already gives [B, d]: use 'none' or "
                "'auto'.")
        if rank > 2 and self.pool_type == "none":
            raise ValueError(
                f"pool_type='none' but the tower gives a rank-{rank} output "
                "(tokens or a feature map): pick 'tok', 'gap', 'map', ...")
        return self.pool_type

    def build(self, input_shape):
        pool = self.resolved(len(input_shape))
        if pool == "map":
            width = int(input_shape[-1])
            self.map_head = MAPHead(
                self.num_heads or _heads_for(width), self.mlp_dim or 4 * width,
                dtype=self.dtype_policy, name="MAPHead_0")
            self.map_head.build((None, None, width))
        self.built = True

    def call(self, x):
        rank = len(x.shape)
        pool = self.resolved(rank)
        if pool == "none":
            return x
        if rank == 4:
            x = ops.reshape(x, (ops.shape(x)[0], -1, x.shape[-1]))
        if pool in ("tok", "first"):
            return x[:, 0]
        if pool == "last":
            return x[:, -1]
        if pool in ("gap", "mean"):
            return ops.mean(x, axis=1)
        if pool == "max":
            return ops.max(x, axis=1)
        return self.map_head(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"pool_type": self.pool_type,
                       "num_heads": self.num_heads, "mlp_dim": self.mlp_dim})
        return config
