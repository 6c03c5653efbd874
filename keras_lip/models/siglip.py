"""SigLIP: a two-tower model trained with the pairwise sigmoid loss."""

import keras

from keras_lip.losses import SigmoidContrastiveLoss
from keras_lip.models.text_encoder import TextEncoder
from keras_lip.models.two_tower import TwoTower
from keras_lip.models.variants import decode_variant
from keras_lip.models.vit_encoder import ViTEncoder
from keras_lip.training.optimizers import siglip_optimizer


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
    `keras_lip.training.siglip_optimizer()`: AdamW with lr 1e-3, β2 0.95,
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
    >>> model = SigLIP.from_variant("mu/8", text_variant="mu", vocab_size=50)
    >>> model.compile()
    >>> batch = {"images": np.zeros((4, 32, 32, 3), "float32"),
    ...          "token_ids": np.ones((4, 8), "int32")}
    >>> history = model.fit(batch, epochs=1, verbose=0)
    >>> tuple(model.embed_texts(batch["token_ids"]).shape)
    (4, 32)
    """

    @classmethod
    def from_variant(cls, image_variant="B/16", text_variant=None,
                     vocab_size=32_000, embed_dim=None, image_pool="map",
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
            image_pool: ViT pooling ("map" for SigLIP).
            text_pool: text pooling ("last" for SigLIP).
            temperature_init, bias_init: see the class.
            image_kwargs, text_kwargs: tower arguments; they override the
                variant's (e.g. `{"width": 64, "num_heads": 4}`).
            **kwargs: passed to `keras.Model`.
        """
        image = decode_variant(image_variant)
        if "patch_size" not in image:
            raise ValueError(f"image_variant {image_variant!r} needs a patch "
                             "size, e.g. 'B/16'.")
        text_variant = text_variant or image_variant.split("/")[0]
        image_kwargs = {**image, "pool_type": image_pool,
                        "num_classes": embed_dim, "head_zeroinit": False,
                        "name": "image_encoder", **(image_kwargs or {})}
        width = embed_dim or image_kwargs["width"]
        text_kwargs = {**decode_variant(text_variant), "pool_type": text_pool,
                       "num_classes": width, "name": "text_encoder",
                       **(text_kwargs or {})}
        image_encoder = ViTEncoder(**image_kwargs)
        text_encoder = TextEncoder(vocab_size, **text_kwargs)
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

    def compile_from_config(self, config):
        # Keras skips models with a custom `compile`; ours only fills in
        # defaults, so the saved optimizer and loss are restored as saved.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)
