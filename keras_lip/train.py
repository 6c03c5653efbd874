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

from keras_lip.trainer import quiet


def _asks_for_verbose(argv):
    """--verbose[=true|1] or -v/--verbosity >= 1, before flags are parsed."""
    for i, arg in enumerate(argv):
        name, has_value, value = arg.lstrip("-").partition("=")
        if name == "verbose":
            return not has_value or value.lower() in ("1", "true", "t")
        if name in ("v", "verbosity"):
            value = value if has_value else (argv[i + 1:i + 2] or ["0"])[0]
            return value.lstrip("-").isdigit() and int(value) >= 1
    return False


# Before anything imports TensorFlow (loading the config file below does).
if not _asks_for_verbose(sys.argv[1:]):
    quiet.filter_stderr()

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
flags.DEFINE_bool("verbose", False,
                  "Show TensorFlow/XLA/absl start-up logs and the full config "
                  "(also with -v 1).")
FLAGS = flags.FLAGS
# Start-up noise that says nothing about the run (cuInit on CPU machines,
# oneDNN notices, XLA thread pools, TF INFO logs): hidden unless --verbose.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR"}


def _resolve_backend(config, config_lib):
    env = os.environ.get("KERAS_BACKEND")
    explicit = config.backend
    config.backend = config_lib.backend(config)
    if explicit and env and env != explicit:
        print(f"Warning: KERAS_BACKEND={env} but config.backend="
              f"{config.backend}; running {config.backend} (the config "
              "wins; --config.backend=... changes it).", file=sys.stderr)


def _verbose():
    return FLAGS.verbose or FLAGS.verbosity >= 1


def _environment(config):
    env = {"KERAS_BACKEND": config.backend}
    if not _verbose():
        env.update({k: os.environ.get(k, v) for k, v in QUIET_ENV.items()})
    if config.cpu_devices and config.backend == "jax":
        flag = f"--xla_force_host_platform_device_count={config.cpu_devices}"
        if flag not in os.environ.get("XLA_FLAGS", ""):
            env["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " "
                                + flag).strip()
    return env


def _quiet_python_logs():
    import warnings

    from absl import logging

    logging.set_verbosity(logging.WARNING)
    # Keras warns that fit's default shuffle=True does not apply to a
    # tf.data.Dataset; keras_lip's pipelines shuffle themselves.
    warnings.filterwarnings("ignore", message=".*shuffle=True.*")
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def summary(config):
    """The config in a few lines (the whole of it: WORKDIR/config.json)."""
    m = config.model
    image, text = m.get("image"), m.get("text")
    lines = [f"keras_lip: model family {m.family!r}"
             + (f", image {image.variant} at {image.image_size} px" if image
                else "")
             + (f", text {text.variant} (L={text.max_len}, vocabulary "
                f"{text.vocab_size})" if text else ""),
             f"  data {config.data.kind!r}, batch {config.batch_size}, "
             f"{config.total_steps} steps (checkpoint every "
             f"{config.steps_per_checkpoint}), evaluations "
             f"{sorted(k for k, e in config.evals.items() if e.enabled)}",
             f"  backend {config.backend}, strategy {config.strategy!r}, "
             f"workdir {FLAGS.workdir} (full config: config.json there; "
             "--verbose prints it)"]
    return "\n".join(lines)


def main(argv):
    del argv
    from keras_lip.trainer import config as config_lib
    from keras_lip.trainer import malloc
    from keras_lip.trainer import registry

    config = _CONFIG.value
    if FLAGS.helpconfig:
        print(config_lib.help_text(config))
        return
    _resolve_backend(config, config_lib)
    try:
        config = config_lib.validate(config)
    except (config_lib.ConfigError, registry.UnknownNameError) as error:
        sys.exit(f"Error: {error}")
    quiet.restore_stderr()  # The process may be replaced right here.
    malloc.reexec_with_tuned_malloc(_environment(config))
    if not _verbose():
        quiet.filter_stderr()
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
    if not _verbose():
        _quiet_python_logs()
    from keras_lip.trainer.loop import train

    print(config if _verbose() else summary(config), flush=True)
    # A progress bar redraws with \r; a file gets one line per epoch.
    try:
        train(config, FLAGS.workdir,
              verbose=1 if sys.stdout.isatty() else 2)
    except config_lib.ConfigError as error:
        sys.exit(f"Error: {error}")


if __name__ == "__main__":
    app.run(main)
