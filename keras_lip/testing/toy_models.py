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
