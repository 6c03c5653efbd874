"""Virtual CPU devices: try multi-device training on one machine.

Both settings only take effect before the framework initialises: call
`configure_cpu_devices` first thing in a process (the root `conftest.py`
does it for the test suite).
"""

import os

DEFAULT_DEVICE_COUNT = 8


def configure_cpu_devices(count=DEFAULT_DEVICE_COUNT):
    """Splits the host CPU into `count` devices for JAX and for TensorFlow.

    JAX: appends `--xla_force_host_platform_device_count` to `XLA_FLAGS`
    (must run before jax is imported). TensorFlow: splits the first physical
    CPU into `count` logical devices (must run before TF initialises its
    runtime). Returns the number of TF logical CPUs that are now configured,
    or None when TensorFlow is not installed.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = (
            f"{flags} --xla_force_host_platform_device_count={count}".strip()
        )
    try:
        import tensorflow as tf
    except ImportError:
        return None
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * count
        )
    except RuntimeError:
        pass  # Already initialised: keep whatever is configured.
    return len(tf.config.get_logical_device_configuration(cpu) or [cpu])
