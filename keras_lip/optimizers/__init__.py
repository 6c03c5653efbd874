"""Optimizers and learning-rate schedules: big_vision's kernel-only decay
AdamW, the SigLIP and CLIP recipes, warm-up + decay schedules, and global
gradient clipping under tf.distribute."""

from keras_lip.optimizers.carry_over import carry_over
from keras_lip.optimizers.global_clipping import clip_global_gradients
from keras_lip.optimizers.masked_adamw import KERNELS_ONLY
from keras_lip.optimizers.masked_adamw import MaskedAdamW
from keras_lip.optimizers.recipes import clip_optimizer
from keras_lip.optimizers.recipes import lit_optimizer
from keras_lip.optimizers.recipes import lit_warmup_steps
from keras_lip.optimizers.recipes import siglip_optimizer
from keras_lip.optimizers.schedules import DECAY_TYPES
from keras_lip.optimizers.schedules import WarmupDecaySchedule
