"""keras_dlx: deep-learning layers, applications and distributed training for Keras 3."""

__version__ = "0.1.0"

# Importing the namespaces registers every layer, activation, loss, metric, optimizer, schedule, callback and
# training wrapper for `.keras` loading: `import keras_dlx` is enough before `keras.saving.load_model`.
from keras_dlx import activations, applications, callbacks, layers, losses, metrics, ops, optimizers  # noqa: F401
