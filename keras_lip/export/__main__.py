"""Exports a saved `.keras` two-tower model to a TF SavedModel.

    KERAS_BACKEND=tensorflow python -m keras_lip.export \\
        --model=siglip.keras --output=/tmp/siglip_savedmodel

The route for models trained on any backend: `.keras` files are backend
independent, and the TensorFlow backend exports without conversion.
"""

from absl import app
from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "Path of a .keras file.", required=True)
flags.DEFINE_string("output", None, "SavedModel directory.", required=True)
flags.DEFINE_list("image_shape", None, "H,W,3 (default: the image tower's).")
flags.DEFINE_integer("text_length", None, "L (default: the text tower's).")
flags.DEFINE_bool("similarity", True, "Also export the similarity endpoint.")


def main(argv):
    del argv
    import keras

    import keras_lip.models  # noqa: F401  Registers the classes.
    import keras_lip.optimizers  # noqa: F401
    from keras_lip.export.saved_model import export_saved_model

    model = keras.models.load_model(FLAGS.model, compile=False)
    shape = tuple(int(v) for v in FLAGS.image_shape or ()) or None
    export_saved_model(model, FLAGS.output, image_shape=shape,
                       text_length=FLAGS.text_length,
                       similarity=FLAGS.similarity)
    print(f"Wrote {FLAGS.output} (backend {keras.config.backend()}).")


if __name__ == "__main__":
    app.run(main)
