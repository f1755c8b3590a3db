"""LeNet-5 (LeCun et al. 1998)."""

import keras

from keras_dlx.applications import common
from keras_dlx.applications.registry import register
from keras_dlx.layers import ConvNormAct
from keras_dlx.utils import arguments as args


@register("lenet5", min_size=28)
def LeNet5(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=10,
           classifier_activation="softmax", activation="tanh", features_only=False, name="lenet5"):
    """LeNet-5: C1 6@5x5 -> S2 2x2 average pool -> C3 16@5x5 -> S4 -> F5 120 -> F6 84 -> output.

    The paper's network on its 32x32 input (61,706 parameters with 10 classes). Smaller inputs (MNIST's 28x28)
    are zero-padded to 32x32 first, as the paper centred its digits in a 32x32 field. C3 connects to all six
    S2 maps (the paper's sparse connection table is not reproduced) and S2/S4 are plain average pools.

    Args:
        activation: of the hidden layers. Defaults to `"tanh"`.
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name: as in
            keras.applications; `input_shape` defaults to `(32, 32, 1)`, `classes` to 10, `weights` is None or
            a keras_dlx weights file.
        features_only: bool, output the two pooled feature maps (strides 2 and 4; LeNet has no deeper ones).

    Reference:
        - [LeCun et al. 1998, Gradient-Based Learning Applied to Document Recognition](
          http://yann.lecun.com/exdb/publis/pdf/lecun-01a.pdf)
    """
    common.check_common(include_top, weights, pooling, classes, classifier_activation, features_only)
    args.activation("activation", activation)
    shape = common.input_shape(input_shape, 32, 28, 1, include_top and not features_only, weights)

    def backbone(x):
        rows_cols = x.shape[1:3] if keras.config.image_data_format() == "channels_last" else x.shape[2:]
        pad = [max(0, 32 - d) if d is not None else 0 for d in rows_cols]
        if any(pad):
            x = keras.layers.ZeroPadding2D(tuple((p // 2, p - p // 2) for p in pad), name="pad")(x)
        x = ConvNormAct(6, 5, padding="valid", norm=None, activation=activation, name="c1")(x)
        s2 = keras.layers.AveragePooling2D(2, name="s2")(x)
        x = ConvNormAct(16, 5, padding="valid", norm=None, activation=activation, name="c3")(s2)
        s4 = keras.layers.AveragePooling2D(2, name="s4")(x)
        return s4, {2: s2, 4: s4}

    def head(x, classes, classifier_activation):
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(120, activation=activation, name="f5")(x)
        x = keras.layers.Dense(84, activation=activation, name="f6")(x)
        return keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)

    return common.assemble(name, common.image_input(input_tensor, shape), backbone, include_top=include_top,
                           pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                           features_only=features_only, weights=weights, input_shape=shape, head=head,
                           input_tensor=input_tensor)
