"""The trainer's config: defaults, validation before any work starts, and
help for its keys.

Experiment files (`experiments/*.py`) start from `base_config(family)` and
override fields; `validate(config)` names the bad key and value. The
config is an `ml_collections.ConfigDict`, locked, so a misspelt
`--config.batchsize=...` is rejected by the flag parser; `unknown_key`
then suggests the right key. Config files are Python and run as code:
only run configs you trust.
"""

import difflib
import importlib.util
import os

import ml_collections
from ml_collections import config_dict

from keras_lip.ops import NEGATIVES
from keras_lip.optimizers.masked_adamw import KERNELS_ONLY
from keras_lip.optimizers.schedules import DECAY_TYPES
from keras_lip.trainer import data_kinds  # noqa: F401  Registers kinds.
from keras_lip.trainer import evals as evals_lib
from keras_lip.trainer import families  # noqa: F401  Registers families.
from keras_lip.trainer import lit_family  # noqa: F401  Registers "lit".
from keras_lip.trainer import registry

BACKENDS = ("tensorflow", "jax")
STRATEGIES = ("none", "mirrored", "multi_worker", "tpu", "jax_data_parallel")

# One line per key for `--helpconfig` (model/evals sections: see
# keras_lip/trainer/families.py and evals.py).
HELP = {
    "backend": "Keras backend: tensorflow or jax (default: KERAS_BACKEND, "
               "else tensorflow).",
    "strategy": f"Distribution: {', '.join(STRATEGIES)}.",
    "tpu": "TPUClusterResolver address ('local' on a TPU VM).",
    "cpu_devices": "Split the CPU into N virtual devices (0: off).",
    "jax_coordinator_address": "host:port of JAX process 0 (multi-host).",
    "jax_num_processes": "Number of JAX processes (multi-host).",
    "jax_process_id": "This JAX process' index (multi-host).",
    "mixed_precision": "mixed_bfloat16 towers, float32 loss.",
    "deterministic": "TF op determinism (exact resume on CPU).",
    "seed": "Initialisation and data seed.",
    "batch_size": "Global batch size.",
    "total_steps": "Training steps (a multiple of steps_per_checkpoint).",
    "steps_per_checkpoint": "Steps between checkpoints (one Keras epoch).",
    "keep_checkpoints": "How many checkpoints to keep in the workdir.",
    "model.family": "Model family: "
                    f"{', '.join(sorted(registry.FAMILIES))}.",
    "model.image.variant": "ViT size/patch, e.g. B/16, So400m/14, mu/8.",
    "model.image.image_size": "Image side in pixels (input geometry).",
    "model.image.pool_type": "ViT pooling: map, gap, tok or none.",
    "model.image.posemb": "Position embedding: learn or sincos2d.",
    "model.text.variant": "Text transformer size, e.g. B, So400m, mu.",
    "model.text.vocab_size": "Token vocabulary (>= the tokenizer's).",
    "model.text.max_len": "Tokens per caption (input geometry).",
    "model.text.pool_type": "Text pooling: last, first, mean, max or map.",
    "model.*.width/depth/mlp_dim/num_heads": "Override the variant's shape.",
    "model.embed_dim": "Joint embedding width (default: image width).",
    "model.temperature_init": "Initial exp(t).",
    "model.bias_init": "Initial b (None: no bias, as CLIP).",
    "data.kind": f"Data: {', '.join(sorted(registry.DATA))}.",
    "data.tokenizer": "SentencePiece .model file (real data).",
    "data.train_files": "TFRecord glob / CSV or JSONL file for training.",
    "data.eval_files": "TFRecord glob / CSV or JSONL file for evaluation.",
    "data.tfds_name": "TFDS dataset name (data.kind=tfds).",
    "data.tfds_data_dir": "TFDS data directory.",
    "data.train_split": "TFDS training split.",
    "data.eval_split": "TFDS evaluation split.",
    "data.image_key": "Image feature/column (default: the source's).",
    "data.captions_key": "Caption feature/column (default: the source's).",
    "data.shuffle_buffer": "Shuffle buffer (examples).",
    "data.train_examples": "Training images (data.kind=demo).",
    "data.eval_examples": "Evaluation examples (data.kind=synthetic).",
    "evals.<name>": "Named evaluations: type (zero_shot, retrieval, demo), "
                    "enabled, every_n_checkpoints, and the type's keys.",
    "optimizer.lr": "Peak learning rate.",
    "optimizer.wd": "big_vision's weight decay (per step: wd × schedule).",
    "optimizer.wd_pattern": "Regex over variable paths that decay.",
    "optimizer.b2": "Adam β2.",
    "optimizer.eps": "Adam ε.",
    "optimizer.grad_clip_norm": "Global-norm clipping (None: off).",
    "optimizer.decay_type": f"Schedule: {', '.join(DECAY_TYPES)}.",
    "optimizer.warmup_steps": "Linear warm-up steps.",
    "optimizer.cooldown_steps": "Linear cool-down steps at the end.",
    "optimizer.timescale": "rsqrt schedule timescale.",
    "loss.negatives": f"Cross-device negatives: {', '.join(NEGATIVES)}.",
    "export": "Export a SavedModel to WORKDIR/saved_model at the end.",
}

# Keys of earlier releases: `--config.<old>` gets told what to write.
MOVED = {
    "model.image_variant": "model.image.variant",
    "model.text_variant": "model.text.variant",
    "model.vocab_size": "model.text.vocab_size",
    "model.image_pool": "model.image.pool_type",
    "model.text_pool": "model.text.pool_type",
    "model.width": "model.image.width and model.text.width",
    "model.depth": "model.image.depth and model.text.depth",
    "model.mlp_dim": "model.image.mlp_dim and model.text.mlp_dim",
    "model.num_heads": "model.image.num_heads and model.text.num_heads",
    "data.image_size": "model.image.image_size",
    "data.text_len": "model.text.max_len",
    "eval.kind": "evals.<name>.enabled=False (evaluations are named "
                 "entries of config.evals; the demo's is evals.demo)",
    "eval.every_n_checkpoints": "evals.<name>.every_n_checkpoints",
}


def base_config(family="siglip"):
    """Every key the trainer reads, with the tiny CPU defaults, for a
    model family (its `config.model` section)."""
    c = ml_collections.ConfigDict()
    # None: KERAS_BACKEND if set, else tensorflow (see keras_lip/train.py).
    c.backend = config_dict.placeholder(str)
    c.strategy = "none"
    c.tpu = ""
    c.cpu_devices = 0
    # JAX multi-process (jax.distributed over the coordinator's address);
    # TensorFlow multi-worker reads TF_CONFIG instead.
    c.jax_coordinator_address = ""
    c.jax_num_processes = 1
    c.jax_process_id = 0
    c.mixed_precision = False
    c.deterministic = True
    c.seed = 0
    c.batch_size = 32
    c.total_steps = 100
    c.steps_per_checkpoint = 20
    c.keep_checkpoints = 2
    c.model = registry.FAMILIES[family].model_config()
    c.model.family = family
    c.data = ml_collections.ConfigDict(dict(
        kind="synthetic", tokenizer="", train_files="", eval_files="",
        tfds_name="", tfds_data_dir="", train_split="train",
        eval_split="validation",
        image_key=config_dict.placeholder(str),
        captions_key=config_dict.placeholder(str),
        shuffle_buffer=10_000, eval_examples=256, train_examples=8192))
    c.evals = ml_collections.ConfigDict()
    c.optimizer = ml_collections.ConfigDict(dict(
        lr=1e-3, wd=1e-4, b2=0.95, eps=1e-8,
        grad_clip_norm=ml_collections.FieldReference(1.0, field_type=float),
        wd_pattern=KERNELS_ONLY, decay_type="cosine", warmup_steps=10,
        cooldown_steps=0, timescale=10_000))
    c.optimizer.update(registry.FAMILIES[family].optimizer)
    c.loss = ml_collections.ConfigDict(dict(negatives="auto"))
    c.export = True
    return c


class ConfigError(ValueError):
    """A config (or workdir) problem the user fixes: the CLI prints it as
    one line, without a traceback."""


def _require(ok, key, value, why):
    if not ok:
        raise ConfigError(f"config.{key}={value!r}: {why}")


def backend(config):
    """`config.backend`, or `KERAS_BACKEND` when unset, else tensorflow."""
    return (config.backend or os.environ.get("KERAS_BACKEND")
            or "tensorflow")


def _validate_engine(c):
    _require(backend(c) in BACKENDS, "backend", backend(c),
             f"not in {BACKENDS}")
    _require(c.strategy in STRATEGIES, "strategy", c.strategy,
             f"not in {STRATEGIES}")
    if c.strategy == "jax_data_parallel":
        _require(backend(c) == "jax", "strategy", c.strategy,
                 "needs backend='jax'")
    if c.strategy in ("mirrored", "multi_worker", "tpu"):
        _require(backend(c) == "tensorflow", "strategy", c.strategy,
                 "is a tf.distribute strategy: needs backend='tensorflow'")
    if c.jax_num_processes > 1:
        _require(backend(c) == "jax" and c.strategy == "jax_data_parallel",
                 "jax_num_processes", c.jax_num_processes,
                 "needs backend='jax' and strategy='jax_data_parallel'")
        _require(bool(c.jax_coordinator_address), "jax_coordinator_address",
                 c.jax_coordinator_address, "host:port of process 0 needed")
        _require(0 <= c.jax_process_id < c.jax_num_processes,
                 "jax_process_id", c.jax_process_id,
                 f"must be in [0, {c.jax_num_processes})")
    _require(c.cpu_devices >= 0, "cpu_devices", c.cpu_devices,
             "must be 0 (off) or a number of devices")
    if c.cpu_devices:
        _require(c.batch_size % c.cpu_devices == 0, "batch_size",
                 c.batch_size, f"must divide over cpu_devices={c.cpu_devices}")


def _validate_steps(c):
    for key in ("batch_size", "total_steps", "steps_per_checkpoint",
                "keep_checkpoints"):
        _require(c[key] > 0, key, c[key], "must be positive")
    _require(c.total_steps % c.steps_per_checkpoint == 0, "total_steps",
             c.total_steps,
             f"must be a multiple of steps_per_checkpoint "
             f"({c.steps_per_checkpoint})")


def _validate_data(c, family):
    kind = registry.data_kind(c)
    defaults = base_config(c.model.family).data
    for key, value in c.data.items():
        if key == "kind" or key in kind.keys:
            continue
        _require(value == defaults[key], f"data.{key}", value,
                 f"not used by data.kind={kind.name!r} (it reads "
                 f"{', '.join(kind.keys) or 'no other key'}); remove it")
    for key in kind.required:
        _require(bool(c.data[key]), f"data.{key}", c.data[key],
                 f"required by data.kind={kind.name!r}")
    for key in ("train_files", "eval_files", "tokenizer"):
        if key in kind.keys and c.data[key]:
            _require(_matches(c.data[key]), f"data.{key}", c.data[key],
                     "matches no file")
    missing = [name for name in family.inputs(c) if name not in kind.provides]
    _require(not missing, "data.kind", kind.name,
             f"does not provide {missing}, which model family "
             f"{family.name!r} needs")
    for key in ("shuffle_buffer", "train_examples", "eval_examples"):
        _require(c.data[key] > 0, f"data.{key}", c.data[key],
                 "must be positive")


def _matches(pattern):
    import tensorflow as tf

    return bool(tf.io.gfile.glob(pattern))


def _validate_evals(c, family):
    for name, entry in c.evals.items():
        where = f"evals.{name}"
        _require(isinstance(entry, ml_collections.ConfigDict) and
                 "type" in entry, where, entry,
                 "make entries with keras_lip.trainer.evals.section(type)")
        eval_type = registry.eval_type(entry.type)
        _require(entry.type in family.evals, f"{where}.type", entry.type,
                 f"does not apply to model family {family.name!r} "
                 f"({', '.join(family.evals)})")
        known = set(evals_lib.COMMON) | set(eval_type.defaults)
        unknown = sorted(set(entry) - known)
        _require(not unknown, where, unknown,
                 f"unknown keys for type {entry.type!r}; it takes "
                 f"{sorted(known)}")
        _require(entry.every_n_checkpoints >= 0,
                 f"{where}.every_n_checkpoints", entry.every_n_checkpoints,
                 "must be >= 0 (0: only after training)")
        for key in eval_type.required:
            _require(bool(entry[key]), f"{where}.{key}", entry[key],
                     f"required by type {entry.type!r}")
        if entry.enabled and eval_type.needs_text:
            kind = registry.data_kind(c)
            _require(kind.text is not None, f"{where}.type", entry.type,
                     f"tokenises prompts as the training captions, and "
                     f"data.kind={kind.name!r} has no tokenizer")
        if entry.enabled and eval_type.needs_eval_data:
            kind = registry.data_kind(c)
            for key in kind.eval_required:
                _require(bool(c.data[key]), f"data.{key}", c.data[key],
                         f"needed by {where} ({entry.type} on the "
                         f"{kind.name!r} evaluation data)")


def _validate_optimizer(c):
    o = c.optimizer
    _require(o.decay_type in DECAY_TYPES, "optimizer.decay_type",
             o.decay_type, f"not in {DECAY_TYPES}")
    _require(o.lr > 0, "optimizer.lr", o.lr, "must be positive")
    _require(o.wd >= 0, "optimizer.wd", o.wd, "must be >= 0")
    _require(o.grad_clip_norm is None or o.grad_clip_norm > 0,
             "optimizer.grad_clip_norm", o.grad_clip_norm,
             "must be positive, or None for no clipping")
    _require(0 <= o.warmup_steps < c.total_steps, "optimizer.warmup_steps",
             o.warmup_steps, f"must be in [0, total_steps={c.total_steps})")
    _require(0 <= o.cooldown_steps <= c.total_steps - o.warmup_steps,
             "optimizer.cooldown_steps", o.cooldown_steps,
             "must be in [0, total_steps - warmup_steps]")


def validate(config):
    """Raises ValueError naming the first invalid key; returns config."""
    c = config
    _validate_engine(c)
    _validate_steps(c)
    family = registry.family(c)
    expected = set(family.model_config()) | {"family"}
    _require(set(c.model) == expected, "model", sorted(c.model),
             f"is not a {family.name!r} model section (keys "
             f"{sorted(expected)}); start the config from "
             f"base_config({family.name!r})")
    _validate_data(c, family)
    _validate_evals(c, family)
    _validate_optimizer(c)
    _require(c.loss.negatives in family.negatives, "loss.negatives",
             c.loss.negatives,
             f"model family {family.name!r} takes {family.negatives}")
    return config


def load_config_file(path):
    """`get_config()` of a config file (argument after ':' if given)."""
    path, _, arg = str(path).partition(":")
    spec = importlib.util.spec_from_file_location("keras_lip_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(arg) if arg else module.get_config()


def first_unknown_override(config, argv):
    """The first `--config.<key>=...` in argv naming no key of config."""
    known = set(_keys(config))
    for arg in argv:
        if arg.startswith("--config."):
            key = arg[len("--config."):].split("=", 1)[0]
            if key not in known:
                return key
    return None


def _keys(config, prefix=""):
    for key, value in config.items():
        if isinstance(value, ml_collections.ConfigDict):
            yield from _keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def unknown_key(config, key):
    """The message for `--config.<key>` that the config does not have."""
    if key in MOVED:
        return (f"config.{key} no longer exists: use config.{MOVED[key]}.")
    close = difflib.get_close_matches(key, list(_keys(config)), n=3,
                                      cutoff=0.6)
    hint = f" Did you mean {', '.join('config.' + k for k in close)}?" \
        if close else ""
    return (f"config.{key} is not a key of this config.{hint} "
            "(--helpconfig lists them.)")


def help_text(config):
    """One line per key: name, current value, meaning."""
    lines = []
    for key in _keys(config):
        pattern = key
        if key.startswith("evals."):
            pattern = "evals.<name>"
        elif key.startswith("model.") and key.rsplit(".", 1)[-1] in (
                "width", "depth", "mlp_dim", "num_heads"):
            pattern = "model.*.width/depth/mlp_dim/num_heads"
        value = config
        for part in key.split("."):
            value = value[part]
        meaning = HELP.get(pattern) or registry.family(config).help.get(
            key, "")
        lines.append(f"  --config.{key}={value!r}  {meaning}".rstrip())
    return "\n".join(lines)
