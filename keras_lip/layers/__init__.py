"""Layers and tensor helpers."""

from keras_lip.layers.encoder_block import EncoderBlock
from keras_lip.layers.l2_normalize import l2_normalize
from keras_lip.layers.map_head import MAPHead
from keras_lip.layers.mlp_block import MlpBlock
from keras_lip.layers.moe_metrics import MoeMetrics
from keras_lip.layers.moe_mlp import MoeMlp
from keras_lip.layers.moe_router import MoeRouter
from keras_lip.layers.transformer_encoder import TransformerEncoder
