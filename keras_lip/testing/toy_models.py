"""Tiny two-tower models for tests, examples and the toy demo."""

import keras

from keras_lip.models import TwoTower


def toy_two_tower(width=16, vocab_size=32, seed=0, **kwargs):
    """A `TwoTower` with a Dense image tower and a bag-of-words text tower."""
    initializer = keras.initializers.GlorotUniform(seed=seed)
    image_encoder = keras.Sequential(
        [keras.layers.Flatten(),
         keras.layers.Dense(width, kernel_initializer=initializer)],
        name="image_encoder")
    text_encoder = keras.Sequential(
        [keras.layers.Embedding(
            vocab_size, width,
            embeddings_initializer=keras.initializers.RandomNormal(seed=seed)),
         keras.layers.GlobalAveragePooling1D(),
         keras.layers.Dense(width, kernel_initializer=initializer)],
        name="text_encoder")
    return TwoTower(image_encoder, text_encoder, **kwargs)


def tiny_siglip(patch_size=8, width=64, depth=2, num_heads=4, vocab_size=101,
                **kwargs):
    """A small `SigLIP` with big_vision's towers (ViT "map", text "last");
    image size and text length are set by the first batch it sees."""
    from keras_lip.models import SigLIP, TextEncoder, ViTEncoder

    image = ViTEncoder(patch_size, width, depth, 2 * width, num_heads,
                       name="image_encoder")
    text = TextEncoder(vocab_size, width, depth, 2 * width, num_heads,
                       num_classes=width, name="text_encoder")
    return SigLIP(image, text, **kwargs)


def tiny_batch(batch=8, image_size=32, text_len=16, vocab_size=101, seed=0):
    """Random `{"images", "token_ids"}` in the model's input ranges."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return {
        "images": rng.uniform(-1, 1, (batch, image_size, image_size, 3)
                              ).astype("float32"),
        "token_ids": rng.integers(2, vocab_size, (batch, text_len)
                                  ).astype("int32"),
    }
