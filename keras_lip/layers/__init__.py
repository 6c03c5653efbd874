"""Layers and tensor helpers."""

from keras_lip.layers.encoder_block import EncoderBlock
from keras_lip.layers.flexi_patch_embedding import FlexiPatchEmbedding
from keras_lip.layers.l2_normalize import l2_normalize
from keras_lip.layers.map_head import MAPHead
from keras_lip.layers.mlp_block import MlpBlock
from keras_lip.layers.patch_resample import resample_patch_embedding
from keras_lip.layers.posemb_resample import resample_posemb
from keras_lip.layers.posemb_resample import resize_posemb
from keras_lip.layers.posemb_resample import split_cls_posemb
from keras_lip.layers.transformer_encoder import TransformerEncoder
