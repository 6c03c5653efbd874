"""Builds the packaged Unifont glyph atlas from GNU Unifont `.hex` files.

    python tools/build_unifont_atlas.py --output=keras_lip/data/fonts/unifont_atlas.npz \\
        /path/to/unifont-15.0.01.hex /path/to/unifont_upper-15.0.01.hex

Later files replace earlier ones' glyphs for the same codepoint (big_vision
loads `unifont.hex`, then `unifont_upper.hex`). Prints the glyph counts,
the input sha256s (also stored in the atlas) and the atlas size. When the
atlas is rebuilt from other files, update `keras_lip/data/fonts/
PROVENANCE.md` to match.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from keras_lip.data.unifont import UnifontAtlas  # noqa: E402


def build(hex_paths, output):
    """Writes the atlas of `hex_paths` to `output`; returns the atlas."""
    atlas = UnifontAtlas.from_hex(*hex_paths)
    atlas.save(output)
    reloaded = UnifontAtlas.load(output)
    if not (reloaded.rows == atlas.rows).all() or not (
            reloaded.codepoints == atlas.codepoints).all():
        raise RuntimeError(f"{output} does not read back as written.")
    return atlas


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hex", nargs="+", help="Unifont .hex files")
    parser.add_argument("--output", required=True, help="atlas .npz to write")
    args = parser.parse_args(argv)
    atlas = build(args.hex, args.output)
    for source in atlas.sources:
        print(f"{source['file']}: {source['glyphs']} glyphs, "
              f"sha256 {source['sha256']}")
    print(f"{args.output}: {len(atlas)} glyphs ({int(atlas.wide.sum())} "
          f"16 px wide), {os.path.getsize(args.output)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
