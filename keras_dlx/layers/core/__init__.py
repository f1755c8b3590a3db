"""Core layers from TensorFlow Addons that Keras 3 does not have: Snake, Maxout, StochasticDepth, EmbeddingBag,
NoisyDense, PolynomialCrossing and Sparsemax; and
the Sampling layer of variational autoencoders."""

from keras_dlx.layers.core.embedding_bag import EmbeddingBag
from keras_dlx.layers.core.maxout import Maxout
from keras_dlx.layers.core.noisy_dense import NoisyDense
from keras_dlx.layers.core.polynomial_crossing import PolynomialCrossing
from keras_dlx.layers.core.sampling import Sampling
from keras_dlx.layers.core.snake import Snake
from keras_dlx.layers.core.sparsemax import Sparsemax
from keras_dlx.layers.core.stochastic_depth import StochasticDepth

__all__ = ["EmbeddingBag", "Maxout", "NoisyDense", "PolynomialCrossing", "Sampling", "Snake", "Sparsemax",
           "StochasticDepth"]
