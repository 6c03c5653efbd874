"""The trainer's config: defaults, and validation before any work starts.

Experiment files (`experiments/*.py`) start from `base_config()` and
override fields; `validate(config)` names the bad key and value. The
config is an `ml_collections.ConfigDict`, locked, so a misspelt
`--config.batchsize=...` is rejected by the flag parser itself.
"""

import ml_collections

BACKENDS = ("tensorflow", "jax")
STRATEGIES = ("none", "mirrored", "multi_worker", "tpu", "jax_data_parallel")
NEGATIVES = ("auto", "ring", "gather", "local")


def base_config():
    """Every key the trainer reads, with the tiny CPU demo's values."""
    c = ml_collections.ConfigDict()
    c.backend = "tensorflow"
    c.strategy = "none"
    c.tpu = ""                  # TPUClusterResolver address ("local" on a VM).
    c.cpu_devices = 0           # >0: split the CPU into N virtual devices.
    # JAX multi-process (jax.distributed over the coordinator's address);
    # TensorFlow multi-worker reads TF_CONFIG instead.
    c.jax_coordinator_address = ""
    c.jax_num_processes = 1
    c.jax_process_id = 0
    c.mixed_precision = False   # mixed_bfloat16 towers, float32 loss.
    c.deterministic = True      # TF op determinism (exact resume on CPU).
    c.seed = 0
    c.batch_size = 32
    c.total_steps = 100
    c.steps_per_checkpoint = 20  # Also the Keras "epoch" (log interval).
    c.model = ml_collections.ConfigDict(dict(
        family="siglip", image_variant="mu/8", text_variant="mu",
        vocab_size=1000, embed_dim=0, image_pool="map", text_pool="last",
        temperature_init=10.0, bias_init=-10.0,
        # >0: override the variants' shape in both towers.
        width=0, depth=0, mlp_dim=0, num_heads=0))
    c.data = ml_collections.ConfigDict(dict(
        kind="synthetic", image_size=32, text_len=16, tokenizer="",
        train_files="", eval_files="", tfds_name="", tfds_data_dir="",
        train_split="train", eval_split="validation", image_key="image",
        captions_key="captions/text", shuffle_buffer=10_000,
        eval_examples=256, train_examples=8192))
    # Evaluation callbacks ("none", "demo": zero-shot on held-out pairs and
    # retrieval), every N checkpoint intervals, plus a final evaluation.
    c.eval = ml_collections.ConfigDict(dict(kind="none",
                                            every_n_checkpoints=1))
    c.optimizer = ml_collections.ConfigDict(dict(
        lr=1e-3, wd=1e-4, b2=0.95, grad_clip_norm=1.0,
        wd_pattern=r"(^|/)kernel$", decay_type="cosine", warmup_steps=10,
        cooldown_steps=0, timescale=10_000))
    c.loss = ml_collections.ConfigDict(dict(negatives="auto"))
    c.export = True
    return c


def _require(ok, key, value, why):
    if not ok:
        raise ValueError(f"config.{key}={value!r}: {why}")


def validate(config):
    """Raises ValueError naming the first invalid key; returns config."""
    from keras_lip.training import registry

    c = config
    _require(c.backend in BACKENDS, "backend", c.backend, f"not in {BACKENDS}")
    _require(c.strategy in STRATEGIES, "strategy", c.strategy,
             f"not in {STRATEGIES}")
    if c.strategy == "jax_data_parallel":
        _require(c.backend == "jax", "strategy", c.strategy,
                 "needs backend='jax'")
    if c.strategy in ("mirrored", "multi_worker", "tpu"):
        _require(c.backend == "tensorflow", "strategy", c.strategy,
                 "is a tf.distribute strategy: needs backend='tensorflow'")
    if c.jax_num_processes > 1:
        _require(c.backend == "jax" and c.strategy == "jax_data_parallel",
                 "jax_num_processes", c.jax_num_processes,
                 "needs backend='jax' and strategy='jax_data_parallel'")
        _require(bool(c.jax_coordinator_address), "jax_coordinator_address",
                 c.jax_coordinator_address, "host:port of process 0 needed")
        _require(0 <= c.jax_process_id < c.jax_num_processes,
                 "jax_process_id", c.jax_process_id,
                 f"must be in [0, {c.jax_num_processes})")
    for key in ("batch_size", "total_steps", "steps_per_checkpoint"):
        _require(c[key] > 0, key, c[key], "must be positive")
    _require(c.total_steps % c.steps_per_checkpoint == 0, "total_steps",
             c.total_steps,
             f"must be a multiple of steps_per_checkpoint "
             f"({c.steps_per_checkpoint})")
    if c.cpu_devices:
        _require(c.batch_size % c.cpu_devices == 0, "batch_size",
                 c.batch_size, f"must divide over cpu_devices={c.cpu_devices}")
    _require(c.model.family in registry.MODELS, "model.family",
             c.model.family, f"registered families: {sorted(registry.MODELS)}")
    _require(c.data.kind in registry.DATA, "data.kind", c.data.kind,
             f"registered data kinds: {sorted(registry.DATA)}")
    _require(c.eval.kind in registry.EVALS, "eval.kind", c.eval.kind,
             f"registered evaluations: {sorted(registry.EVALS)}")
    if c.data.kind in ("tfrecord", "tfds", "csv"):
        _require(bool(c.data.tokenizer), "data.tokenizer", c.data.tokenizer,
                 "a SentencePiece .model path is required for real data")
    o = c.optimizer
    from keras_lip.training.schedules import DECAY_TYPES

    _require(o.decay_type in DECAY_TYPES, "optimizer.decay_type",
             o.decay_type, f"not in {DECAY_TYPES}")
    _require(o.lr > 0, "optimizer.lr", o.lr, "must be positive")
    _require(0 <= o.warmup_steps < c.total_steps, "optimizer.warmup_steps",
             o.warmup_steps, f"must be in [0, total_steps={c.total_steps})")
    _require(c.loss.negatives in NEGATIVES, "loss.negatives",
             c.loss.negatives, f"not in {NEGATIVES}")
    return config
