"""Test helpers: `TestCase`, virtual devices, toy models.

Loaded lazily so that `keras_lip.distribution.devices` can run before any
framework is imported.
"""

import importlib

_EXPORTS = {
    "configure_cpu_devices": "keras_lip.distribution.devices",
    "TestCase": "keras_lip.testing.test_case",
    "golden_dir": "keras_lip.testing.test_case",
    "to_numpy": "keras_lip.testing.test_case",
    "value_and_grad": "keras_lip.testing.test_case",
    "toy_two_tower": "keras_lip.testing.toy_models",
    "tiny_siglip": "keras_lip.testing.toy_models",
    "tiny_batch": "keras_lip.testing.toy_models",
}


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(
        f"module 'keras_lip.testing' has no attribute {name!r}")
