"""CLIPPO text rendering throughput: `render_text` in tf.data vs PIL.

    python tools/bench_render.py [--num_captions=8192] [--batch_size=256]
        [--image_size=224] [--words=6,24] [--repeats=5]

Renders `--num_captions` generated ASCII captions (alt-text-like: 6-24
words, capitals, digits and punctuation; fixed seed) as CLIPPO images
(Unifont 16 px, proportional, lowercased, grey 127 background, black text,
uint8 `[B, S, S, 3]` batches), two ways, in the same run:

* keras_lip: `Dataset.from_tensor_slices(captions).batch(B).map(
  render_text, AUTOTUNE).prefetch(AUTOTUNE)`, on all cores; and the same
  pipeline with tf.data and TensorFlow held to one thread.
* PIL baseline: one Python loop per caption: the same lowercasing, layout
  arithmetic (rows of `S - widest` columns), one `ImageDraw.text` call per
  text row with a PIL bitmap font made (in a temporary folder, through
  PIL's `FontFile`) from the same Unifont atlas glyphs U+0000-U+00FF with
  the same proportional trim as advance widths, `convert("RGB")`,
  `np.asarray`, and `np.stack` per batch.

Both make identical images (checked on the first batch before timing).
Neither resizes (font size 16 is Unifont's own). Passes alternate after
one warm-up pass each; medians of `--repeats` passes, in captions/s and in
process CPU time per caption (all threads; less disturbed by other jobs on
a shared machine). Also prints the allocator setting and the float32
matmul ceiling of this run.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

WORDS = ("a an the photo picture image of with and on in at near by two "
         "three small large old new red blue green yellow white black dog "
         "cat man woman child people car bus bike street road tree park "
         "beach sea mountain city house room table kitchen food plate pizza "
         "sitting standing walking running playing holding looking view "
         "sunset night morning winter summer vintage poster logo design "
         "stock illustration").split()
PUNCTUATION = ("", "", "", ",", ".", ":", " -", "!", "?", "'s")


def make_captions(count, low, high, seed=0):
    """Alt-text-like ASCII captions of `low`-`high` words."""
    rng = np.random.default_rng(seed)
    captions = []
    for _ in range(count):
        words = []
        for word in rng.choice(WORDS, rng.integers(low, high + 1)):
            if rng.random() < 0.15:
                word = word.capitalize()
            if rng.random() < 0.05:
                word = str(rng.integers(1, 2025))
            words.append(word + PUNCTUATION[rng.integers(len(PUNCTUATION))])
        captions.append(" ".join(words))
    return captions


def pil_font(folder, spacing=1, min_width=4):
    """A PIL bitmap font of the packaged Unifont's glyphs U+0000-U+00FF,
    trimmed as `render_text` trims them; returns (font, advance widths)."""
    from PIL import FontFile, Image, ImageFont

    from keras_lip.data.render import glyph_trim
    from keras_lip.data.unifont import UnifontAtlas

    atlas = UnifontAtlas.load()
    bitmaps = np.stack([atlas.bitmap(c) for c in range(256)])
    first, width = (t.numpy() for t in glyph_trim(
        bitmaps.any(1), spacing, min_width))
    font = FontFile.FontFile()
    for c in range(256):
        w = int(width[c])
        pixels = bitmaps[c, :, first[c]:first[c] + w] * 255
        image = Image.fromarray(pixels.astype(np.uint8)).convert("1")
        # ((advance), glyph box relative to the origin, box in `image`).
        font.glyph[c] = ((w, 0), (0, -16, w, 0), (0, 0, w, 16), image)
    path = os.path.join(folder, "unifont_latin1")
    font.save(path)
    return ImageFont.load(path + ".pil"), [int(w) for w in width]


def pil_render(caption, font, widths, size, max_chars=768):
    """One caption as render_text draws it (ASCII/Latin-1 captions)."""
    from PIL import Image, ImageDraw

    text = caption.encode("latin-1").lower().decode("latin-1")[:max_chars]
    image = Image.new("L", (size, size), 127)
    if text:
        draw = ImageDraw.Draw(image)
        room = size - max(widths[ord(c)] for c in text)
        rows, end = {}, 0
        for c in text:
            end += widths[ord(c)]
            rows.setdefault(end // room, []).append(c)
        for row, chars in rows.items():
            if row * 16 < size:
                draw.text((0, row * 16), "".join(chars), font=font, fill=0)
    return np.asarray(image.convert("RGB"))


def _cpu_timed(run, cpu):
    """`run`, appending the process CPU time (all threads) per item of
    each call to `cpu`: a figure other processes on the machine disturb
    less than captions/s."""
    def timed():
        start = time.process_time()
        count = run()
        cpu.append((time.process_time() - start) / count)
        return count

    return timed


def _pil_pass(captions, font, widths, args):
    def run():
        count = 0
        for i in range(0, len(captions), args.batch_size):
            batch = np.stack([pil_render(c, font, widths, args.image_size)
                              for c in captions[i:i + args.batch_size]])
            count += batch.shape[0]
        return count

    return run


def _dataset(captions, args, threads=None):
    import tensorflow as tf

    from keras_lip.data import render_text

    dataset = tf.data.Dataset.from_tensor_slices(captions).batch(
        args.batch_size).map(
            lambda t: render_text(t, image_size=args.image_size),
            num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    if threads:
        options = tf.data.Options()
        options.threading.private_threadpool_size = threads
        options.threading.max_intra_op_parallelism = threads
        dataset = dataset.with_options(options)
    return dataset


def _tf_pass(dataset):
    def run():
        count = 0
        for batch in dataset:
            count += int(batch.shape[0])
        return count

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num_captions", type=int, default=8192)
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--image_size", type=int, default=224)
    parser.add_argument("--words", default="6,24",
                        help="fewest,most words per caption")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import tensorflow as tf

    from bench_input import _time_passes
    from bench_train_step import _matmul

    low, high = map(int, args.words.split(","))
    captions = make_captions(args.num_captions, low, high)
    allocator = os.environ.get("LD_PRELOAD") or "default glibc malloc"
    print(f"allocator: {allocator}; GLIBC_TUNABLES="
          f"{os.environ.get('GLIBC_TUNABLES', '(unset)')}; "
          f"cores: {os.cpu_count()}")
    print(f"float32 matmul ceiling (TF, 4096², this run): "
          f"{_matmul('tensorflow')['gflops']:.0f} GFLOP/s")
    with tempfile.TemporaryDirectory(prefix="bench_render_") as folder:
        font, widths = pil_font(folder)
        datasets = [_dataset(captions, args), _dataset(captions, args, 1)]
        first = next(iter(datasets[0])).numpy()
        same = all(np.array_equal(first[i], pil_render(
            captions[i], font, widths, args.image_size))
                   for i in range(len(first)))
        if not same:
            raise AssertionError("PIL and render_text images differ.")
        cpu = [[], [], []]
        runs = [_tf_pass(datasets[0]), _tf_pass(datasets[1]),
                _pil_pass(captions, font, widths, args)]
        (ours, single, base), rates = _time_passes(
            [_cpu_timed(r, c) for r, c in zip(runs, cpu)], args.repeats)
    cpu = [statistics.median(c[1:]) * 1e6 for c in cpu]  # not the warm-up
    chars = np.mean([len(c) for c in captions])
    print(f"{args.num_captions} captions ({chars:.0f} characters on "
          f"average), {args.image_size}x{args.image_size}x3 uint8, batch "
          f"{args.batch_size}; PIL and render_text images identical: {same}")
    print(f"TensorFlow {tf.__version__}, intra-op threads "
          f"{tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}")
    for name, rate, runs, used in (
            ("render_text, tf.data (all cores)", ours, rates[0], cpu[0]),
            ("render_text, tf.data (1 thread) ", single, rates[1], cpu[1]),
            ("PIL ImageDraw + NumPy (1 thread)", base, rates[2], cpu[2])):
        spread = ", ".join(f"{r:.0f}" for r in runs)
        print(f"{name}: {rate:.0f} captions/s (median; passes: {spread}); "
              f"CPU {used:.1f} us/caption")
    print(f"ratio: {ours / base:.2f}x (all cores), {single / base:.2f}x "
          f"(1 thread each); CPU time per caption: {cpu[2] / cpu[0]:.2f}x "
          "less")
    return 0


if __name__ == "__main__":
    sys.exit(main())
