"""The convolution family against independent NumPy references (float64), and against Keras where they overlap."""

import itertools
import warnings

import keras
import numpy as np
import pytest

from keras_dlx import layers
from tests import reference
from tests.reference import EXACT64

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape)


def run(layer, x):
    return keras.ops.convert_to_numpy(layer(x))


def set_kernel_bias(layer, x):
    layer(x)
    for v in layer.trainable_variables:
        v.assign(randn(*v.shape))


GRID_2D = list(itertools.product((1, 2, 3), (1, 2, 3), ("valid", "same"), (1, 2)))


@pytest.mark.parametrize("strides, dilation, padding, groups", GRID_2D)
def test_group_conv2d_matches_reference(strides, dilation, padding, groups):
    x = randn(2, 11, 10, 4)
    layer = layers.GroupConv2D(6, (3, 2), strides=strides, dilation_rate=dilation, padding=padding,
                               groups=groups, dtype="float64")
    set_kernel_bias(layer, x)
    expected = reference.conv(x, layer.kernel.numpy(), strides, padding, dilation, groups) + layer.bias.numpy()
    np.testing.assert_allclose(run(layer, x), expected, **EXACT64)


@pytest.mark.parametrize("rank, strides, dilation, padding", [
    (1, 2, 3, "same"), (1, 3, 2, "valid"), (1, 1, 4, "same"), (3, 2, 2, "same"), (3, (1, 2, 3), (3, 2, 1), "valid"),
])
def test_dilated_conv_1d_3d_matches_reference(rank, strides, dilation, padding):
    x = randn(2, *(9,) * rank, 3)
    cls = {1: layers.DilatedConv1D, 3: layers.DilatedConv3D}[rank]
    layer = cls(4, 2, strides=strides, dilation_rate=dilation, padding=padding, dtype="float64")
    set_kernel_bias(layer, x)
    expected = reference.conv(x, layer.kernel.numpy(), strides, padding, dilation) + layer.bias.numpy()
    np.testing.assert_allclose(run(layer, x), expected, **EXACT64)


def test_dilated_conv2d_equals_keras_conv2d_at_stride_one():
    x = randn(2, 12, 12, 3).astype("float32")
    ours = layers.DilatedConv2D(5, 3, dilation_rate=2, padding="same")
    peer = keras.layers.Conv2D(5, 3, dilation_rate=2, padding="same")
    ours(x), peer(x)
    peer.set_weights(ours.get_weights())
    np.testing.assert_allclose(run(ours, x), run(peer, x), atol=1e-5)


def test_group_conv2d_equals_keras_grouped_conv2d():
    x = randn(2, 8, 8, 8).astype("float32")
    ours = layers.GroupConv2D(8, 3, groups=4, strides=2, padding="same")
    peer = keras.layers.Conv2D(8, 3, groups=4, strides=2, padding="same")
    ours(x), peer(x)
    peer.set_weights(ours.get_weights())
    np.testing.assert_allclose(run(ours, x), run(peer, x), atol=1e-5)


def test_group_conv_shuffle_and_channel_shuffle():
    x = randn(2, 6, 6, 6)
    plain = layers.GroupConv2D(6, 3, groups=3, dtype="float64")
    shuffled = layers.GroupConv2D(6, 3, groups=3, shuffle=True, dtype="float64")
    set_kernel_bias(plain, x)
    shuffled(x)
    shuffled.set_weights(plain.get_weights())
    np.testing.assert_allclose(run(shuffled, x), reference.channel_shuffle(run(plain, x), 3), atol=1e-12)
    np.testing.assert_allclose(run(layers.ChannelShuffle(3), x), reference.channel_shuffle(x, 3))
    ramp = np.arange(6.0).reshape(1, 6)
    np.testing.assert_array_equal(run(layers.ChannelShuffle(2), ramp), [[0, 3, 1, 4, 2, 5]])
    first = layers.ChannelShuffle(2, data_format="channels_first")
    np.testing.assert_array_equal(run(first, ramp.reshape(1, 6, 1)).ravel(), [0, 3, 1, 4, 2, 5])


GRID_TRANSPOSE = [(s, d, p, g, op) for s, d, p, g, op in itertools.product(
    (1, 2, 3), (1, 2), ("valid", "same"), (1, 2), (None, 1)) if op is None or op < s]


@pytest.mark.parametrize("strides, dilation, padding, groups, output_padding", GRID_TRANSPOSE)
def test_group_conv2d_transpose_matches_reference(strides, dilation, padding, groups, output_padding):
    x = randn(2, 4, 5, 4)
    layer = layers.GroupConv2DTranspose(6, 3, strides=strides, dilation_rate=dilation, padding=padding,
                                        output_padding=output_padding, groups=groups, dtype="float64")
    set_kernel_bias(layer, x)
    expected = reference.conv_transpose(x, layer.kernel.numpy(), strides, padding, output_padding, dilation,
                                        groups) + layer.bias.numpy()
    np.testing.assert_allclose(run(layer, x), expected, **EXACT64)


@pytest.mark.parametrize("rank", [1, 3])
def test_group_conv_transpose_1d_3d_matches_reference(rank):
    x = randn(2, *(3,) * rank, 4)
    cls = {1: layers.GroupConv1DTranspose, 3: layers.GroupConv3DTranspose}[rank]
    layer = cls(4, 3, strides=2, dilation_rate=2 if rank == 1 else 1, padding="same", groups=2, dtype="float64")
    set_kernel_bias(layer, x)
    expected = reference.conv_transpose(x, layer.kernel.numpy(), 2, "same", None, 2 if rank == 1 else 1, 2)
    np.testing.assert_allclose(run(layer, x), expected + layer.bias.numpy(), **EXACT64)


@pytest.mark.parametrize("padding, output_padding", [("same", None), ("valid", None), ("same", 1), ("valid", 1)])
def test_group_conv2d_transpose_equals_keras_with_one_group(padding, output_padding):
    x = randn(2, 5, 5, 3).astype("float32")
    ours = layers.GroupConv2DTranspose(4, 3, strides=2, padding=padding, output_padding=output_padding)
    peer = keras.layers.Conv2DTranspose(4, 3, strides=2, padding=padding, output_padding=output_padding)
    ours(x), peer(x)
    peer.set_weights(ours.get_weights())
    np.testing.assert_allclose(run(ours, x), run(peer, x), atol=1e-5)


def test_depthwise_separable_plain_equals_keras_separable_conv2d():
    x = randn(2, 9, 9, 4).astype("float32")
    kwargs = dict(strides=2, padding="same", depth_multiplier=2)
    ours = layers.DepthwiseSeparableConv2D(6, 3, normalization=False, intermediate_normalization=False,
                                           intermediate_activation=None, activation=None, use_bias=True, **kwargs)
    peer = keras.layers.SeparableConv2D(6, 3, **kwargs)
    ours(x), peer(x)
    assert [w.shape for w in ours.weights] == [w.shape for w in peer.weights]
    peer.set_weights(ours.get_weights())
    np.testing.assert_allclose(run(ours, x), run(peer, x), atol=1e-5)


# relu: the BatchNormalization path exact in float64 on every backend; tanh: float32-accurate off TensorFlow.
@pytest.mark.parametrize("intermediate", ["tanh", "relu"])
@pytest.mark.parametrize("strides, dilation", [(1, 1), (2, 1), (1, 2), (2, 2), (2, 3)])
def test_depthwise_separable_mobilenet_matches_reference(strides, dilation, intermediate):
    x = randn(2, 9, 9, 3)
    layer = layers.DepthwiseSeparableConv2D(5, 3, strides=strides, dilation_rate=dilation, depth_multiplier=2,
                                            activation="relu", intermediate_activation=intermediate,
                                            dtype="float64")
    layer(x)
    for v in layer.weights:
        v.assign(RNG.uniform(0.5, 1.5, v.shape) if "variance" in v.path else randn(*v.shape))
    eps = layer.epsilon

    def bn(h, norm):
        g, b, m, var = (w.numpy() for w in norm.weights)
        return (h - m) / np.sqrt(var + eps) * g + b

    h = reference.depthwise_conv(x, layer.depthwise_kernel.numpy(), strides, "same", dilation)
    h = {"tanh": np.tanh, "relu": lambda t: np.maximum(t, 0)}[intermediate](bn(h, layer.depthwise_norm))
    y = reference.conv(h, layer.pointwise_kernel.numpy(), 1)
    expected = np.maximum(bn(y, layer.pointwise_norm), 0)
    tolerance = reference.FLOAT64 if intermediate == "tanh" else EXACT64
    np.testing.assert_allclose(run(layer, x), expected, **tolerance)


def test_flattened_conv_is_a_rank1_conv_with_effective_bias():
    x = randn(2, 9, 8, 3)
    layer = layers.FlattenedConv2D(4, (3, 2), dtype="float64")
    set_kernel_bias(layer, x)
    w = layer.stage_weights[0]
    z, v, h = w["lateral"].numpy(), w["vertical"].numpy(), w["horizontal"].numpy()
    kernel = np.einsum("co,yo,xo->yxco", z, v, h)
    b_eff = w["horizontal_bias"].numpy() + h.sum(0) * (w["vertical_bias"].numpy()
                                                       + v.sum(0) * w["lateral_bias"].numpy())
    np.testing.assert_allclose(run(layer, x), reference.conv(x, kernel, 1) + b_eff, **EXACT64)


@pytest.mark.parametrize("padding, strides", [("valid", 1), ("same", 1), ("same", 2), ("valid", (2, 1))])
def test_flattened_from_rank1_reproduces_the_full_conv(padding, strides):
    z, v, h = randn(3, 5), randn(3, 5), randn(4, 5)
    kernel = np.einsum("co,yo,xo->yxco", z, v, h)
    bias = randn(5)
    x = randn(2, 10, 9, 3)
    layer = layers.FlattenedConv2D.from_rank1(kernel, bias, padding=padding, strides=strides, dtype="float64")
    expected = reference.conv(x, kernel, strides, padding) + bias
    np.testing.assert_allclose(run(layer, x), expected, **EXACT64)
    full = keras.layers.Conv2D(5, (3, 4), strides=strides, padding=padding, dtype="float64")
    full(x)
    full.set_weights([kernel, bias])
    np.testing.assert_allclose(run(layer, x), run(full, x), **EXACT64)


def test_flattened_from_rank1_rejects_a_full_rank_kernel():
    with pytest.raises(ValueError, match="rank-1"):
        layers.FlattenedConv2D.from_rank1(randn(3, 3, 2, 2))


def test_flattened_two_stages_compose():
    x = randn(2, 10, 10, 3)
    layer = layers.FlattenedConv2D(4, 3, stages=2, dtype="float64")
    set_kernel_bias(layer, x)
    y = x
    for w in layer.stage_weights:
        z, v, h = w["lateral"].numpy(), w["vertical"].numpy(), w["horizontal"].numpy()
        b_eff = w["horizontal_bias"].numpy() + h.sum(0) * (w["vertical_bias"].numpy()
                                                           + v.sum(0) * w["lateral_bias"].numpy())
        y = reference.conv(y, np.einsum("co,yo,xo->yxco", z, v, h), 1) + b_eff
    np.testing.assert_allclose(run(layer, x), y, **(EXACT64 if keras.backend.backend() == "torch" else dict(atol=1e-9)))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_resize_conv_matches_resize_then_conv(interpolation):
    x = randn(2, 5, 4, 3).astype("float32")
    layer = layers.ResizeConv2D(4, 3, size=(2, 3), interpolation=interpolation)
    layer(x)
    upsampled = keras.layers.UpSampling2D((2, 3), interpolation=interpolation)(x)
    conv = keras.layers.Conv2D(4, 3, padding="same")
    conv(upsampled)
    conv.set_weights(layer.get_weights())
    np.testing.assert_allclose(run(layer, x), run(conv, upsampled), atol=1e-5)


def test_resize_conv_has_no_checkerboard_where_transposed_conv_does():
    x = np.ones((1, 8, 8, 1), "float32")
    ones = keras.initializers.Ones()
    resize = run(layers.ResizeConv2D(1, 3, size=2, kernel_initializer=ones, use_bias=False), x)
    interior = (slice(None), slice(2, -2), slice(2, -2))
    assert np.ptp(resize[interior]) == 0, "resize-convolution interior is not constant"
    k4 = run(keras.layers.Conv2DTranspose(1, 4, strides=2, kernel_initializer=ones, use_bias=False), x)
    assert np.ptp(k4[interior]) == 0, "k=4, s=2 (kernel divisible by stride) should be even"
    k3 = run(keras.layers.Conv2DTranspose(1, 3, strides=2, kernel_initializer=ones, use_bias=False), x)
    assert set(np.unique(k3[interior])) == {1.0, 2.0, 4.0}, "k=3, s=2 should draw a checkerboard"
    ours_k3 = run(layers.GroupConv2DTranspose(1, 3, strides=2, kernel_initializer=ones, use_bias=False), x)
    np.testing.assert_array_equal(ours_k3, k3)


def test_receptive_field_holes():
    assert layers.receptive_field_holes((2, 2, 2), 3) == [1, 3, 5, 7, 9, 11]
    assert layers.receptive_field_holes((1, 2, 5), 3) == []
    assert layers.receptive_field_holes((1, 2, 3), 3) == []
    assert layers.receptive_field_holes((2, 4, 8), 3) != []
    assert layers.receptive_field_holes((3, 3), 3) != []


def build_stack(rates, between=None):
    inputs = keras.Input((32, 32, 4))
    x = inputs
    for rate in rates:
        x = layers.DilatedConv2D(4, 3, dilation_rate=rate, padding="same")(x)
        if between:
            x = between()(x)
    return keras.Model(inputs, x)


def test_building_a_gridding_stack_has_no_side_effect():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_stack((2, 4), between=keras.layers.ReLU)
    assert not [w for w in caught if issubclass(w.category, layers.GriddingWarning)]


def test_check_gridding_reports_the_longest_gridding_stack_per_axis():
    model = build_stack((2, 2, 4), between=keras.layers.ReLU)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        findings = layers.check_gridding(model)
    last = model.layers[-2].name  # the third convolution, before its ReLU
    assert [(f.layer, f.axis, f.dilation_rates, f.kernel_sizes) for f in findings] == [
        (last, 0, (2, 2, 4), (3, 3, 3)), (last, 1, (2, 2, 4), (3, 3, 3))]
    assert findings[0].holes == layers.receptive_field_holes((2, 2, 4), 3)
    messages = [str(w.message) for w in caught if issubclass(w.category, layers.GriddingWarning)]
    assert len(messages) == 2 and "(2, 2, 4)" in messages[0] and last in messages[0]
    assert layers.check_gridding(model, warn=False) == findings


def test_hybrid_dilation_stack_does_not_grid():
    assert layers.check_gridding(build_stack((1, 2, 5), between=keras.layers.BatchNormalization)) == []


@pytest.mark.parametrize("groups", [2, 4, 8, 16, 32, 64])
def test_group_conv_with_merged_groups_matches_reference(groups):
    # 64 channels: groups of 32 and 16 run one by one, 8-, 4-, 2- and 1-channel groups are merged into
    # block-diagonal convolutions of 16 channels (see conv_ops.merge_factor).
    x = randn(1, 5, 5, 64)
    layer = layers.GroupConv2D(64, 3, groups=groups, strides=2, padding="same", dtype="float64")
    set_kernel_bias(layer, x)
    expected = reference.conv(x, layer.kernel.numpy(), 2, "same", 1, groups) + layer.bias.numpy()
    np.testing.assert_allclose(run(layer, x), expected, atol=1e-9)


@pytest.mark.parametrize("groups", [2, 8, 32])
def test_group_conv_transpose_with_merged_groups_matches_reference(groups):
    x = randn(1, 3, 3, 64)
    layer = layers.GroupConv2DTranspose(32, 3, groups=groups, strides=2, padding="same", dtype="float64")
    set_kernel_bias(layer, x)
    expected = reference.conv_transpose(x, layer.kernel.numpy(), 2, "same", None, 1, groups) + layer.bias.numpy()
    np.testing.assert_allclose(run(layer, x), expected, atol=1e-9)


def test_merge_factor():
    from keras_dlx.layers.convolution.conv_ops import merge_factor

    assert [merge_factor(g, 64 // g) for g in (1, 2, 4, 8, 16, 64)] == [1, 1, 1, 2, 4, 16]
    assert merge_factor(3, 2) == 3  # 6 channels in all: one block-diagonal convolution


def test_gridding_stack_stops_at_strides_and_upsampling():
    inputs = keras.Input((32, 32, 4))
    x = layers.DilatedConv2D(4, 3, dilation_rate=2, padding="same")(inputs)
    # Without the break at upsampling, rates (2, 2, 2) would be reported as gridding.
    x = layers.ResizeConv2D(4, 3, size=2, dilation_rate=2)(x)
    x = layers.DilatedConv2D(4, 3, dilation_rate=2, padding="same")(x)
    # Without the break at strides, kernel sizes (3, 3, 3, 1, 3) with even rates would be reported.
    x = keras.layers.Conv2D(4, 1, strides=2)(x)
    x = layers.DilatedConv2D(4, 3, dilation_rate=2, padding="same")(x)
    assert layers.check_gridding(keras.Model(inputs, x)) == []


def test_check_gridding_follows_keras_convolutions_and_sequential_models():
    model = keras.Sequential([keras.Input((16, 16, 2)), keras.layers.Conv2D(2, 3, dilation_rate=3, padding="same"),
                              keras.layers.BatchNormalization(), layers.DilatedConv2D(2, 3, dilation_rate=3,
                                                                                      padding="same")])
    assert [f.dilation_rates for f in layers.check_gridding(model, warn=False)] == [(3, 3), (3, 3)]


@pytest.mark.tensorflow_only  # the static-size errors belong to the TensorFlow rewrite; JAX's kernel needs none
def test_dynamic_spatial_sizes():
    # Undilated layers accept unknown height and width; the dilated transposed convolution (an exact rewrite on
    # TensorFlow) and bilinear ResizeConv2D need them and say so.
    inputs = keras.Input((None, None, 4))
    for layer in (layers.GroupConv2D(4, 3, groups=2, strides=2, dilation_rate=2, padding="same"),
                  layers.GroupConv2DTranspose(4, 3, strides=2, groups=2, padding="same"),
                  layers.DepthwiseSeparableConv2D(4, 3, strides=2, dilation_rate=2),
                  layers.FlattenedConv2D(4, 3, stages=2, padding="same"), layers.ResizeConv2D(4, 3)):
        model = keras.Model(inputs, layer(inputs))
        assert model.predict(randn(1, 9, 7, 4), verbose=0).shape[-1] == 4
    for layer in (layers.GroupConv2DTranspose(4, 3, strides=2, dilation_rate=2),
                  layers.ResizeConv2D(4, 3, interpolation="bilinear")):
        with pytest.raises(ValueError, match="static"):
            layer(inputs)
