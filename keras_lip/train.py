"""Training CLI.

    python -m keras_lip.train [--config=experiments/<name>.py] [--workdir=DIR]
        [--config.batch_size=256 ...] [--helpconfig]

With no arguments it trains the built-in demo config
(`keras_lip/trainer/configs/demo.py`) in `./keras_lip_workdir`. The config
is validated before any work starts; the process then re-executes itself
once with `KERAS_BACKEND=config.backend` and the tuned glibc malloc
(`KERAS_LIP_DEFAULT_MALLOC=1` opts out). Running the same command again
resumes from the last checkpoint in the workdir.

Backend rule: `--config.backend` (or the config file) decides; when it is
not set, `KERAS_BACKEND` does, else TensorFlow. A `KERAS_BACKEND` that
disagrees with an explicit `config.backend` gets a warning.
"""

import os
import sys

from absl import app
from absl import flags
from ml_collections import config_flags

DEMO = os.path.join(os.path.dirname(__file__), "trainer", "configs",
                    "demo.py")


def _exit_on_unknown_key(argv):
    """An unknown `--config.<key>` is one clear line, not a traceback."""
    from keras_lip.trainer import config as config_lib

    path = DEMO
    for i, arg in enumerate(argv):
        if arg.startswith("--config="):
            path = arg[len("--config="):]
        elif arg == "--config" and i + 1 < len(argv):
            path = argv[i + 1]
    config = config_lib.load_config_file(path)
    key = config_lib.first_unknown_override(config, argv)
    if key is not None:
        sys.exit(f"Error: {config_lib.unknown_key(config, key)}")


try:  # ml_collections reads the --config.<key> overrides right here.
    _CONFIG = config_flags.DEFINE_config_file(
        "config", DEMO, "An ml_collections config file with get_config().",
        lock_config=True)
except (AttributeError, KeyError):
    _exit_on_unknown_key(sys.argv)
    raise
flags.DEFINE_string("workdir", "keras_lip_workdir",
                    "Checkpoints, TensorBoard logs and the SavedModel "
                    "(any tf.io.gfile path, e.g. gs://...).")
flags.DEFINE_bool("helpconfig", False,
                  "List the config's keys with their values and meanings.")
FLAGS = flags.FLAGS


def _resolve_backend(config, config_lib):
    env = os.environ.get("KERAS_BACKEND")
    explicit = config.backend
    config.backend = config_lib.backend(config)
    if explicit and env and env != explicit:
        print(f"Warning: KERAS_BACKEND={env} but config.backend="
              f"{config.backend}; running {config.backend} (the config "
              "wins; --config.backend=... changes it).", file=sys.stderr)


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
    from keras_lip.trainer import config as config_lib
    from keras_lip.trainer import malloc

    config = _CONFIG.value
    if FLAGS.helpconfig:
        print(config_lib.help_text(config))
        return
    _resolve_backend(config, config_lib)
    try:
        config = config_lib.validate(config)
    except ValueError as error:
        sys.exit(f"Error: {error}")
    malloc.reexec_with_tuned_malloc(_environment(config))
    if config.cpu_devices:
        from keras_lip.distribution import configure_cpu_devices

        configure_cpu_devices(config.cpu_devices)
    if config.jax_num_processes > 1:
        import jax

        # Cross-process collectives on CPU hosts go through gloo.
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        jax.distributed.initialize(config.jax_coordinator_address,
                                   num_processes=config.jax_num_processes,
                                   process_id=config.jax_process_id)
    from keras_lip.trainer.loop import train

    print(config, flush=True)
    train(config, FLAGS.workdir)


if __name__ == "__main__":
    app.run(main)
