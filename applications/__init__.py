"""Prebuilt models composed from keras_dlx layers, installed as `keras_dlx.applications`.

Empty for now: the networks (ResNet, VGG, GoogLeNet, ...) arrive with the applications issue. The folder lives at
the top of the repository and is mapped onto the `keras_dlx.applications` package by `setup.cfg`.
"""

__all__ = []
