"""Training CLI.

    python -m keras_lip.train [--config=experiments/<name>.py] [--workdir=DIR]
        [--config.batch_size=256 ...]

With no arguments it trains the built-in demo config
(`keras_lip/configs/demo.py`) in `./keras_lip_workdir`. The config is
validated before any work starts; the process then re-executes itself
once with `KERAS_BACKEND=config.backend` and the tuned glibc malloc
(`KERAS_LIP_DEFAULT_MALLOC=1` opts out). Running the same command again
resumes from the last checkpoint in the workdir.
"""

import os

from absl import app
from absl import flags
from ml_collections import config_flags

DEMO = os.path.join(os.path.dirname(__file__), "configs", "demo.py")
_CONFIG = config_flags.DEFINE_config_file(
    "config", DEMO, "An ml_collections config file with get_config().",
    lock_config=True)
flags.DEFINE_string("workdir", "keras_lip_workdir",
                    "Checkpoints, TensorBoard logs and the SavedModel.")
FLAGS = flags.FLAGS


def _environment(config):
    env = {"KERAS_BACKEND": config.backend}
    if config.cpu_devices and config.backend == "jax":
        flag = f"--xla_force_host_platform_device_count={config.cpu_devices}"
        if flag not in os.environ.get("XLA_FLAGS", ""):
            env["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " "
                                + flag).strip()
    return env


def main(argv):
    del argv
    from keras_lip.training import config as config_lib
    from keras_lip.training import malloc

    config = config_lib.validate(_CONFIG.value)
    malloc.reexec_with_tuned_malloc(_environment(config))
    if config.cpu_devices:
        from keras_lip.testing.devices import configure_cpu_devices

        configure_cpu_devices(config.cpu_devices)
    if config.jax_num_processes > 1:
        import jax

        # Cross-process collectives on CPU hosts go through gloo.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(config.jax_coordinator_address,
                                   num_processes=config.jax_num_processes,
                                   process_id=config.jax_process_id)
    from keras_lip.training.loop import train

    print(config, flush=True)
    os.makedirs(FLAGS.workdir, exist_ok=True)
    train(config, FLAGS.workdir)


if __name__ == "__main__":
    app.run(main)
