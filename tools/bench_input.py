"""Input pipeline throughput: keras_lip.data vs a plain PIL + Python loader.

    python tools/bench_input.py [--num_images=512] [--source_size=480,640]
        [--image_size=224] [--max_len=64] [--batch_size=64] [--repeats=5]

Makes `--num_images` JPEGs (quality 90, smooth content plus noise, like the
test fixtures) in a temporary folder, writes them with captions into 4
TFRecord shards with tools/make_tfrecords.py, trains a tiny SentencePiece
model, then measures images/s for decode + resize to image_size + value
range + tokenise to max_len, batched:

* keras_lip: `ImageTextPipeline` (training mode: shuffle, one caption per
  image, SigLIP's resize), AUTOTUNE parallelism on this machine's cores.
* baseline: one Python loop: read the records (tf.data, no parallelism),
  parse `tf.train.Example`, `PIL.Image.open(...).convert("RGB").resize(
  (size, size), BILINEAR)`, NumPy scaling, `sentencepiece` encode with the
  same sticky-EOS padding, `np.stack` per batch.

Each is timed over whole passes after one warm-up pass, the two
alternating; the median of `--repeats` passes is reported with the ratio.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _make_data(folder, num_images, height, width):
    import tensorflow as tf

    import make_tfrecords
    from keras_lip.testing import data_fixtures

    images = os.path.join(folder, "images")
    os.makedirs(images)
    with open(os.path.join(folder, "pairs.csv"), "w") as f:
        f.write("image,caption\n")
        for i in range(num_images):
            array = data_fixtures.image_array(height, width, seed=i)
            data = tf.io.encode_jpeg(array, quality=90).numpy()
            with open(os.path.join(images, f"{i}.jpg"), "wb") as img:
                img.write(data)
            for caption in data_fixtures.captions_for(i):
                f.write(f"{i}.jpg,{caption}\n")
    paths, _ = make_tfrecords.write(images, os.path.join(folder, "pairs.csv"),
                                    os.path.join(folder, "train"), 4)
    return paths, data_fixtures.train_sentencepiece(folder)


def _time_passes(runs, repeats):
    """Images/s (median over `repeats`) of each pass function in `runs`.

    The passes alternate (a, b, a, b, ...) after one warm-up pass each, so
    that load from other processes on the machine hits both alike.
    """
    for run in runs:
        run()  # warm-up: tracing, file cache
    rates = [[] for _ in runs]
    for _ in range(repeats):
        for run, out in zip(runs, rates):
            start = time.perf_counter()
            count = run()
            out.append(count / (time.perf_counter() - start))
    return [statistics.median(r) for r in rates], rates


def _keras_lip_pass(paths, spm, args):
    from keras_lip.data import (ImagePreprocessing, ImageTextPipeline,
                                TextPreprocessing, TfrecordSource)

    pipeline = ImageTextPipeline(
        TfrecordSource(paths), spm, batch_size=args.batch_size, training=True,
        shuffle_buffer=1000, image=ImagePreprocessing(size=args.image_size),
        text=TextPreprocessing(max_len=args.max_len))
    dataset = pipeline.dataset()

    def run():
        count = 0
        for batch in dataset:
            count += int(batch["images"].shape[0])
        return count

    return run


def _baseline_pass(paths, spm, args):
    import sentencepiece
    import tensorflow as tf
    from PIL import Image

    processor = sentencepiece.SentencePieceProcessor(model_file=spm)
    size, length, eos = args.image_size, args.max_len, processor.eos_id()
    rng = np.random.default_rng(0)

    def tokens(text):
        ids = processor.encode(text.lower()) + [eos]
        if len(ids) > length:
            ids = ids[:length - 1] + [eos]
        return ids + [eos] * (length - len(ids))  # pad with EOS (1)

    def run():
        count, images, texts = 0, [], []
        for record in tf.data.TFRecordDataset(paths).as_numpy_iterator():
            feature = tf.train.Example.FromString(record).features.feature
            image = Image.open(io.BytesIO(feature["image"].bytes_list.value[0]))
            image = image.convert("RGB").resize((size, size), Image.BILINEAR)
            images.append(np.asarray(image, np.float32) / 127.5 - 1.0)
            captions = feature["captions"].bytes_list.value
            texts.append(tokens(captions[rng.integers(len(captions))].decode()))
            if len(images) == args.batch_size:
                np.stack(images), np.asarray(texts, np.int32)
                count += len(images)
                images, texts = [], []
        return count

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num_images", type=int, default=512)
    parser.add_argument("--source_size", default="480,640",
                        help="height,width of the generated JPEGs")
    parser.add_argument("--image_size", type=int, default=224)
    parser.add_argument("--max_len", type=int, default=64)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    height, width = map(int, args.source_size.split(","))
    allocator = os.environ.get("LD_PRELOAD") or "default glibc malloc"
    print(f"allocator: {allocator}; GLIBC_TUNABLES="
          f"{os.environ.get('GLIBC_TUNABLES', '(unset)')}; "
          f"cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="bench_input_") as folder:
        paths, spm = _make_data(folder, args.num_images, height, width)
        (ours, base), rates = _time_passes(
            [_keras_lip_pass(paths, spm, args),
             _baseline_pass(paths, spm, args)], args.repeats)
    print(f"{args.num_images} JPEGs {height}x{width} -> {args.image_size}, "
          f"L={args.max_len}, batch {args.batch_size}")
    for name, rate, runs in (("keras_lip.data", ours, rates[0]),
                             ("PIL + Python  ", base, rates[1])):
        spread = ", ".join(f"{r:.0f}" for r in runs)
        print(f"{name}: {rate:.1f} images/s (median; passes: {spread})")
    print(f"ratio: {ours / base:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
