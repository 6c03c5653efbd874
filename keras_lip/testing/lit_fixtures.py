"""Tiny towers for LiT tests: a CNN with BatchNorm, keras-hub backbones."""

import keras
import numpy as np


def bn_cnn(image_size=16, width=16, seed=0, name="cnn"):
    """A functional CNN with BatchNorm: blocks `block_0`, `block_1` and a
    `proj` Dense head, giving a `[B, 4, 4, width]`-pooled feature map → [B,
    width] vector."""
    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input((image_size, image_size, 3), name="images")
    x = inputs
    for i, filters in enumerate((8, width)):
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same",
                                kernel_initializer=init,
                                name=f"block_{i}_conv")(x)
        x = keras.layers.BatchNormalization(name=f"block_{i}_bn")(x)
        x = keras.layers.ReLU(name=f"block_{i}_relu")(x)
    x = keras.layers.Dense(width, kernel_initializer=init, name="proj")(x)
    return keras.Model(inputs, x, name=name)


def set_bn_statistics(model, seed=0):
    """Non-default moving statistics, so frozen ones are recognisable."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(size=layer.moving_mean.shape))
            layer.moving_variance.assign(
                rng.uniform(0.5, 2.0, size=layer.moving_variance.shape))


def tiny_towers(image="vit", image_size=16, width=32, vocab_size=50,
                text_len=8, seed=0):
    """`(image tower, text tower)`: keras_lip's ViT ("vit", token output),
    `bn_cnn` ("cnn"), keras-hub's `ViTBackbone` ("hub_vit") or
    `SigLIPVisionEncoder` ("hub_siglip"); keras_lip's `TextEncoder`."""
    from keras_lip.models import TextEncoder, ViTEncoder

    keras.utils.set_random_seed(seed)
    if image == "vit":
        tower = ViTEncoder(8, width, 2, 2 * width, 2, image_size=image_size,
                           pool_type="none", name="image_encoder")
    elif image == "cnn":
        tower = bn_cnn(image_size, width, seed)
        set_bn_statistics(tower, seed)
    elif image == "hub_vit":
        from keras_hub.models import ViTBackbone

        tower = ViTBackbone(image_shape=(image_size, image_size, 3),
                            patch_size=8, num_layers=2, num_heads=2,
                            hidden_dim=width, mlp_dim=2 * width)
    elif image == "hub_siglip":
        from keras_hub.models import SigLIPVisionEncoder

        tower = SigLIPVisionEncoder(
            patch_size=8, hidden_dim=width, num_layers=2, num_heads=2,
            intermediate_dim=2 * width,
            image_shape=(image_size, image_size, 3))
    else:
        raise ValueError(f"Unknown tiny image tower {image!r}.")
    text = TextEncoder(vocab_size, width, 2, 2 * width, 2,
                       max_sequence_length=text_len, name="text_encoder")
    return tower, text


def tiny_bert(vocab_size=50, width=32, max_len=16):
    """A 2-layer keras-hub `BertBackbone` built locally (random weights)."""
    from keras_hub.models import BertBackbone

    return BertBackbone(vocabulary_size=vocab_size, num_layers=2,
                        num_heads=2, hidden_dim=width,
                        intermediate_dim=2 * width,
                        max_sequence_length=max_len)
