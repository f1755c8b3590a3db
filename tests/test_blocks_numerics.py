"""Blocks against keras.applications (same structure, transferred weights) and parameter arithmetic."""

import keras
import numpy as np
import pytest

from keras_dlx import layers

RNG = np.random.default_rng(0)


def keras_block(model, before, after):
    """The part of a keras.applications model between two named layers, as a model."""
    return keras.Model(model.get_layer(before).output, model.get_layer(after).output)


def randomize_batch_norms(model, names):
    for name in names:
        layer = model.get_layer(name)
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = (w.shape for w in layer.weights)
            layer.set_weights([RNG.uniform(0.5, 1.5, gamma), RNG.normal(0, 0.1, beta), RNG.normal(0, 0.1, mean),
                               RNG.uniform(0.5, 1.5, var)])


def transfer(model, prefix, mapping):
    for suffix, target in mapping.items():
        target.set_weights(model.get_layer(f"{prefix}_{suffix}").get_weights())


def v1_mapping(block):
    mapping = {"1_conv": block.units[0].conv, "1_bn": block.units[0].norm_layer,
               "2_conv": block.units[1].conv, "2_bn": block.units[1].norm_layer,
               "3_conv": block.units[2].conv, "3_bn": block.units[2].norm_layer}
    if block.shortcut is not None:
        mapping.update({"0_conv": block.shortcut.conv, "0_bn": block.shortcut.norm_layer})
    return mapping


def v2_mapping(block):
    mapping = {"preact_bn": block.preact, "1_conv": block.units[0].conv, "1_bn": block.units[0].norm_layer,
               "2_conv": block.units[1].conv, "2_bn": block.units[1].norm_layer, "3_conv": block.units[2].conv}
    if block.shortcut is not None:
        mapping["0_conv"] = block.shortcut.conv
    return mapping


@pytest.mark.slow
def test_v1_bottleneck_reproduces_keras_resnet50_blocks():
    model = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(64, 64, 3))
    # conv2_block1: projection, stride 1; conv2_block2: identity; conv3_block1: projection, stride 2.
    for prefix, before, filters, strides in (("conv2_block1", "pool1_pool", 64, 1),
                                             ("conv2_block2", "conv2_block1_out", 64, 1),
                                             ("conv3_block1", "conv2_block3_out", 128, 2)):
        names = [layer.name for layer in model.layers if layer.name.startswith(prefix)]
        randomize_batch_norms(model, names)
        peer = keras_block(model, before, f"{prefix}_out")
        x = RNG.standard_normal((2,) + tuple(peer.input.shape[1:])).astype("float32")
        block = layers.ResidualBlock(filters, kind="bottleneck", version="v1", strides=strides, use_bias=True)
        block(x)
        transfer(model, prefix, v1_mapping(block))
        assert block.count_params() == peer.count_params()
        np.testing.assert_allclose(keras.ops.convert_to_numpy(block(x)), peer.predict(x, verbose=0), atol=1e-4)


@pytest.mark.slow
def test_v2_bottleneck_reproduces_keras_resnet50v2_blocks():
    model = keras.applications.ResNet50V2(weights=None, include_top=False, input_shape=(64, 64, 3))
    # conv2_block1: projection; conv2_block3: stride 2 with a max-pool shortcut (Keras puts V2's stride last).
    for prefix, before, strides in (("conv2_block1", "pool1_pool", 1), ("conv2_block3", "conv2_block2_out", 2)):
        names = [layer.name for layer in model.layers if layer.name.startswith(prefix)]
        randomize_batch_norms(model, names)
        peer = keras_block(model, before, f"{prefix}_out")
        x = RNG.standard_normal((2,) + tuple(peer.input.shape[1:])).astype("float32")
        block = layers.ResidualBlock(64, kind="bottleneck", version="v2", strides=strides)
        block(x)
        transfer(model, prefix, v2_mapping(block))
        assert block.count_params() == peer.count_params()
        np.testing.assert_allclose(keras.ops.convert_to_numpy(block(x)), peer.predict(x, verbose=0), atol=1e-4)


@pytest.mark.parametrize("kwargs, channels, expected", [
    # Bottleneck 256 -> 64 -> 256, identity shortcut: 1x1 (256*64) + 3x3 (9*64*64) + 1x1 (64*256),
    # plus 4 values per BatchNormalization channel (gamma, beta, moving mean and variance).
    (dict(filters=64), 256, 256 * 64 + 9 * 64 * 64 + 64 * 256 + 4 * (64 + 64 + 256)),
    # ResNeXt-50 32x4d conv2 block1: width 128, grouped 3x3 has 9 * (128 / 32) * 128 weights; projection.
    (dict(filters=64, groups=32, width_per_group=4), 64,
     64 * 128 + 9 * 4 * 128 + 128 * 256 + 64 * 256 + 4 * (128 + 128 + 256 + 256)),
    # Basic 64 -> 128, stride 2: 3x3 (9*64*128) + 3x3 (9*128*128) + projection 1x1 (64*128), 3 BNs of 128.
    (dict(filters=128, kind="basic", strides=2), 64, 9 * 64 * 128 + 9 * 128 * 128 + 64 * 128 + 4 * 3 * 128),
])
def test_parameter_counts_follow_the_arithmetic(kwargs, channels, expected):
    block = layers.ResidualBlock(**kwargs)
    block(np.zeros((1, 8, 8, channels), "float32"))
    assert block.count_params() == expected


def test_drop_path_drops_whole_residual_branches_in_training_only():
    x = RNG.standard_normal((64, 4, 4, 16)).astype("float32")
    block = layers.ResidualBlock(4, drop_path_rate=0.5, seed=0)
    inference = keras.ops.convert_to_numpy(block(x))
    np.testing.assert_array_equal(inference, keras.ops.convert_to_numpy(block(x)))
    trained = keras.ops.convert_to_numpy(block(x, training=True))
    identity = np.maximum(x, 0)  # v1.5: relu(shortcut + 0) when the branch is dropped
    dropped = [np.allclose(t, i) for t, i in zip(trained, identity)]
    assert 10 < sum(dropped) < 54  # about half of 64 samples


@pytest.mark.parametrize("kwargs", [dict(filters=8, kind="basic", groups=2), dict(filters=8, version="v3"),
                                    dict(filters=8, norm=None), dict(filters=8, drop_path_rate=1.0)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        layers.ResidualBlock(**kwargs)
