"""Why ResizeConv2D exists: a 3x3 stride-2 transposed convolution draws a checkerboard, resize-conv does not.

    pip install -e ".[examples]" && python examples/checkerboard.py   # writes checkerboard.png

Odena, Dumoulin & Olah (2016): with an all-ones kernel on a constant image, each output pixel of a transposed
convolution sums as many taps as land on it, 1, 2 or 4 when the kernel size (3) is not divisible by the stride (2).
"""

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from keras_dlx import layers  # noqa: E402

x = np.ones((1, 8, 8, 1), "float32")
ones = keras.initializers.Ones()
outputs = {
    "Conv2DTranspose k=3, s=2": keras.layers.Conv2DTranspose(1, 3, strides=2, kernel_initializer=ones,
                                                             use_bias=False)(x),
    "Conv2DTranspose k=4, s=2": keras.layers.Conv2DTranspose(1, 4, strides=2, kernel_initializer=ones,
                                                             use_bias=False)(x),
    "ResizeConv2D k=3, size=2": layers.ResizeConv2D(1, 3, size=2, kernel_initializer=ones, use_bias=False)(x),
}
figure, axes = plt.subplots(1, 3, figsize=(12, 4))
for axis, (title, y) in zip(axes, outputs.items()):
    image = keras.ops.convert_to_numpy(y)[0, ..., 0]
    axis.imshow(image, cmap="viridis")
    axis.set_title(f"{title}\ninterior values {sorted(set(np.unique(image[2:-2, 2:-2]).tolist()))}")
    axis.axis("off")
figure.savefig("checkerboard.png", bbox_inches="tight")
print("wrote checkerboard.png")
