"""SigLIP: a two-tower model trained with the pairwise sigmoid loss."""

import keras

from keras_lip.losses import SigmoidContrastiveLoss
from keras_lip.models.two_tower import TwoTower
from keras_lip.models.variants import variant_towers
from keras_lip.optimizers import siglip_optimizer


@keras.saving.register_keras_serializable(package="keras_lip")
class SigLIP(TwoTower):
    """SigLIP (Zhai et al., 2023): image tower, text tower, t and b.

    Inputs are `{"images": float [B, H, W, 3] in [-1, 1], "token_ids": int
    [B, L]}`; outputs are L2-normalised float32 `image_embeddings` and
    `text_embeddings`. `embed_images` / `embed_texts` run one tower. Either
    tower can be any Keras layer or model mapping its input to `[B, d]`;
    `SigLIP.from_variant` builds big_vision's ViT and text transformer.

    `compile()` defaults to SigLIP's recipe: `SigmoidContrastiveLoss()`
    (cross-device negatives chosen automatically) and
    `keras_lip.optimizers.siglip_optimizer()`: AdamW with lr 1e-3, β2 0.95,
    gradient clipping at global norm 1, and big_vision's weight decay 1e-4
    on kernels only (not on t, b, norms, biases or embeddings). Pass your
    own `optimizer=` (e.g. `siglip_optimizer(weight_decay_pattern=".*")`
    or any Keras optimizer) or `loss=` to change either.

    Mixed precision: under `keras.mixed_precision.set_dtype_policy(
    "mixed_bfloat16")` the towers compute in bfloat16 with float32
    variables; embeddings, t, b and the loss stay float32.

    Args:
        image_encoder: Keras layer/model, images → `[B, d]`.
        text_encoder: Keras layer/model, token ids → `[B, d]`.
        temperature_init: initial exp(t) (default 10).
        bias_init: initial b (default −10).
        **kwargs: passed to `keras.Model`.

    Example:

    >>> import numpy as np
    >>> model = SigLIP.from_variant("mu/8", text_variant="mu", vocab_size=50,
    ...                             image_size=32, max_sequence_length=8)
    >>> model.compile()
    >>> batch = {"images": np.zeros((4, 32, 32, 3), "float32"),
    ...          "token_ids": np.ones((4, 8), "int32")}
    >>> history = model.fit(batch, epochs=1, verbose=0)
    >>> tuple(model.embed_texts(batch["token_ids"]).shape)
    (4, 32)
    """

    @classmethod
    def from_variant(cls, image_variant="B/16", text_variant=None,
                     vocab_size=32_000, embed_dim=None, image_size=None,
                     max_sequence_length=None, image_pool="map",
                     text_pool="last", temperature_init=10.0, bias_init=-10.0,
                     image_kwargs=None, text_kwargs=None, **kwargs):
        """big_vision's SigLIP towers by size name.

        As in big_vision's SigLIP configs, the image tower has no head
        (its pooled width is the embedding) and the text tower ends in a
        head Dense to the same width; `embed_dim` adds a head to both
        (the image head then starts from a random, not zero, kernel, so
        embeddings are not all zero at step 0; `image_kwargs=
        {"head_zeroinit": True}` restores big_vision's ViT default).

        Args:
            image_variant: ViT size and patch, e.g. "B/16", "So400m/14".
            text_variant: text size, default the image size ("B").
            vocab_size: text vocabulary (SigLIP's English SentencePiece:
                32000; multilingual: 250000).
            embed_dim: joint embedding width (default: image width).
            image_size: image side (SigLIP: 224, 256, 384, 512), or None
                to take it from the first batch.
            max_sequence_length: text length (SigLIP: 64), or None to take
                it from the first batch.
            image_pool: ViT pooling ("map" for SigLIP).
            text_pool: text pooling ("last" for SigLIP).
            temperature_init, bias_init: see the class.
            image_kwargs, text_kwargs: tower arguments; they override the
                variant's (e.g. `{"width": 64, "num_heads": 4}`).
            **kwargs: passed to `keras.Model`.
        """
        image_encoder, text_encoder = variant_towers(
            image_variant, text_variant, vocab_size=vocab_size,
            image_size=image_size, max_sequence_length=max_sequence_length,
            embed_dim=embed_dim, image_head=False, image_pool=image_pool,
            text_pool=text_pool, image_kwargs=image_kwargs,
            text_kwargs=text_kwargs)
        return cls(image_encoder, text_encoder,
                   temperature_init=temperature_init, bias_init=bias_init,
                   **kwargs)

    def compile(self, optimizer=None, loss=None, **kwargs):
        """`keras.Model.compile` with SigLIP's optimizer and loss as
        defaults (see the class docstring)."""
        super().compile(
            optimizer=siglip_optimizer() if optimizer is None else optimizer,
            loss=SigmoidContrastiveLoss() if loss is None else loss,
            **kwargs)
