"""Toy demo: a tiny two-tower model learns with the SigLIP loss in model.fit.

    python examples/toy_fit.py [--replicas=4] [--negatives=ring]

Images and captions share a hidden "concept" (noisy prototype images,
captions drawn from per-concept words), so the sigmoid loss has something
to learn; the script prints the loss per epoch and exits 1 if it did not
go down. `--replicas=N` trains data-parallel on N virtual CPU devices
(TensorFlow: MirroredStrategy; JAX: keras.distribution.DataParallel).
"""

import argparse
import contextlib
import sys

from keras_lip.ops import NEGATIVES

PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
PARSER.add_argument("--epochs", type=int, default=8, help="Training epochs.")
PARSER.add_argument("--batch_size", type=int, default=64,
                    help="Global batch size.")
PARSER.add_argument("--examples", type=int, default=2048,
                    help="Training examples.")
PARSER.add_argument("--replicas", type=int, default=0,
                    help="0: one device; N: N virtual CPU devices.")
PARSER.add_argument("--negatives", default="auto",
                    choices=NEGATIVES,
                    help="Cross-replica negatives of the sigmoid loss.")
PARSER.add_argument("--seed", type=int, default=0, help="Seed.")


def make_dataset(args, concepts=16, vocab=64, length=8):
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(args.seed)
    prototypes = rng.normal(size=(concepts, 8, 8, 3)).astype("float32")
    words = rng.integers(1, vocab, size=(concepts, length))
    concept = rng.integers(0, concepts, size=args.examples)
    images = prototypes[concept] + 0.5 * rng.normal(
        size=(args.examples, 8, 8, 3)).astype("float32")
    # Half of each caption is concept words, half is random words.
    noise = rng.integers(1, vocab, size=(args.examples, length))
    keep = rng.random(size=(args.examples, length)) < 0.5
    tokens = np.where(keep, words[concept], noise).astype("int32")
    data = {"images": np.clip(images / 3, -1, 1), "token_ids": tokens}
    return (tf.data.Dataset.from_tensor_slices(data)
            .shuffle(args.examples, seed=args.seed)
            .batch(args.batch_size, drop_remainder=True).prefetch(2))


def make_model(seed, width=32, vocab=64):
    import keras

    from keras_lip import models

    init = keras.initializers.GlorotUniform(seed=seed)
    image = keras.Sequential([keras.layers.Flatten(),
                              keras.layers.Dense(width, kernel_initializer=init)])
    text = keras.Sequential([
        keras.layers.Embedding(vocab, width, embeddings_initializer=(
            keras.initializers.RandomNormal(seed=seed))),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(width, kernel_initializer=init)])
    return models.TwoTower(image, text)


def scope(replicas):
    import keras

    if not replicas:
        return contextlib.nullcontext()
    if keras.config.backend() == "jax":
        import jax

        return keras.distribution.DataParallel(
            devices=jax.devices()[:replicas]).scope()
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(
        [f"/cpu:{i}" for i in range(replicas)]).scope()


def main(argv=None):
    args = PARSER.parse_args(argv)
    # Devices must be split before TensorFlow/JAX initialise.
    from keras_lip.distribution import configure_cpu_devices

    configure_cpu_devices(max(args.replicas, 1))
    import keras

    from keras_lip import losses

    print(f"keras {keras.__version__}, backend {keras.config.backend()}, "
          f"replicas {args.replicas or 1}, negatives {args.negatives}")
    dataset = make_dataset(args)
    with scope(args.replicas):
        model = make_model(args.seed)
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=losses.SigmoidContrastiveLoss(
                          negatives=args.negatives))
        history = model.fit(dataset, epochs=args.epochs, verbose=2)
    curve = history.history["loss"]
    print("loss per epoch: " + " ".join(f"{v:.4f}" for v in curve))
    if not curve[-1] < curve[0]:
        print("FAILED: the loss did not go down", file=sys.stderr)
        return 1
    print(f"OK: loss went down from {curve[0]:.4f} to {curve[-1]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
