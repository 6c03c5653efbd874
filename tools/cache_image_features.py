r"""Computes a LiT config's locked image tower once over its training images
and writes the features to TFRecord shards next to the captions.

    KERAS_BACKEND=jax python tools/cache_image_features.py \
        --config=experiments/lit_coco.py --config.model.image.init=VIT.weights.h5 \
        --config.data.kind=tfrecord --config.data.train_files='coco/train-*.tfrecord' \
        --config.data.tokenizer=c4_en.model --output_prefix=/cache/coco_b16 \
        [--batch_size=64] [--num_shards=N]

then train with `--config.data.kind=feature_cache
--config.data.train_files=/cache/coco_b16.json` (and images for
evaluation in `--config.data.eval_files`). The model is built exactly as
the trainer builds it (`config.model`, including the pretrained tower's
weights); the images come from the config's training source, decoded and
resized as the training pipeline does (no augmentation). A TFRecord
source gives one cache shard per input file, so training from the cache
sees the same batches as training from the images with the same seed.

Resumable: finished shards are kept (named in `PREFIX.json` with their
counts), an interrupted shard is redone; a cache of another tower
(fingerprint of its weights), shape or sharding is refused, never
overwritten. Prints progress (images/s) and the number of undecodable
images skipped. The backend is KERAS_BACKEND's (default TensorFlow).
"""

import hashlib
import sys
import time

from absl import app
from absl import flags
from ml_collections import config_flags

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "The LiT training config (ml_collections file).",
    lock_config=True)
flags.DEFINE_string("output_prefix", None, "Cache shards' path prefix.")
flags.DEFINE_integer("batch_size", 64, "Images per forward pass.")
flags.DEFINE_integer("num_shards", None,
                     "Output shards (default: one per input file, else 1).")
FLAGS = flags.FLAGS


def fingerprint(model):
    """sha256 of the image tower's weights (and their shapes)."""
    import numpy as np

    digest = hashlib.sha256()
    for w in model.image_encoder.get_weights():
        digest.update(str(w.shape).encode())
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()[:16]


def build_locked_model(config):
    """The config's model, checked to be a LiT with a fully locked image
    tower (only then are its features the same every epoch)."""
    import keras

    from keras_lip import models
    from keras_lip.trainer import config as config_lib
    from keras_lip.trainer import registry

    config_lib.validate(config)
    keras.utils.set_random_seed(config.seed)  # As the trainer builds it.
    model = registry.family(config).build(config)
    if not isinstance(model, models.LiT) or not model.image_fully_locked:
        raise config_lib.ConfigError(
            f"config.model.family={config.model.family!r}: the feature cache "
            "needs a 'lit' model with a fully locked image tower "
            "(model.lock_image=True, model.unlocked_image_groups=0).")
    return model


def run(config, output_prefix, batch_size=64, num_shards=None,
        print_fn=print):
    """Writes the cache; returns its metadata dict."""
    from keras_lip import data
    from keras_lip.evaluation.embed import _compiled
    from keras_lip.trainer import registry
    from keras_lip.trainer.config import ConfigError

    kind = registry.data_kind(config)
    if kind.source is None or kind.name == "feature_cache":
        raise ConfigError(
            f"config.data.kind={kind.name!r} has no image source to cache: "
            "use the images' kind (tfrecord, csv, tfds, demo).")
    model = build_locked_model(config)
    start = time.time()
    features = _compiled(model, lambda x: model.image_features(
        x, training=False))
    meta = data.write_feature_cache(
        kind.source(config, True), features, output_prefix,
        image=data.ImagePreprocessing(size=config.model.image.image_size),
        feature_shape=model.image_feature_shape, num_shards=num_shards,
        batch_size=batch_size, fingerprint=fingerprint(model),
        print_fn=print_fn)
    if print_fn:
        print_fn(f"train with: --config.data.kind=feature_cache "
                 f"--config.data.train_files={output_prefix}.json "
                 f"({time.time() - start:.1f} s)")
    return meta


def main(argv):
    del argv
    if FLAGS.config is None or not FLAGS.output_prefix:
        sys.exit("Error: --config and --output_prefix are required.")
    run(FLAGS.config, FLAGS.output_prefix, FLAGS.batch_size,
        FLAGS.num_shards, print_fn=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    app.run(main)
