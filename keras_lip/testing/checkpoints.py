"""Reads a trainer workdir's newest checkpoint as plain arrays (for tests
that compare runs)."""

import os

import h5py

from keras_lip.trainer import checkpoint


def checkpoint_arrays(workdir):
    """`{h5 path: numpy array}` of the newest checkpoint in `workdir`."""
    folder = os.path.join(workdir, "checkpoints")
    index = checkpoint.latest(folder)
    if index is None:
        raise FileNotFoundError(f"No checkpoint in {folder}.")
    out = {}
    with h5py.File(os.path.join(folder, index["file"])) as f:
        f.visititems(lambda k, v: out.__setitem__(k, v[()])
                     if isinstance(v, h5py.Dataset) else None)
    return out
