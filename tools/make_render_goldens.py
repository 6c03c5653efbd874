"""Makes extra CLIPPO render goldens by running big_vision's own op.

    python tools/make_render_goldens.py --big_vision=/path/to/big_vision \\
        --fonts=/path/to/fonts --output=tests/testdata/render [--commit=SHA]

The vendored goldens (`tests/testdata/golden/clippo/`) cover font size 16
with the default brightness, lowercasing and `max_chars`. This renders a
set of strings (including invalid UTF-8 and codepoints without a glyph)
under other parameters of big_vision's `render_unifont` (resized fonts and
their `resize_method`, brightness, `lower=False`, `max_chars`, image sizes
that are not multiples of 16, `spacing`/`min_width`), with big_vision's
code from a checkout (`--big_vision`: the folder holding `big_vision/`) and
the Unifont `.hex` files in `--fonts` (`unifont-15.0.01.hex`,
`unifont_upper-15.0.01.hex`, loaded under the 9.0.06 names big_vision
expects). Writes `big_vision_renders.npz` (one uint8 `[strings, S, S]`
array per case: the first channel, big_vision's three are equal) and
`big_vision_renders.json` (strings as UTF-8 hex, cases, provenance).
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

STRINGS = [
    "", "hello world", "A Photo Of A CAT.",
    "CLIPPO renders alt-text as an image and feeds it to the same vision "
    "transformer as the photo; this one wraps over several rows.",
    "日本語のテキスト、中文字符和한국어", "smile 😀 snake 🐍 ok 👍",
    "café vs café, ñ", "Crème Brûlée À LA FRANÇAISE, Straße",
    "\ue000 private use, \U00020000 ext-B, \U0010ffff last",
    "tab\tand\nnewline", "W" * 40, "i" * 60,
]
BAD_UTF8 = b"\xff\xfe bad \xc3 utf-8 \xe6\x97"
CASES = [
    {"image_size": 64, "font_size": 8},
    {"image_size": 64, "font_size": 8, "monospace": True},
    {"image_size": 100, "font_size": 24},
    {"image_size": 50, "font_size": 32, "monospace": True},
    {"image_size": 40, "font_size": 12, "resize_method": "bilinear"},
    {"image_size": 64, "font_size": 20, "spacing": 2},
    {"image_size": 48, "font_size": 10, "text_brightness": 200,
     "background_brightness": 30},
    {"image_size": 100, "text_brightness": 255, "background_brightness": 0},
    {"image_size": 72, "lower": False},
    {"image_size": 72, "max_chars": 5},
    {"image_size": 72, "max_chars": None},
    {"image_size": 17},
    {"image_size": 17, "monospace": True},
    {"image_size": 30, "spacing": 0, "min_width": 2},
    {"image_size": 90, "spacing": 3, "min_width": 7},
    {"image_size": 40, "monospace": True, "max_chars": 0},
]
FONTS = {"unifont-15.0.01.hex": "unifont-9.0.06.hex",
         "unifont_upper-15.0.01.hex": "unifont_upper-9.0.06.hex"}


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def render_all(big_vision, fonts):
    """{case index: uint8 [strings, S, S]} from big_vision's op."""
    import tensorflow as tf

    work = tempfile.mkdtemp(prefix="bv_render_")
    os.symlink(os.path.join(os.path.abspath(big_vision), "big_vision"),
               os.path.join(work, "big_vision"))
    clippo = os.path.join(work, "fonts", "big_vision", "pp", "proj",
                          "clippo")
    os.makedirs(clippo)
    for ours, theirs in FONTS.items():
        os.symlink(os.path.abspath(os.path.join(fonts, ours)),
                   os.path.join(clippo, theirs))
    sys.path.insert(0, work)
    from big_vision.pp.proj.clippo import pp_ops

    os.chdir(os.path.join(work, "fonts"))  # big_vision opens relative paths.
    texts = [s.encode("utf-8") for s in STRINGS] + [BAD_UTF8]
    out = {}
    for i, case in enumerate(CASES):
        op = pp_ops.get_pp_render_text(**case)
        render = tf.function(lambda t: op({"texts": t})["image"])  # noqa: B023
        images = np.stack([render(tf.constant(t)).numpy() for t in texts])
        if not (images == images[..., :1]).all():
            raise AssertionError(f"case {case}: channels differ")
        out[f"case_{i}"] = images[..., 0]
    return texts, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big_vision", required=True)
    parser.add_argument("--fonts", required=True)
    parser.add_argument("--output", required=True, help="folder")
    parser.add_argument("--commit", help="big_vision's commit, to record "
                        "(default: git rev-parse HEAD in --big_vision)")
    args = parser.parse_args(argv)
    output = os.path.abspath(args.output)
    commit = args.commit or subprocess.run(
        ["git", "-C", args.big_vision, "rev-parse", "HEAD"],
        capture_output=True, text=True).stdout.strip() or "unknown"
    fonts = {name: _sha256(os.path.join(args.fonts, name)) for name in FONTS}
    texts, renders = render_all(args.big_vision, args.fonts)
    import tensorflow as tf

    os.makedirs(output, exist_ok=True)
    np.savez_compressed(os.path.join(output, "big_vision_renders.npz"),
                        **renders)
    with open(os.path.join(output, "big_vision_renders.json"), "w") as f:
        json.dump({
            "op": "big_vision/pp/proj/clippo/pp_ops.py get_pp_render_text("
                  "**case) on {'texts': <scalar string>}, in a tf.function",
            "big_vision_commit": commit,
            "fonts_sha256": fonts,
            "tensorflow": tf.__version__,
            "made_by": "tools/make_render_goldens.py",
            "strings_utf8_hex": [t.hex() for t in texts],
            "cases": CASES,
            "arrays": "big_vision_renders.npz: case_<i> = uint8 [strings, S,"
                      " S], channel 0 of big_vision's [S, S, 3] (all equal)",
        }, f, indent=1, ensure_ascii=False)
    print(f"{len(CASES)} cases x {len(texts)} strings -> {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
