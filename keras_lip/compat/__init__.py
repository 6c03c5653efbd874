"""Every private Keras / TensorFlow API keras_lip relies on, in one place.

Each entry works around a missing public API or a bug, named where it is
used. They were checked against the versions in `CHECKED_AGAINST` (the
pins of requirements.txt); `missing()` lists any that a newer release
removed, and `tests/compat_test.py` fails naming them. Frameworks are
imported inside the functions, so importing this module starts nothing.
"""

CHECKED_AGAINST = {"keras": "3.15.1", "tensorflow": "2.21.0"}


def _tf_record():
    from tensorflow.python.eager import record

    return record


def _tf_trainer():
    from keras.src.backend.tensorflow import trainer

    return trainer.TensorFlowTrainer


def _collective_extended():
    from tensorflow.python.distribute import collective_all_reduce_strategy

    return collective_all_reduce_strategy.CollectiveAllReduceExtended


def _apis():
    """`{name: (owner, attribute)}` of every private API used here."""
    import keras
    import tensorflow as tf

    attention = keras.layers.MultiHeadAttention(2, 2)
    attention.build((None, 1, 4), (None, 1, 4))
    optimizer = keras.optimizers.AdamW()
    return {
        # TwoTower overrides it: Keras' TF trainer reduces a whole input
        # dict across workers to learn shapes (fails under MWMS). Only the
        # TF trainer has it; keras.Model is the JAX trainer under JAX.
        "TensorFlowTrainer._maybe_symbolic_build": (
            _tf_trainer(), "_maybe_symbolic_build"),
        "keras.Model._aggregate_additional_loss": (
            keras.Model, "_aggregate_additional_loss"),
        "keras.optimizers.Optimizer._clip_gradients": (optimizer,
                                                       "_clip_gradients"),
        "keras.optimizers.Optimizer._var_key": (optimizer, "_var_key"),
        "keras.optimizers.Optimizer._use_weight_decay": (
            optimizer, "_use_weight_decay"),
        "keras.layers.MultiHeadAttention._query_dense": (attention,
                                                         "_query_dense"),
        "keras.layers.MultiHeadAttention._key_dense": (attention,
                                                       "_key_dense"),
        "keras.layers.MultiHeadAttention._value_dense": (attention,
                                                         "_value_dense"),
        "keras.layers.MultiHeadAttention._output_dense": (attention,
                                                          "_output_dense"),
        "tensorflow.python.eager.record.could_possibly_record": (
            _tf_record(), "could_possibly_record"),
        "tf.distribute.MultiWorkerMirroredStrategy.extended."
        "_in_multi_worker_mode": (_collective_extended(),
                                  "_in_multi_worker_mode"),
        "tf.distribute.MirroredStrategy._collective_key_base": (
            tf.distribute.MirroredStrategy, "_collective_key_base"),
        "keras.layers.Layer._flatten_layers": (keras.layers.Layer,
                                               "_flatten_layers"),
        "keras.optimizers.Optimizer._trainable_variables": (
            optimizer, "_trainable_variables"),
        "keras.optimizers.Optimizer._iterations": (optimizer,
                                                   "_iterations"),
    }


def _exclusion_works():
    import keras

    optimizer = keras.optimizers.AdamW(weight_decay=0.1)
    variable = keras.Variable(1.0)
    optimizer.build([variable])
    exclude_from_weight_decay(optimizer, [var_key(optimizer, variable)])
    return not uses_weight_decay(optimizer, variable)


def missing():
    """Names of the private APIs that the installed versions lack."""
    gone = [name for name, (owner, attr) in _apis().items()
            if not hasattr(owner, attr)]
    if not gone and not _exclusion_works():
        gone.append("keras.optimizers.Optimizer._exclude_from_weight_decay")
    return sorted(gone)


def aggregate_additional_loss(model, loss):
    """`model._aggregate_additional_loss`: how Keras scales `add_loss`
    terms (per-replica under tf.distribute) inside `compute_loss`."""
    return model._aggregate_additional_loss(loss)


def clip_gradients(optimizer):
    """The optimizer's own (bound) gradient-clipping method."""
    return optimizer._clip_gradients


def replace_clip_gradients(optimizer, clip_fn):
    """Makes `optimizer` clip with `clip_fn(grads)` (instance only)."""
    optimizer._clip_gradients = clip_fn


def var_key(optimizer, variable):
    """The key Keras' optimizers use to identify `variable`."""
    return optimizer._var_key(variable)


def exclude_from_weight_decay(optimizer, keys):
    """Adds variable keys (see `var_key`) to the optimizer's decay
    exclusions. Keras only offers names/variables before `build`, and TF
    hands the decay step raw tf.Variables without paths."""
    excluded = set(getattr(optimizer, "_exclude_from_weight_decay", ()))
    excluded.update(keys)
    optimizer._exclude_from_weight_decay = excluded
    optimizer._exclude_from_weight_decay_cache = {}


def uses_weight_decay(optimizer, variable):
    """Whether `optimizer` decays `variable`."""
    return optimizer._use_weight_decay(variable)


def attention_projections(layer):
    """`{"query", "key", "value", "out"}` Dense layers of a
    `keras.layers.MultiHeadAttention` (no public accessor)."""
    return {"query": layer._query_dense, "key": layer._key_dense,
            "value": layer._value_dense, "out": layer._output_dense}


def gradient_tape_could_record():
    """False when no TF gradient tape can record (Keras' `test_step`), so
    the distributed losses skip computing gradients."""
    return _tf_record().could_possibly_record()


def in_multi_worker_mode(strategy):
    """Whether a TF strategy spans several workers."""
    return strategy.extended._in_multi_worker_mode()


def set_collective_key_base(base):
    """Several MirroredStrategies in one process reuse collective keys and
    abort each other's collectives; TF's own tests move the base too."""
    import tensorflow as tf

    tf.distribute.MirroredStrategy._collective_key_base = base


def sublayers(layer):
    """Every layer nested in `layer` (recursively, `layer` excluded):
    LiT sets `trainable=False` on the wholly locked ones, which is also
    what puts a BatchNormalization layer in inference mode."""
    return list(layer._flatten_layers(include_self=False, recursive=True))


def optimizer_slots(optimizer):
    """`(model variables, {attribute: per-variable list})` of a built Keras
    optimizer: the variables it was built for and every list of optimizer
    variables that has one entry per model variable (Adam's momentums and
    velocities, SGD's momentums, Adafactor's factors, EMA averages,
    gradient accumulators; None where a variable has no slot). Keras keeps
    them in private attributes and can only build an optimizer once, so
    LiT's `set_lock` carries them over to a rebuilt optimizer."""
    import keras

    model_vars = list(optimizer._trainable_variables)
    slots = {}
    for name, value in vars(optimizer).items():
        if name in ("_trainable_variables", "_variables") or not isinstance(
                value, list) or len(value) != len(model_vars):
            continue
        if model_vars and all(v is None or isinstance(v, keras.Variable)
                              for v in value) and any(
                                  v is not None for v in value):
            slots[name] = value
    return model_vars, slots


def optimizer_step_variable(optimizer):
    """The optimizer's raw step counter (`iterations` is derived from it
    under gradient accumulation)."""
    return optimizer._iterations
