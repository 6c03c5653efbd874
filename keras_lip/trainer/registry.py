"""What the trainer can build, by config name: model families, data kinds
and evaluation types.

A family (SigLIP, CLIP, and LiT, CLIPPO, ... later) registers everything
the trainer needs in one `Family`; `loop.py` names no family, loss or
optimizer. Data kinds and evaluations plug in the same way:

    registry.register_family(registry.Family(name="lit", ...))
    registry.register_data(registry.DataKind(name="webdataset", ...))

Builders take the whole (validated) config. Their modules import the
library lazily, so that validating a config starts no framework.
"""

import dataclasses
from typing import Callable

FAMILIES = {}
DATA = {}
EVALS = {}


@dataclasses.dataclass(frozen=True)
class Family:
    """A model family as the trainer sees it.

    Attributes:
        name: `config.model.family`.
        model_config: `() -> ConfigDict`, the family's `config.model`
            section with its defaults (without `family`).
        build: `config -> keras.Model`, uncompiled, built from the
            `config.model` section (input geometry included).
        compile_args: `config -> dict(optimizer=..., loss=...)`, the
            family's compile defaults given the config's optimizer section.
        inputs: `config -> {input name: shape without batch}`: what each
            batch must hold (the data kind is checked against the names
            and builds to the shapes).
        evals: evaluation types that apply to the family.
        negatives: the `config.loss.negatives` modes its loss accepts.
        optimizer: the family's `config.optimizer` defaults (overriding
            `base_config`'s, which are SigLIP's).
        help: `--helpconfig` lines for its `config.model` keys
            (`"model.image.init": "..."`).
    """

    name: str
    model_config: Callable
    build: Callable
    compile_args: Callable
    inputs: Callable
    evals: tuple = ()
    negatives: tuple = ()
    optimizer: dict = dataclasses.field(default_factory=dict)
    help: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class DataKind:
    """A data source as the trainer sees it.

    Attributes:
        name: `config.data.kind`.
        build: `(config, inputs, training, input_context=None) ->
            tf.data.Dataset` of dict batches with the `inputs` (name →
            shape) the family asked for (training: repeated, global batch
            `config.batch_size`; evaluation: finite, all captions).
        provides: input names it can produce.
        keys: the `config.data` keys it reads; any other key changed from
            its default is an error (it would be silently unused).
        required: keys that must be set (non-empty).
        eval_required: keys that must be set for evaluation data
            (`training=False`).
        text: `(config, inputs) -> (tokenizer, data.TextPreprocessing)`
            for kinds that tokenise captions (zero-shot prompts are
            tokenised the same way), else None.
        source: `(config, training) -> source` of `{"image": bytes,
            "captions": [N]}` examples (`keras_lip.data` sources), for
            kinds that have one (the run's PNG plots show some).
    """

    name: str
    build: Callable
    text: Callable = None
    source: Callable = None
    provides: tuple = ("images", "token_ids")
    keys: tuple = ()
    required: tuple = ()
    eval_required: tuple = ()


@dataclasses.dataclass(frozen=True)
class EvalType:
    """An evaluation: `build(config, name, section) -> (callbacks,
    final_fn)`; `final_fn(model)` returns printable result lines.
    `defaults` is the `config.evals.<name>` section it takes (besides
    `type` and `every_n_checkpoints`); `required` must be non-empty;
    `needs_eval_data`: it reads the data kind's evaluation split;
    `needs_text`: it tokenises texts as the data kind does."""

    name: str
    build: Callable
    defaults: dict = dataclasses.field(default_factory=dict)
    required: tuple = ()
    needs_eval_data: bool = False
    needs_text: bool = False


def _register(table, item):
    table[item.name] = item
    return item


def register_family(family):
    """Adds a `Family`; returns it."""
    return _register(FAMILIES, family)


def register_data(kind):
    """Adds a `DataKind`; returns it."""
    return _register(DATA, kind)


def register_eval(eval_type):
    """Adds an `EvalType`; returns it."""
    return _register(EVALS, eval_type)


class UnknownNameError(ValueError):
    """A config names a family, data kind or evaluation type that is not
    registered."""


def _lookup(table, name, key):
    if name not in table:
        raise UnknownNameError(f"config.{key}={name!r}: registered: "
                         f"{sorted(table)}")
    return table[name]


def family(config):
    """The `Family` of `config.model.family`."""
    return _lookup(FAMILIES, config.model.family, "model.family")


def data_kind(config):
    """The `DataKind` of `config.data.kind`."""
    return _lookup(DATA, config.data.kind, "data.kind")


def eval_type(name):
    """The `EvalType` registered as `name`."""
    return _lookup(EVALS, name, "evals.<name>.type")


def build_data(config, training, input_context=None):
    """The data kind's dataset for the family's inputs."""
    return data_kind(config).build(config, family(config).inputs(config),
                                   training, input_context)
