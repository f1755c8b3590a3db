"""The Gram matrix of a feature map: the channel correlations that carry an image's style (Gatys et al.)."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register


@register
class GramMatrix(keras.layers.Layer):
    """Channel-by-channel inner products of a feature map, averaged over its positions.

    With the map flattened to `F` of shape (positions, channels), positions = height x width:

        G = F^T F / positions,   G[c, d] = mean over positions p of F[p, c] F[p, d]

    The positions are summed over, so G forgets where things are and keeps which features occur together:
    Gatys et al.'s style representation. Dividing by the number of positions (the paper's loss divides by its
    square later) makes maps of any size comparable; `normalize=False` gives the plain sum `F^T F`. The product
    is computed in float32 at least (a float16 sum over thousands of positions overflows) and returned in the
    layer's compute dtype.

    Args:
        normalize: bool, divide by the number of positions. Defaults to True.
        data_format: "channels_last" or "channels_first". Defaults to `keras.config.image_data_format()`.

    Input shape:
        4D tensor (batch, height, width, channels) (channels_last) or (batch, channels, height, width).

    Output shape:
        3D tensor (batch, channels, channels), symmetric.

    Example:

    >>> gram = keras_dlx.layers.GramMatrix()
    >>> tuple(gram(keras.ops.ones((2, 8, 8, 16))).shape)
    (2, 16, 16)

    Reference:
        - [Gatys et al. 2016, Image Style Transfer Using Convolutional Neural
          Networks](https://openaccess.thecvf.com/content_cvpr_2016/html/Gatys_Image_Style_Transfer_CVPR_2016_paper.html)
    """

    def __init__(self, normalize=True, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.normalize = args.boolean("normalize", normalize)
        self.data_format = args.data_format(data_format)

    def build(self, input_shape):
        args.input_rank(self, input_shape, 4, "(batch, height, width, channels)")
        args.known_channels(self, input_shape, args.channel_axis(self.data_format))
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def call(self, inputs):
        dtype = "float64" if keras.backend.standardize_dtype(inputs.dtype) == "float64" else "float32"
        x = ops.cast(inputs, dtype)
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        shape = ops.shape(x)
        positions = shape[1] * shape[2]
        features = ops.reshape(x, (shape[0], positions, shape[3]))
        gram = ops.einsum("bpc,bpd->bcd", features, features)
        if self.normalize:
            gram = gram / ops.cast(positions, dtype)
        return ops.cast(gram, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        channels = input_shape[args.channel_axis(self.data_format)]
        return (input_shape[0], channels, channels)

    def get_config(self):
        return {**super().get_config(), "normalize": self.normalize, "data_format": self.data_format}
