"""Built-in demo data: procedurally drawn coloured shapes with captions.

Every image shows one shape on a noisy dark background; its captions name
the size, colour, shape and position ("a small red circle at the top
left"). Some colour-shape pairs never occur in training (`held_out`), so
zero-shot classification of those pairs tests composition, not memory.
Everything is deterministic by seed and needs no download.
"""

import dataclasses
import itertools

import numpy as np

COLORS = {"red": (230, 40, 40), "green": (40, 200, 60),
          "blue": (50, 80, 240), "yellow": (235, 220, 40),
          "purple": (160, 60, 200), "white": (235, 235, 235)}
SHAPES = ("circle", "square", "triangle", "cross")
SIZES = ("small", "large")
POSITIONS = ("top left", "top right", "bottom left", "bottom right",
             "center")
CAPTION_TEMPLATES = (
    "a {size} {color} {shape} at the {position}",
    "{size} {color} {shape} , {position}",
    "the {shape} is {color} and {size} , at the {position}",
)
# Colour i loses shape i mod 4: every colour and every shape still occurs.
HELD_OUT = tuple((color, SHAPES[i % len(SHAPES)])
                 for i, color in enumerate(COLORS))


def _masks(size, shape, radius, cx, cy):
    """Boolean `[n, size, size]` masks of shapes centred at (cx, cy)."""
    grid = np.arange(size, dtype=np.float32) + 0.5
    x = grid[None, None, :] - cx[:, None, None]
    y = grid[None, :, None] - cy[:, None, None]
    r = radius[:, None, None]
    circle = x * x + y * y <= r * r
    square = (np.abs(x) <= 0.8 * r) & (np.abs(y) <= 0.8 * r)
    triangle = (y <= 0.8 * r) & (y >= -r) & (np.abs(x) <= (y + r) * 0.55)
    arm = r / 3
    cross = (((np.abs(x) <= arm) & (np.abs(y) <= r))
             | ((np.abs(y) <= arm) & (np.abs(x) <= r)))
    all_masks = np.stack([circle, square, triangle, cross], axis=1)
    return all_masks[np.arange(len(shape)), shape]


@dataclasses.dataclass(frozen=True)
class ShapesDataset:
    """The demo image-caption data ("a small red circle at the top left").

    Attributes:
        image_size: side of the square RGB images (uint8).
        held_out: colour-shape pairs that never appear with `split="train"`.

    Example:

    >>> data = ShapesDataset(image_size=32)
    >>> batch = data.generate(4, split="train", seed=0)
    >>> batch["images"].shape, batch["captions"][0][0]
    ((4, 32, 32, 3), 'a small white circle at the top left')
    >>> data.class_names[:2], len(data.class_names)
    (['red circle', 'red square'], 24)
    """

    image_size: int = 32
    held_out: tuple = HELD_OUT

    @property
    def class_names(self):
        """Every "colour shape" pair; label = colour · 4 + shape."""
        return [f"{c} {s}" for c, s in itertools.product(COLORS, SHAPES)]

    @property
    def zero_shot_templates(self):
        """Prompts in the captions' grammar, one per size and position."""
        return [f"a {size} {{}} at the {position}"
                for size in SIZES for position in POSITIONS]

    @property
    def vocabulary(self):
        words = set(" ".join(CAPTION_TEMPLATES).replace("{", " ").replace(
            "}", " ").split())
        words -= {"size", "color", "shape", "position", ","}
        for names in (COLORS, SHAPES, SIZES, POSITIONS):
            for name in names:
                words.update(name.split())
        return sorted(words)

    def tokenizer(self):
        """A `WordTokenizer` over the closed caption vocabulary."""
        from keras_lip.data.word_tokenizer import WordTokenizer

        return WordTokenizer(self.vocabulary)

    def pairs(self, split):
        """(colour, shape) index pairs of "train", "held_out" or "all"."""
        colors = list(COLORS)
        held = {(colors.index(c), SHAPES.index(s)) for c, s in self.held_out}
        every = list(itertools.product(range(len(COLORS)),
                                       range(len(SHAPES))))
        if split == "all":
            return every
        if split == "held_out":
            return [p for p in every if p in held]
        if split == "train":
            return [p for p in every if p not in held]
        raise ValueError(f"split must be 'train', 'held_out' or 'all'; got "
                         f"{split!r}.")

    def generate(self, num, split="train", seed=0, unique=False):
        """Draws `num` examples.

        Args:
            num: number of images.
            split: which colour-shape pairs may occur (see `pairs`).
            seed: random seed (same seed, same data).
            unique: every image gets a different (colour, shape, size,
                position) combination (then `num` ≤ the number of them):
                makes retrieval well defined.

        Returns:
            dict of numpy arrays: `images` uint8 `[num, s, s, 3]`,
            `captions` (list of lists of str), `labels` (class index),
            `color`, `shape`, `size`, `position` (attribute indices).
        """
        rng = np.random.default_rng(seed)
        pairs = np.array(self.pairs(split))
        if unique:
            combos = np.array([(c, s, z, p) for c, s in pairs
                               for z in range(len(SIZES))
                               for p in range(len(POSITIONS))])
            if num > len(combos):
                raise ValueError(f"unique=True allows at most {len(combos)} "
                                 f"images for split {split!r}; got {num}.")
            combos = combos[rng.permutation(len(combos))[:num]]
            color, shape, size, position = combos.T
        else:
            color, shape = pairs[rng.integers(0, len(pairs), num)].T
            size = rng.integers(0, len(SIZES), num)
            position = rng.integers(0, len(POSITIONS), num)
        s = self.image_size
        quarter = np.array([(1, 1), (3, 1), (1, 3), (3, 3), (2, 2)],
                           np.float32) * s / 4
        centre = quarter[position] + rng.uniform(-s / 16, s / 16, (num, 2))
        radius = np.where(size == 0, s / 9, s / 5.5) * rng.uniform(
            0.9, 1.1, num)
        mask = _masks(s, shape, radius.astype(np.float32),
                      centre[:, 0].astype(np.float32),
                      centre[:, 1].astype(np.float32))
        rgb = np.array(list(COLORS.values()), np.float32)[color]
        rgb = rgb + rng.uniform(-20, 20, rgb.shape)
        background = rng.uniform(0, 50, (num, s, s, 3))
        images = np.where(mask[..., None], rgb[:, None, None, :], background)
        colors = list(COLORS)
        captions = [[t.format(size=SIZES[z], color=colors[c],
                              shape=SHAPES[h], position=POSITIONS[p])
                     for t in CAPTION_TEMPLATES]
                    for c, h, z, p in zip(color, shape, size, position)]
        return {"images": np.clip(images, 0, 255).astype(np.uint8),
                "captions": captions,
                "labels": (color * len(SHAPES) + shape).astype(np.int32),
                "color": color, "shape": shape, "size": size,
                "position": position}

    def source(self, num, split="train", seed=0, unique=False):
        """A source for `ImageTextPipeline` (PNG bytes + all captions)."""
        return ShapesSource(self.generate(num, split, seed, unique))


class ShapesSource:
    """`ImageTextPipeline` source over generated examples (in memory).

    Args:
        examples: the dict `ShapesDataset.generate` returns.
    """

    def __init__(self, examples):
        self.examples = examples

    def make(self, shard_index=0, num_shards=1, shuffle_files=False, seed=0):
        """`{"image": PNG bytes, "captions": [k] strings}` of one shard."""
        del shuffle_files, seed
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices({
            "image": self.examples["images"],
            "captions": np.array(self.examples["captions"], dtype=object)})
        ds = ds.shard(num_shards, shard_index)
        return ds.map(lambda ex: {"image": tf.io.encode_png(ex["image"]),
                                  "captions": ex["captions"]})
