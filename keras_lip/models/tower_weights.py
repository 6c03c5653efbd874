"""`.weights.h5` files of a tower that may be a plain Keras layer."""

import keras


class _Holder(keras.Model):
    """A model around a layer, so Keras' weights files can hold it."""

    def __init__(self, tower):
        super().__init__()
        if not tower.built:
            raise ValueError(f"Tower {tower.name!r} is not built: give it "
                             "its input geometry first.")
        self.tower = tower
        self.built = True  # Its only state is the (built) tower's.


def save_tower_weights(tower, path):
    """Writes a tower's weights to `path` (`.weights.h5`). Keras models
    use `save_weights`; a layer (keras_lip's `ViTEncoder`) is saved inside
    a holder model, and `load_tower_weights` reads it back the same way.

    Example:

    >>> import os, tempfile
    >>> from keras_lip.models import ViTEncoder
    >>> vit = ViTEncoder(8, 32, 1, 64, 2, image_size=16)
    >>> path = os.path.join(tempfile.mkdtemp(), "vit.weights.h5")
    >>> save_tower_weights(vit, path)
    >>> other = ViTEncoder(8, 32, 1, 64, 2, image_size=16)
    >>> load_tower_weights(other, path)
    >>> bool((other.get_weights()[0] == vit.get_weights()[0]).all())
    True
    """
    (tower if isinstance(tower, keras.Model) else _Holder(tower)
     ).save_weights(path)


def load_tower_weights(tower, path):
    """Reads `save_tower_weights`' file into a built tower of the same
    shape."""
    (tower if isinstance(tower, keras.Model) else _Holder(tower)
     ).load_weights(path)
