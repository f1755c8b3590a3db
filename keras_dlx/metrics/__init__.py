"""Stateful metrics Keras 3 lacks, with TensorFlow Addons 0.23's names and semantics: `from keras_dlx import metrics`.

Backend-neutral (`keras.ops`); every class accumulates over batches and is registered for `.keras` saving.
"""

from keras_dlx.metrics.cohen_kappa import CohenKappa
from keras_dlx.metrics.correlation import (
    KendallsTauB,
    KendallsTauC,
    PearsonsCorrelation,
    PointBiserialCorrelation,
    SpearmansRank,
)
from keras_dlx.metrics.generative import *  # noqa: F401,F403
from keras_dlx.metrics.generative import __all__ as _generative
from keras_dlx.metrics.hamming import HammingLoss, hamming_distance, hamming_loss_fn
from keras_dlx.metrics.matthews_correlation import MatthewsCorrelationCoefficient
from keras_dlx.metrics.mean_average_precision import *  # noqa: F401,F403
from keras_dlx.metrics.mean_average_precision import __all__ as _mean_average_precision
from keras_dlx.metrics.means import GeometricMean, HarmonicMean
from keras_dlx.metrics.multilabel_confusion_matrix import MultiLabelConfusionMatrix

__all__ = [
    "CohenKappa",
    "GeometricMean",
    "HammingLoss",
    "HarmonicMean",
    "KendallsTauB",
    "KendallsTauC",
    "MatthewsCorrelationCoefficient",
    "MultiLabelConfusionMatrix",
    "PearsonsCorrelation",
    "PointBiserialCorrelation",
    "SpearmansRank",
    "hamming_distance",
    "hamming_loss_fn",
    *_mean_average_precision,
    *_generative,
]
