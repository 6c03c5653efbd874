"""A compact GNU Unifont glyph atlas (16-pixel-high bitmaps), packaged.

`keras_lip/data/fonts/unifont_atlas.npz` holds the 69 773 glyphs of GNU
Unifont 15.0.01 (plane 0 plus the upper planes; see PROVENANCE.md and
OFL-1.1.txt there). It is an `.npz` whose members are LZMA-compressed, so
`np.load` reads it (no pickles): the codepoints as runs of consecutive
values, the 8-pixel-wide glyphs as one byte per row, the 16-pixel-wide ones
as two, and which glyph is which width. `tools/build_unifont_atlas.py`
rebuilds it from Unifont `.hex` files.
"""

import hashlib
import importlib.resources
import io
import json
import os
import pathlib
import zipfile

import numpy as np

FORMAT = 1
HEIGHT = 16
MAX_CODEPOINT = 0x10FFFF
_DEFAULT = ("fonts", "unifont_atlas.npz")
_KEYS = ("format", "run_starts", "run_lengths", "wide", "narrow_rows",
         "wide_rows", "sources")


def default_atlas_path():
    """The packaged atlas, found through `importlib.resources`."""
    return importlib.resources.files("keras_lip.data").joinpath(*_DEFAULT)


class UnifontAtlas:
    """Unifont glyph bitmaps by codepoint.

    Args:
        codepoints: int `[G]`, strictly increasing, in [0, 0x10FFFF].
        rows: uint16 `[G, 16]`, one row per entry, bit 15 the leftmost
            pixel (8-pixel-wide glyphs use bits 15..8 only).
        wide: bool `[G]`, whether the glyph is 16 pixels wide (else 8).
        sources: list of dicts describing the files the glyphs came from.

    Example:

    >>> atlas = UnifontAtlas.load()
    >>> len(atlas), atlas.bitmap(ord("A")).shape
    (69773, (16, 16))
    >>> print("\\n".join("".join("-#"[b] for b in row)
    ...                 for row in atlas.bitmap(ord("A"))[4:12, :8]))
    ---##---
    --#--#--
    --#--#--
    -#----#-
    -#----#-
    -######-
    -#----#-
    -#----#-
    """

    def __init__(self, codepoints, rows, wide, sources=()):
        self.codepoints = np.asarray(codepoints, np.int32)
        self.rows = np.asarray(rows, np.uint16)
        self.wide = np.asarray(wide, bool)
        self.sources = list(sources)
        count = len(self.codepoints)
        if self.rows.shape != (count, HEIGHT) or self.wide.shape != (count,):
            raise ValueError(
                f"Atlas arrays disagree: {count} codepoints, rows "
                f"{self.rows.shape} (want ({count}, {HEIGHT})), wide "
                f"{self.wide.shape}.")
        if count and (np.any(np.diff(self.codepoints) <= 0)
                      or self.codepoints[0] < 0
                      or self.codepoints[-1] > MAX_CODEPOINT):
            raise ValueError("Atlas codepoints must be strictly increasing "
                             f"and within [0, {MAX_CODEPOINT:#x}].")
        if np.any(self.rows[~self.wide] & 0xFF):
            raise ValueError("8-pixel-wide glyphs have pixels in columns 8-15.")

    def __len__(self):
        return len(self.codepoints)

    def bitmap(self, codepoint):
        """uint8 `[16, 16]` 0/1 pixels of one codepoint (zeros if absent)."""
        i = np.searchsorted(self.codepoints, codepoint)
        if i == len(self) or self.codepoints[i] != codepoint:
            return np.zeros((HEIGHT, 16), np.uint8)
        shifts = np.arange(15, -1, -1, dtype=np.uint16)
        return ((self.rows[i][:, None] >> shifts) & 1).astype(np.uint8)

    @classmethod
    def from_hex(cls, *paths):
        """Reads Unifont `.hex` files (`CODEPOINT:HEXBITS` per line, 32 or 64
        hex digits = 8 or 16 pixels wide, 16 rows). A codepoint in a later
        file replaces the same one in an earlier file, as when big_vision
        loads `unifont.hex` and then `unifont_upper.hex`."""
        glyphs, sources = {}, []
        for path in paths:
            with open(path, "rb") as f:
                data = f.read()
            count = 0
            for number, line in enumerate(data.decode("ascii").splitlines(),
                                          1):
                if not line.strip():
                    continue
                codepoint, hexbits = _parse_line(line, path, number)
                glyphs[codepoint] = hexbits
                count += 1
            sources.append({"file": os.path.basename(path), "glyphs": count,
                            "sha256": hashlib.sha256(data).hexdigest()})
        if not glyphs:
            raise ValueError(f"No glyphs in {', '.join(map(str, paths))}.")
        codepoints = sorted(glyphs)
        rows = np.zeros((len(codepoints), HEIGHT), np.uint16)
        wide = np.array([len(glyphs[c]) == 64 for c in codepoints], bool)
        for i, c in enumerate(codepoints):
            raw = np.frombuffer(bytes.fromhex(glyphs[c]), np.uint8)
            raw = raw.reshape(HEIGHT, -1).astype(np.uint16)
            rows[i] = raw[:, 0] << 8 | (raw[:, 1] if wide[i] else 0)
        return cls(codepoints, rows, wide, sources)

    @classmethod
    def load(cls, path=None):
        """Reads an atlas written by `save` (default: the packaged one)."""
        path = default_atlas_path() if path is None else path
        if isinstance(path, (str, os.PathLike)):
            path = pathlib.Path(path)
        data = path.read_bytes()  # A Path or an importlib.resources file.
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in _KEYS}
        except (KeyError, ValueError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path} is not a Unifont atlas ({e}).") from e
        if int(arrays["format"]) != FORMAT:
            raise ValueError(f"{path}: atlas format {int(arrays['format'])}, "
                             f"this keras_lip reads format {FORMAT}.")
        starts, lengths = arrays["run_starts"], arrays["run_lengths"]
        codepoints = (np.repeat(starts - np.cumsum(lengths) + lengths,
                                lengths) + np.arange(lengths.sum()))
        wide = np.unpackbits(arrays["wide"])[:len(codepoints)].astype(bool)
        rows = np.zeros((len(codepoints), HEIGHT), np.uint16)
        rows[~wide] = arrays["narrow_rows"].astype(np.uint16) << 8
        pairs = arrays["wide_rows"].reshape(-1, HEIGHT, 2).astype(np.uint16)
        rows[wide] = pairs[..., 0] << 8 | pairs[..., 1]
        return cls(codepoints, rows, wide, json.loads(str(arrays["sources"])))

    def save(self, path):
        """Writes the atlas as an LZMA-compressed `.npz`."""
        breaks = np.flatnonzero(np.diff(self.codepoints) != 1) + 1
        firsts = np.r_[0, breaks].astype(np.int64)
        lengths = np.diff(np.r_[firsts, len(self)])
        wide_rows = self.rows[self.wide]
        arrays = {
            "format": np.array(FORMAT, np.int32),
            "run_starts": self.codepoints[firsts],
            "run_lengths": lengths.astype(np.int32),
            "wide": np.packbits(self.wide),
            "narrow_rows": (self.rows[~self.wide] >> 8).astype(np.uint8),
            "wide_rows": np.stack([wide_rows >> 8, wide_rows & 0xFF],
                                  -1).astype(np.uint8).reshape(-1, 32),
            "sources": np.array(json.dumps(self.sources)),
        }
        with zipfile.ZipFile(path, "w") as z:
            for key in _KEYS:
                buffer = io.BytesIO()
                np.save(buffer, arrays[key], allow_pickle=False)
                # A fixed date makes the file a function of the glyphs.
                info = zipfile.ZipInfo(key + ".npy", (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_LZMA
                z.writestr(info, buffer.getvalue())


def _parse_line(line, path, number):
    codepoint, sep, hexbits = line.strip().partition(":")
    where = f"{path}:{number}"
    try:
        value = int(codepoint, 16) if sep else -1
        bytes.fromhex(hexbits)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"{where}: not a Unifont .hex line "
                         f"('CODEPOINT:HEXBITS'): {line[:80]!r}")
    if value > MAX_CODEPOINT:
        raise ValueError(f"{where}: codepoint {codepoint} is beyond U+10FFFF.")
    if len(hexbits) not in (32, 64):
        raise ValueError(
            f"{where}: U+{value:04X} has {len(hexbits)} hex digits; only "
            "8x16 (32) and 16x16 (64) glyphs are supported, like big_vision's "
            "render_unifont.")
    return value, hexbits.upper()
