"""GoogLeNet (Inception v1, Szegedy et al. 2015) with its two auxiliary classifiers."""

import keras

from keras_dlx.applications import common
from keras_dlx.applications.registry import register
from keras_dlx.layers import ConvNormAct, InceptionBlock, LocalResponseNormalization
from keras_dlx.utils import arguments as args


def _auxiliary(x, classes, classifier_activation, norm, name):
    """The paper's side classifier: 5x5/3 average pool, 1x1 conv 128, FC 1024, dropout 0.7, FC classes."""
    x = keras.layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)
    x = ConvNormAct(128, 1, norm=norm, name=f"{name}_conv")(x)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    x = keras.layers.Dense(1024, activation="relu", name=f"{name}_fc")(x)
    x = keras.layers.Dropout(0.7, name=f"{name}_dropout")(x)
    return keras.layers.Dense(classes, activation=classifier_activation, name=f"{name}_predictions")(x)


@register("googlenet")
def GoogLeNet(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", aux_logits=False, norm=None, dropout=0.4, features_only=False,
              name="googlenet"):
    """GoogLeNet: a 7x7/2 and 3x3 stem, nine Inception modules (3a-5b, `InceptionBlock.preset`), global average
    pooling, dropout 0.4 and one classifier (table 1 of the paper; 5x5 branches as published).

    With `aux_logits=True` (and `include_top=True`) the model has three outputs, `[predictions,
    aux1_predictions, aux2_predictions]`: the paper's side classifiers on 4a and 4d, used only in training
    (weight their losses 0.3: `compile(loss=[l, l, l], loss_weights=[1, 0.3, 0.3])`). For inference keep the
    first output: `keras.Model(model.input, model.outputs[0])` shares every weight and drops the side heads.
    `norm=None` is the paper (biased convolutions, LRN after the stem convolutions); `norm="batch"` puts a
    BatchNormalization in every unit instead of LRN, as torchvision does.

    Args:
        aux_logits: bool. Defaults to False.
        norm: None or `"batch"`, `"group"`, `"switchable"`. Defaults to None.
        dropout: float in [0, 1) before the classifier. Defaults to 0.4.
        include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name: as in
            keras.applications; `weights` is None or a keras_dlx weights file.
        features_only: bool, output the feature maps at strides 4, 8, 16 and 32.

    Reference:
        - [Szegedy et al. 2015, Going Deeper with Convolutions](https://arxiv.org/abs/1409.4842)
    """
    common.check_common(include_top, weights, pooling, classes, classifier_activation, features_only)
    args.boolean("aux_logits", aux_logits)
    if aux_logits and (not include_top or features_only):
        args.invalid("aux_logits", aux_logits, "False unless include_top=True and features_only=False")
    args.unit_interval("dropout", dropout)
    shape = common.input_shape(input_shape, 224, 32, 3, include_top and not features_only, weights)
    axis = common.channel_axis()
    side = {}

    def backbone(x):
        def pool(x, name):
            return keras.layers.MaxPooling2D(3, strides=2, padding="same", name=name)(x)

        def lrn(x, name):
            # Caffe's bvlc_googlenet: local_size 5, alpha 1e-4 (divided by the size), beta 0.75, k 1.
            return x if norm else LocalResponseNormalization.from_caffe(5, alpha=1e-4, axis=axis, name=name)(x)

        x = ConvNormAct(64, 7, strides=2, padding="symmetric", norm=norm, name="conv1")(x)
        x = lrn(pool(x, "pool1"), "norm1")
        x = ConvNormAct(64, 1, norm=norm, name="conv2_reduce")(x)
        x = ConvNormAct(192, 3, norm=norm, name="conv2")(x)
        c2 = lrn(x, "norm2")
        x = pool(c2, "pool2")
        taps = {4: c2}
        for stage, names in ((3, ("3a", "3b")), (4, ("4a", "4b", "4c", "4d", "4e")), (5, ("5a", "5b"))):
            for block in names:
                x = InceptionBlock.preset(block, norm=norm)(x)
                if block in ("4a", "4d"):
                    side[block] = x
            taps[2 ** stage] = x
            if stage < 5:
                x = pool(x, f"pool{stage}")
        return x, taps

    def head(x, classes, classifier_activation):
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dropout(dropout, name="dropout")(x)
        main = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
        if not aux_logits:
            return main
        return [main] + [_auxiliary(side[block], classes, classifier_activation, norm, name)
                         for block, name in (("4a", "aux1"), ("4d", "aux2"))]

    return common.assemble(name, common.image_input(input_tensor, shape), backbone, include_top=include_top,
                           pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                           features_only=features_only, weights=weights, input_shape=shape, head=head,
                           input_tensor=input_tensor)
