"""Toy demo: train a tiny two-tower model with the SigLIP loss via model.fit.

    python -m keras_lip.cli.toy_fit [--replicas=4] [--negatives=ring]

Images and captions share a hidden "concept" (noisy prototype images,
captions drawn from per-concept words), so the sigmoid loss has something
to learn; the script prints the loss per epoch and fails if it did not go
down. `--replicas=N` trains data-parallel on N virtual CPU devices
(TensorFlow: MirroredStrategy; JAX: keras.distribution.DataParallel).
"""

import contextlib
import sys

from absl import app
from absl import flags

from keras_lip.testing.devices import configure_cpu_devices

FLAGS = flags.FLAGS
flags.DEFINE_integer("epochs", 8, "Training epochs.")
flags.DEFINE_integer("batch_size", 64, "Global batch size.")
flags.DEFINE_integer("examples", 2048, "Training examples.")
flags.DEFINE_integer("replicas", 0, "0: one device; N: N virtual CPU devices.")
flags.DEFINE_enum("negatives", "auto", ["auto", "ring", "gather", "local"],
                  "Cross-replica negatives of the sigmoid loss.")
flags.DEFINE_integer("seed", 0, "Data and initialisation seed.")


def make_dataset(examples, batch_size, seed, concepts=16, vocab=64, length=8):
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    prototypes = rng.normal(size=(concepts, 8, 8, 3)).astype("float32")
    words = rng.integers(1, vocab, size=(concepts, length))
    concept = rng.integers(0, concepts, size=examples)
    images = prototypes[concept] + 0.5 * rng.normal(
        size=(examples, 8, 8, 3)).astype("float32")
    # Half of each caption is concept words, half is random words.
    noise = rng.integers(1, vocab, size=(examples, length))
    keep = rng.random(size=(examples, length)) < 0.5
    tokens = np.where(keep, words[concept], noise).astype("int32")
    data = {"images": np.clip(images / 3, -1, 1), "token_ids": tokens}
    return (tf.data.Dataset.from_tensor_slices(data)
            .shuffle(examples, seed=seed)
            .batch(batch_size, drop_remainder=True)
            .prefetch(2))


def _scope(replicas):
    import keras

    if not replicas:
        return contextlib.nullcontext()
    if keras.config.backend() == "jax":
        import jax

        if len(jax.devices()) < replicas:
            raise ValueError(
                f"--replicas={replicas} but JAX sees {len(jax.devices())} "
                "devices; run this module as a script so that it can split "
                "the CPU before JAX starts.")
        return keras.distribution.DataParallel(
            devices=jax.devices()[:replicas]).scope()
    from keras_lip.testing.replicas import mirrored_strategy

    return mirrored_strategy(replicas).scope()


def main(argv):
    del argv
    import keras

    from keras_lip import losses
    from keras_lip.testing import toy_two_tower

    print(f"keras {keras.__version__}, backend {keras.config.backend()}, "
          f"replicas {FLAGS.replicas or 1}, negatives {FLAGS.negatives}")
    dataset = make_dataset(FLAGS.examples, FLAGS.batch_size, FLAGS.seed)
    with _scope(FLAGS.replicas):
        model = toy_two_tower(width=32, vocab_size=64, seed=FLAGS.seed)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=losses.SigmoidContrastiveLoss(negatives=FLAGS.negatives))
        history = model.fit(dataset, epochs=FLAGS.epochs, verbose=2)
    curve = history.history["loss"]
    print("loss per epoch: " + " ".join(f"{v:.4f}" for v in curve))
    print(f"t = {float(model.logit_scale.numpy()):.3f}, "
          f"b = {float(model.logit_bias.numpy()):.3f}")
    if not curve[-1] < curve[0]:
        print("FAILED: the loss did not go down", file=sys.stderr)
        return 1
    print(f"OK: loss went down from {curve[0]:.4f} to {curve[-1]:.4f}")
    return 0


if __name__ == "__main__":
    # Devices must be split before TensorFlow/JAX initialise: parse the flags
    # (absl does not import either) before anything else.
    FLAGS(sys.argv)
    configure_cpu_devices(max(FLAGS.replicas, 1))
    app.run(main)
