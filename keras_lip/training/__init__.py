"""Training utilities: optimizers (schedules, callbacks, CLI: issue 6)."""

from keras_lip.training.optimizers import MaskedAdamW
from keras_lip.training.optimizers import siglip_optimizer
