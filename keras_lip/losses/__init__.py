"""Contrastive losses: SigLIP (sigmoid) and CLIP (softmax)."""

from keras_lip.losses.contrastive_loss import ContrastiveLoss
from keras_lip.losses.sigmoid_contrastive_loss import SigmoidContrastiveLoss
from keras_lip.losses.sigmoid_contrastive_loss import sigmoid_contrastive_loss
from keras_lip.losses.softmax_contrastive_loss import SoftmaxContrastiveLoss
from keras_lip.losses.softmax_contrastive_loss import softmax_contrastive_loss
