"""Contrastive image-text models and their towers."""

from keras_lip.models.big_vision_params import load_two_tower_params
from keras_lip.models.clip import CLIP
from keras_lip.models.lit import LiT
from keras_lip.models.locking import apply_lock
from keras_lip.models.locking import lock_groups
from keras_lip.models.siglip import SigLIP
from keras_lip.models.text_encoder import TextEncoder
from keras_lip.models.tower_weights import load_tower_weights
from keras_lip.models.tower_weights import save_tower_weights
from keras_lip.models.two_tower import INPUTS
from keras_lip.models.two_tower import TwoTower
from keras_lip.models.variants import VARIANTS
from keras_lip.models.variants import decode_variant
from keras_lip.models.variants import variant_towers
from keras_lip.models.vit_encoder import ViTEncoder
