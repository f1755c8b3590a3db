"""Activation functions: `keras_dlx.activations.lisht`, `rrelu`, `snake` and `sparsemax` (TensorFlow Addons'
activations that Keras 3 does not have, or, for `sparsemax`, computes wrongly in 3.15; Keras 3 has `gelu`, `mish`,
`hard_shrink`, `soft_shrink` and `tanh_shrink`).

Each is registered for `.keras` saving under `keras_dlx>name`: a layer built with `activation=lisht` (the
function) saves and loads without custom objects once keras_dlx is imported. Keras 3's `keras.activations.get`
resolves strings only among Keras's own activations, so pass the function, not the string `"keras_dlx>lisht"`.
"""

from keras_dlx.activations.lisht import lisht
from keras_dlx.activations.rrelu import rrelu
from keras_dlx.activations.snake import snake
from keras_dlx.activations.sparsemax import sparsemax

__all__ = ["lisht", "rrelu", "snake", "sparsemax"]
