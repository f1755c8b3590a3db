"""Generative-model metrics: FID, KID and the Inception Score, and their feature extractors."""

from keras_dlx.metrics.feature_extractors import (
    digit_classifier,
    digit_feature_extractor,
    inception_feature_extractor,
)
from keras_dlx.metrics.frechet_inception_distance import FrechetInceptionDistance, frechet_distance
from keras_dlx.metrics.inception_score import InceptionScore
from keras_dlx.metrics.kernel_inception_distance import KernelInceptionDistance

__all__ = [
    "FrechetInceptionDistance",
    "InceptionScore",
    "KernelInceptionDistance",
    "digit_classifier",
    "digit_feature_extractor",
    "frechet_distance",
    "inception_feature_extractor",
]
