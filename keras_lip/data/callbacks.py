"""A Keras callback that reports skipped inputs."""

import keras


class BadInputLogger(keras.callbacks.Callback):
    """Logs `counter.summary()` at the end of every epoch (and of training).

    Also puts the number of skipped examples in the epoch logs as
    `skipped_inputs`, so `History` records it.

    Args:
        counter: a `BadInputCounter`, e.g. `pipeline.stats`.
        print_fn: where the line goes besides absl logging (`print`; None
            for logging only).

    Example:

    >>> from keras_lip.data import BadInputCounter
    >>> logger = BadInputLogger(BadInputCounter())
    >>> logger.on_epoch_end(0, {})
    input pipeline: 0 examples delivered, 0 skipped
    """

    def __init__(self, counter, print_fn=print):
        super().__init__()
        self.counter = counter
        self.print_fn = print_fn

    def on_epoch_end(self, epoch, logs=None):
        line = self.counter.log_summary()
        if self.print_fn is not None:
            self.print_fn(line)
        if logs is not None:
            logs["skipped_inputs"] = self.counter.total()
