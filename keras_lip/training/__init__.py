"""Training utilities: SigLIP optimizer, malloc settings for XLA."""

from keras_lip.training.optimizers import MaskedAdamW
from keras_lip.training.optimizers import siglip_optimizer
from keras_lip.training.schedules import WarmupDecaySchedule
