"""Runs before any test imports a framework: 8 virtual CPU devices for both
JAX (XLA_FLAGS) and TensorFlow (logical devices)."""

from keras_lip.distribution.devices import configure_cpu_devices

configure_cpu_devices()
