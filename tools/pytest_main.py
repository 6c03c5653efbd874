"""Entry point of the Bazel test targets: devices first, then pytest."""

import sys

from keras_lip.distribution.devices import configure_cpu_devices

if __name__ == "__main__":
    configure_cpu_devices()
    import pytest

    sys.exit(pytest.main(["-q", *sys.argv[1:]]))
