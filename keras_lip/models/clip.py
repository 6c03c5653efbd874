"""CLIP: a two-tower model trained with the softmax contrastive loss."""

import keras

from keras_lip.losses import SoftmaxContrastiveLoss
from keras_lip.models.two_tower import TwoTower
from keras_lip.models.variants import variant_towers
from keras_lip.optimizers import clip_optimizer

# CLIP's learned temperature starts at 0.07 (Radford et al. 2021, §2.5).
CLIP_TEMPERATURE_INIT = 1 / 0.07


@keras.saving.register_keras_serializable(package="keras_lip")
class CLIP(TwoTower):
    """CLIP (Radford et al., 2021): two towers, a temperature, no bias.

    The same inputs, outputs and towers as `SigLIP`; `compile()` defaults
    to `SoftmaxContrastiveLoss()` (the bidirectional InfoNCE loss, batch
    all-gathered under a distribution) and
    `keras_lip.optimizers.clip_optimizer()`.

    Args:
        image_encoder: Keras layer/model, images → `[B, d]`.
        text_encoder: Keras layer/model, token ids → `[B, d]`.
        temperature_init: initial exp(t) (default 1/0.07).
        bias_init: None (CLIP has no bias).
        **kwargs: passed to `keras.Model`.

    Example:

    >>> import numpy as np
    >>> model = CLIP.from_variant("mu/8", text_variant="mu", vocab_size=50,
    ...                           image_size=32, max_sequence_length=8)
    >>> model.compile()
    >>> type(model.loss).__name__, model.logit_bias is None
    ('SoftmaxContrastiveLoss', True)
    """

    def __init__(self, image_encoder, text_encoder,
                 temperature_init=CLIP_TEMPERATURE_INIT, bias_init=None,
                 **kwargs):
        super().__init__(image_encoder, text_encoder,
                         temperature_init=temperature_init,
                         bias_init=bias_init, **kwargs)

    @classmethod
    def from_variant(cls, image_variant="B/16", text_variant=None,
                     vocab_size=49_408, embed_dim=None, image_size=None,
                     max_sequence_length=None, image_pool="tok",
                     text_pool="last", temperature_init=CLIP_TEMPERATURE_INIT,
                     image_kwargs=None, text_kwargs=None, **kwargs):
        """ViT and text transformer by size name, each with a head Dense to
        `embed_dim` (default: the image width), class-token image pooling
        and last-token text pooling, as CLIP. See
        `SigLIP.from_variant` for the arguments."""
        image_encoder, text_encoder = variant_towers(
            image_variant, text_variant, vocab_size=vocab_size,
            image_size=image_size, max_sequence_length=max_sequence_length,
            embed_dim=embed_dim, image_head=True, image_pool=image_pool,
            text_pool=text_pool, image_kwargs=image_kwargs,
            text_kwargs=text_kwargs)
        return cls(image_encoder, text_encoder,
                   temperature_init=temperature_init, **kwargs)

    def compile(self, optimizer=None, loss=None, **kwargs):
        """`keras.Model.compile` with CLIP's optimizer and loss as
        defaults."""
        super().compile(
            optimizer=clip_optimizer() if optimizer is None else optimizer,
            loss=SoftmaxContrastiveLoss() if loss is None else loss,
            **kwargs)
