"""A fresh optimizer for a changed variable list that keeps the old state."""

from keras_lip import compat


def carry_over(optimizer):
    """A new optimizer like `optimizer` that, once built, continues its state.

    Keras builds an optimizer once, for one list of variables; training
    more (or fewer) variables needs a new one. The copy has the same
    config; when it is built (by the next `fit`, inside whatever
    distribution scope that runs in) it takes over the old step count and,
    for every variable both lists share, every per-variable slot (Adam's
    moments, SGD's momentum, ...). Variables new to it start from zeros,
    as they would have in the old optimizer. Used by `LiT.set_lock` to
    unlock layers in the middle of training.

    Args:
        optimizer: a Keras optimizer (built or not).

    Returns:
        The new, unbuilt optimizer.

    Example:

    >>> import keras, numpy as np
    >>> a, b = keras.Variable(np.ones(2)), keras.Variable(np.ones(3))
    >>> old = keras.optimizers.Adam(0.1)
    >>> old.apply([np.ones(2)], [a])
    >>> new = carry_over(old)
    >>> new.build([a, b])
    >>> int(new.iterations), np.allclose(new._momentums[0], old._momentums[0])
    (1, True)
    >>> float(np.abs(new._momentums[1]).sum())
    0.0
    """
    new = optimizer.__class__.from_config(optimizer.get_config())
    if not optimizer.built:
        return new
    old_vars, old_slots = compat.optimizer_slots(optimizer)
    index = {id(v): i for i, v in enumerate(old_vars)}
    step = compat.optimizer_step_variable(optimizer)
    build = new.build

    def build_and_restore(var_list):
        build(var_list)
        compat.optimizer_step_variable(new).assign(step)
        new_vars, new_slots = compat.optimizer_slots(new)
        for name, slots in new_slots.items():
            for j, variable in enumerate(new_vars):
                i = index.get(id(variable))
                old = None if i is None else old_slots.get(name, {i: None})[i]
                if (old is not None and slots[j] is not None
                        and tuple(old.shape) == tuple(slots[j].shape)):
                    slots[j].assign(old)

    new.build = build_and_restore
    return new
