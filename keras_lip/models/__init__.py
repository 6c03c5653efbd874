"""Contrastive image-text models."""

from keras_lip.models.two_tower import TwoTower
