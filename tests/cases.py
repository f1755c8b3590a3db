"""One entry per layer configuration that the layer contract checks. A new layer adds entries here."""

import keras

from keras_dlx import layers
from tests import (
                   cases_anchors,
                   cases_core,
                   cases_generative,
                   cases_nms,
                   cases_pooling,
                   cases_roi,
                   cases_sequence,
                   cases_spectral,
                   cases_ssd,
)
from tests.contract_case import case

CONVOLUTION = [
    case(layers.DilatedConv1D, dict(filters=4, kernel_size=3, padding="same"), (2, 9, 3), "dilated1d-same"),
    case(layers.DilatedConv2D, dict(filters=4, kernel_size=3, strides=2, dilation_rate=2, padding="same"),
         (2, 9, 9, 3), "dilated2d-s2-d2-same"),
    case(layers.DilatedConv2D, dict(filters=4, kernel_size=3, strides=2, dilation_rate=3), (2, 11, 11, 3),
         "dilated2d-s2-d3-valid"),
    case(layers.DilatedConv3D, dict(filters=2, kernel_size=2, strides=2, dilation_rate=2, padding="same"),
         (2, 5, 5, 5, 2), "dilated3d-s2-d2"),
    case(layers.GroupConv1D, dict(filters=6, kernel_size=3, groups=3, strides=2), (2, 9, 6), "group1d-s2"),
    case(layers.GroupConv2D, dict(filters=8, kernel_size=3, groups=4, shuffle=True, strides=2, dilation_rate=2,
                                  padding="same", activation="tanh"), (2, 9, 9, 8), "group2d-shuffle-s2-d2"),
    case(layers.GroupConv3D, dict(filters=4, kernel_size=2, groups=2), (2, 4, 4, 4, 4), "group3d"),
    case(layers.ChannelShuffle, dict(groups=3), (2, 4, 4, 6), "channel-shuffle"),
    case(layers.GroupConv1DTranspose, dict(filters=4, kernel_size=3, strides=2, groups=2, padding="same"),
         (2, 5, 4), "group1d-transpose-same"),
    case(layers.GroupConv2DTranspose, dict(filters=8, kernel_size=3, strides=2, groups=2, output_padding=1),
         (2, 4, 4, 4), "group2d-transpose-outpad"),
    case(layers.GroupConv2DTranspose, dict(filters=4, kernel_size=3, strides=2, groups=2, dilation_rate=2,
                                           padding="same"), (2, 4, 4, 4), "group2d-transpose-dilated"),
    case(layers.GroupConv3DTranspose, dict(filters=4, kernel_size=2, strides=2, groups=2), (2, 3, 3, 3, 4),
         "group3d-transpose"),
    case(layers.DepthwiseSeparableConv2D, dict(filters=8, kernel_size=3, strides=2, depth_multiplier=2),
         (2, 8, 8, 4), "separable-mobilenet"),
    case(layers.DepthwiseSeparableConv2D, dict(filters=8, kernel_size=3, normalization=False,
                                               intermediate_normalization=False, intermediate_activation=None,
                                               activation=None, use_bias=True), (2, 8, 8, 4), "separable-plain"),
    case(layers.FlattenedConv2D, dict(filters=6, kernel_size=3, stages=2, padding="same"), (2, 7, 7, 4),
         "flattened-l2-same"),
    case(layers.FlattenedConv2D, dict(filters=6, kernel_size=(3, 5), strides=2), (2, 9, 9, 4),
         "flattened-l1-s2"),
    case(layers.ResizeConv2D, dict(filters=4, kernel_size=3, size=2), (2, 5, 5, 3), "resize-nearest"),
    case(layers.ResizeConv2D, dict(filters=4, kernel_size=3, size=(2, 3), interpolation="bilinear"),
         (2, 4, 4, 3), "resize-bilinear"),
]

NORMALIZATION = [
    case(layers.GroupNormalization, dict(groups=4), (2, 5, 5, 8), "group-norm", normalization=True),
    case(layers.GroupNormalization, dict(groups=2, axis=1, epsilon=1e-5), (2, 4, 3, 5), "group-norm-axis1",
         normalization=True),
    case(layers.GroupNormalization, dict(groups=3), (4, 6), "group-norm-2d-input", normalization=True),
    case(layers.InstanceNormalization, dict(), (2, 6, 3), "instance-norm-3d", normalization=True),
    case(layers.InstanceNormalization, dict(center=False), (2, 5, 5, 3), "instance-norm-4d",
         normalization=True),
    case(layers.InstanceNormalization, dict(axis=1), (2, 2, 3, 3, 3), "instance-norm-5d-axis1",
         normalization=True),
    case(layers.LocalResponseNormalization, dict(), (2, 5, 5, 12), "lrn-alexnet", normalization=True),
    case(layers.LocalResponseNormalization, dict(depth=3, alpha=0.1, beta=0.6, axis=1), (2, 6, 4, 4),
         "lrn-axis1", normalization=True),
    case(layers.LocalResponseNormalization, dict(depth=3, alpha=0.05, mode="within_channel"), (2, 6, 6, 3),
         "lrn-within-channel", normalization=True),
    case(layers.SwitchableNormalization, dict(), (4, 5, 5, 6), "switchable-norm", normalization=True,
         gradient_training=True),
    case(layers.SwitchableNormalization, dict(axis=1, moving_average=False), (4, 3, 4, 4),
         "switchable-norm-axis1-batch-average", normalization=True),
    case(layers.SwitchableNormalization, dict(use_batch_stats=False), (1, 6, 6, 4),
         "switchable-norm-no-bn-batch1", normalization=True),
    case(layers.SwitchableNormalization, dict(unbiased_variance=False), (6, 5), "switchable-norm-2d-input",
         normalization=True, gradient_training=True),
    # tau = -0.5 clips about a third of the unit-scale outputs, so every weight (tau included) gets gradient.
    case(layers.FilterResponseNormalization, dict(), (2, 5, 5, 4), "filter-response-norm-addons-default",
         normalization=True),
    case(layers.FilterResponseNormalization, dict(use_tlu=True, tau_initializer=keras.initializers.Constant(-0.5)),
         (2, 5, 5, 4), "filter-response-norm-tlu", normalization=True),
    case(layers.FilterResponseNormalization, dict(axis=1, use_tlu=False, learned_epsilon=True), (2, 3, 4, 4, 2),
         "filter-response-norm-5d-axis1-learned-eps", normalization=True),
    # tau = -0.5 and alpha = 0.5: part of the outputs take each branch of the max, so both weights get gradient.
    case(layers.TLU, dict(), (2, 3, 4), "tlu-addons-default"),
    case(layers.TLU, dict(affine=True, shared_axes=[1, 2], tau_initializer=keras.initializers.Constant(-0.5),
                          alpha_initializer=keras.initializers.Constant(0.5)), (2, 4, 4, 3), "tlu-affine-shared"),
    # Wrappers get a function that builds fresh arguments: every contract check needs its own inner layer.
    case(layers.WeightNormalization, lambda: dict(layer=keras.layers.Dense(4, activation="tanh")), (3, 5),
         "weight-norm-dense"),
    # Gradients in inference mode: a training call would redo the one-time data-dependent initialization.
    # No fit check on JAX: its trainer drops what a step assigns to trainable weights, so the initialization of
    # g inside fit is lost there and g (whose gradient through it is zero) stays put; see the layer's docstring.
    case(layers.WeightNormalization, lambda: dict(layer=keras.layers.Conv2D(4, 3), data_init=True),
         (3, 6, 6, 2), "weight-norm-conv2d-data-init", skip=("fit",) if keras.backend.backend() == "jax" else ()),
    case(layers.WeightNormalization, lambda: dict(layer=layers.GroupConv2DTranspose(4, 3, strides=2, groups=2)),
         (2, 4, 4, 4), "weight-norm-group-conv-transpose"),
]

RECURRENT = [
    case(layers.PeepholeLSTM, dict(units=4), (2, 5, 3), "peephole-lstm"),
    case(layers.PeepholeLSTM, dict(units=3, return_sequences=True, go_backwards=True, dropout=0.1,
                                   recurrent_dropout=0.1), (2, 4, 3), "peephole-lstm-sequences-dropout"),
    case(layers.CoupledLSTM, dict(units=4, use_peepholes=True, return_sequences=True), (2, 5, 3),
         "coupled-lstm-peepholes"),
    case(layers.CoupledLSTM, dict(units=4), (2, 5, 3), "coupled-lstm"),
    case(layers.LayerNormLSTM, dict(units=4), (2, 5, 3), "layer-norm-lstm"),
    # The cells on their own, in Keras's RNN. Gradients are checked through the layers above (the same cell code):
    # keras.layers.RNN does not hand its float64 dtype to a cell made outside it.
    case(keras.layers.RNN, lambda: dict(cell=layers.PeepholeLSTMCell(3)), (2, 4, 3), "peephole-cell-in-rnn",
         skip=("gradients",)),
    case(keras.layers.RNN, lambda: dict(cell=layers.CoupledLSTMCell(3)), (2, 4, 3), "coupled-cell-in-rnn",
         skip=("gradients",)),
    case(keras.layers.RNN, lambda: dict(cell=layers.LayerNormLSTMCell(3)), (2, 4, 3), "layer-norm-cell-in-rnn",
         skip=("gradients",)),
    # Keras's and Addons' compatibility arguments (documented no-ops) must not break anything.
    case(layers.PeepholeLSTM, dict(units=3, implementation=1, use_cudnn=False), (2, 4, 3),
         "peephole-lstm-keras-compat-args"),
]

ATTENTION = [
    # The contract calls layers with one input: `mha(x)` is self-attention (fused QKV path).
    case(layers.MultiHeadAttention, dict(num_heads=2, key_dim=3), (2, 5, 6), "mha-self"),
    case(layers.MultiHeadAttention, dict(num_heads=3, key_dim=2, value_dim=4, output_shape=5, use_bias=False),
         (2, 4, 6), "mha-value-dim-output-shape"),
    case(layers.MultiHeadAttention, dict(num_heads=2, key_dim=2, attention_axes=(2,)), (2, 3, 4, 5),
         "mha-4d-attention-axes"),
    case(layers.TransformerEncoderBlock, dict(num_heads=2, mlp_dim=8), (2, 5, 6), "transformer-pre-norm"),
    case(layers.TransformerEncoderBlock, dict(num_heads=3, mlp_dim=4, key_dim=2, norm_first=False,
                                              activation="tanh"), (2, 4, 6), "transformer-post-norm"),
    case(layers.SpatialSelfAttention2D, dict(num_heads=2), (2, 3, 4, 6), "spatial-attention-sinusoidal"),
    case(layers.SpatialSelfAttention2D, dict(num_heads=2, position_encoding="learned"), (2, 3, 3, 4),
         "spatial-attention-learned"),
]

BLOCKS = [
    case(layers.ConvNormAct, dict(filters=6, kernel_size=3, strides=2, padding="symmetric"), (2, 7, 7, 4),
         "conv-norm-act-symmetric"),
    # Not checked at normalization magnitudes: its convolution overflows float16 first, as Keras's Conv2D does.
    case(layers.ConvNormAct, dict(filters=8, kernel_size=3, groups=2, norm="group", norm_groups=4,
                                  activation="tanh"), (2, 5, 5, 4), "conv-norm-act-group-norm"),
    case(layers.ResidualBlock, dict(filters=4, version="v1", strides=2), (2, 6, 6, 8), "residual-v1-bottleneck"),
    # Input channels = filters: the shortcut and the last 1x1 convolution have the same kernel shape.
    case(layers.ResidualBlock, dict(filters=4, version="v1"), (2, 5, 5, 4), "residual-v1-shortcut-like-last-conv"),
    case(layers.ResidualBlock, dict(filters=4, groups=2, width_per_group=32, norm="switchable"), (2, 5, 5, 16),
         "residual-v15-resnext-switchable"),
    case(layers.ResidualBlock, dict(filters=6, kind="basic", version="v2", strides=2), (2, 6, 6, 4),
         "residual-v2-basic"),
    case(layers.InceptionBlock, dict(filters_1x1=2, filters_3x3_reduce=2, filters_3x3=3, filters_5x5_reduce=1,
                                     filters_5x5=2, filters_pool_proj=2, activation="tanh"), (2, 6, 6, 3),
         "inception-v1"),
    case(layers.InceptionBlock, dict(filters_1x1=2, filters_3x3_reduce=2, filters_3x3=3, filters_5x5_reduce=1,
                                     filters_5x5=2, filters_pool_proj=2, norm="batch"), (2, 6, 6, 3),
         "inception-v1-batch-norm"),
    case(layers.ASPP, dict(filters=4, rates=(2, 3)), (2, 7, 7, 3), "aspp"),
    case(layers.InceptionV3Block, dict(kind="a", pool_features=4), (2, 5, 5, 3), "inception-v3-a"),
    case(layers.InceptionV3Block, dict(kind="e"), (2, 3, 3, 2), "inception-v3-e"),
]

# The TensorFlow Addons families each keep their table in their own file (tests/cases_<family>.py).
ALL = ATTENTION + BLOCKS + CONVOLUTION + NORMALIZATION + RECURRENT + cases_core.CASES + cases_pooling.CASES + \
    cases_sequence.CASES + cases_nms.CASES + cases_roi.CASES + cases_anchors.CASES + cases_ssd.CASES + \
    cases_generative.CASES + cases_spectral.CASES
