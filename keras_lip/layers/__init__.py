"""Layers and tensor helpers."""

from keras_lip.layers.l2_normalize import l2_normalize
