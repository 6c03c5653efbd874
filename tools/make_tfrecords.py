"""Writes image-text TFRecord shards from a folder of images and captions.

    python tools/make_tfrecords.py --images_dir=IMAGES --captions=pairs.csv \
        --output_prefix=out/train [--num_shards=8] [--image_key=image] \
        [--caption_key=caption]

`--captions` is a CSV with a header or a JSONL file; each row names an image
(relative to `--images_dir`) and one caption (JSONL may give a list). Rows
for the same image are grouped into one record. Records follow the schema of
`keras_lip.data.tfrecord` (`image`: the file's bytes as they are,
`captions`: UTF-8 strings) and go round-robin into
`{output_prefix}-00000-of-0000N.tfrecord`. Missing images or columns are an
error before anything is written; bad bytes are written as they are (the
input pipeline skips and counts them).
"""

import argparse
import os
import sys

from keras_lip.data import sources, tfrecord


def write(images_dir, captions, output_prefix, num_shards=1,
          image_key="image", caption_key="caption"):
    """Writes the shards; returns `(paths, number of records)`."""
    source = sources.CaptionFileSource(captions, image_key=image_key,
                                       caption_key=caption_key,
                                       image_root=images_dir)
    folder = os.path.dirname(os.path.abspath(output_prefix))
    os.makedirs(folder, exist_ok=True)

    def pairs():
        for path, texts in zip(source.image_paths, source.captions):
            with open(path, "rb") as f:
                yield f.read(), texts

    paths = tfrecord.write_shards(pairs(), output_prefix, num_shards)
    return paths, len(source.image_paths)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images_dir", required=True)
    parser.add_argument("--captions", required=True,
                        help="CSV (with header) or JSONL of image, caption")
    parser.add_argument("--output_prefix", required=True)
    parser.add_argument("--num_shards", type=int, default=1)
    parser.add_argument("--image_key", default="image")
    parser.add_argument("--caption_key", default="caption")
    args = parser.parse_args(argv)
    paths, count = write(args.images_dir, args.captions, args.output_prefix,
                         args.num_shards, args.image_key, args.caption_key)
    print(f"wrote {count} records to {len(paths)} shard(s): {paths[0]} ...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
