"""Writes CLIPPO text renders as PNG files, to look at them.

    python -m keras_lip.data.render_main "A photo of a cat." --output=cat.png
        [--image_size=224] [--font_size=16] [--monospace] [--no_lower]
        [--text_brightness=0] [--background_brightness=127]
        [--max_chars=768] [--scale=1]

Several texts give several files: `--output=render.png` becomes
`render_0.png`, `render_1.png`, ... `--scale` enlarges the PNG (nearest
neighbour) for viewing only; the render itself is `render_text`'s.
"""

import argparse
import os
import sys

import tensorflow as tf

from keras_lip.data.render import render_text


def write_renders(texts, output, scale=1, **render_args):
    """Renders `texts` with `render_text(**render_args)`, writes PNGs.

    Args:
        texts: list of strings.
        output: the PNG path; with several texts, `stem_<i>.png`.
        scale: integer enlargement of the PNGs (nearest neighbour).

    Returns:
        The paths written.

    Example:

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> paths = write_renders(["a cat", "a dog"], os.path.join(folder, "r.png"),
    ...                       scale=2, image_size=32)
    >>> [os.path.basename(p) for p in paths]
    ['r_0.png', 'r_1.png']
    >>> tf.io.decode_png(tf.io.read_file(paths[1])).shape
    TensorShape([64, 64, 3])
    >>> import shutil; shutil.rmtree(folder)
    """
    images = render_text(tf.constant(texts), **render_args).numpy()
    if len(texts) == 1:
        paths = [output]
    else:
        stem, ext = os.path.splitext(output)
        paths = [f"{stem}_{i}{ext or '.png'}" for i in range(len(texts))]
    for image, path in zip(images, paths):
        image = image.repeat(scale, 0).repeat(scale, 1)
        tf.io.write_file(path, tf.io.encode_png(image))
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("texts", nargs="+", help="text(s) to render")
    parser.add_argument("--output", required=True, help="PNG path")
    parser.add_argument("--image_size", type=int, default=224)
    parser.add_argument("--font_size", type=int, default=16)
    parser.add_argument("--monospace", action="store_true")
    parser.add_argument("--no_lower", action="store_true",
                        help="keep capitals (CLIPPO lowercases ASCII)")
    parser.add_argument("--text_brightness", type=int, default=0)
    parser.add_argument("--background_brightness", type=int, default=127)
    parser.add_argument("--max_chars", type=int, default=768)
    parser.add_argument("--scale", type=int, default=1,
                        help="enlarge the PNG by this factor (viewing only)")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error(f"--scale={args.scale} must be at least 1.")
    try:
        paths = write_renders(
            args.texts, args.output, args.scale, image_size=args.image_size,
            font_size=args.font_size, lower=not args.no_lower,
            monospace=args.monospace, text_brightness=args.text_brightness,
            background_brightness=args.background_brightness,
            max_chars=args.max_chars)
    except ValueError as e:
        parser.error(str(e))
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
