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
            values = [RNG.uniform(0.5, 1.5, w.shape) if w.name in ("gamma", "moving_variance")
                      else RNG.normal(0, 0.1, w.shape) for w in layer.weights]
            layer.set_weights(values)


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


def inception_params(cin, f1, f3r, f3, f5r, f5, pp):
    """Weights + biases of each branch's convolutions (no norm): the paper's arithmetic."""
    return (cin * f1 + f1) + (cin * f3r + f3r) + (9 * f3r * f3 + f3) + (cin * f5r + f5r) + (25 * f5r * f5 + f5) \
        + (cin * pp + pp)


@pytest.mark.parametrize("name, channels", [("3a", 256), ("4e", 832), ("5b", 1024)])
def test_inception_presets_have_the_papers_widths_and_parameters(name, channels):
    from keras_dlx.layers.blocks.inception_block import PRESETS

    config = PRESETS[name]
    block = layers.InceptionBlock.preset(name)
    y = block(np.zeros((1, 7, 7, config[0]), "float32"))
    assert y.shape[-1] == channels
    assert block.count_params() == inception_params(*config)


def test_inception_block_equals_plain_keras_branches():
    x = RNG.standard_normal((2, 8, 8, 12)).astype("float32")
    block = layers.InceptionBlock(4, 3, 5, 2, 3, 6)
    y = block(x)
    inputs = keras.Input((8, 8, 12))
    convs = [keras.layers.Conv2D(f, k, padding="same", activation="relu") for f, k in
             ((4, 1), (3, 1), (5, 3), (2, 1), (3, 5), (6, 1))]
    branches = [convs[0](inputs), convs[2](convs[1](inputs)), convs[4](convs[3](inputs)),
                convs[5](keras.layers.MaxPooling2D(3, strides=1, padding="same")(inputs))]
    peer = keras.Model(inputs, keras.layers.Concatenate()(branches))
    ours = [block.branches[0][0], block.branches[1][0], block.branches[1][1], block.branches[2][0],
            block.branches[2][1], block.branches[3][1]]
    for conv, unit in zip(convs, ours):
        conv.set_weights(unit.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), peer.predict(x, verbose=0), atol=1e-5)


def test_aspp_equals_plain_keras_branches():
    x = RNG.standard_normal((2, 9, 9, 5)).astype("float32")
    aspp = layers.ASPP(4, rates=(2, 3), norm=None)
    y = aspp(x)
    inputs = keras.Input((9, 9, 5))
    branch_convs = [keras.layers.Conv2D(4, 1, activation="relu")] + [
        keras.layers.Conv2D(4, 3, padding="same", dilation_rate=r, activation="relu") for r in (2, 3)]
    pool_conv = keras.layers.Conv2D(4, 1, activation="relu")
    project = keras.layers.Conv2D(4, 1, activation="relu")
    pooled = pool_conv(keras.layers.GlobalAveragePooling2D(keepdims=True)(inputs))
    upsampled = keras.layers.UpSampling2D(9)(pooled)
    peer = keras.Model(inputs, project(keras.layers.Concatenate()([c(inputs) for c in branch_convs] + [upsampled])))
    for conv, unit in zip(branch_convs + [pool_conv, project], aspp.branches + [aspp.pool_unit, aspp.project]):
        conv.set_weights(unit.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), peer.predict(x, verbose=0), atol=1e-5)


def test_inception_preset_rejects_unknown_names():
    with pytest.raises(ValueError, match="name='6a'"):
        layers.InceptionBlock.preset("6a")


def creation_index(layer):
    # Keras names unnamed layers conv2d, conv2d_1, conv2d_2, ... in creation order.
    suffix = layer.name.rsplit("_", 1)[-1]
    return int(suffix) if suffix.isdigit() else 0


@pytest.mark.slow
def test_inception_v3_blocks_reproduce_keras_inception_v3():
    model = keras.applications.InceptionV3(weights=None, include_top=False, input_shape=(139, 139, 3))
    for kind, before, after, kwargs in (("a", "mixed0", "mixed1", dict(pool_features=64)),
                                        ("b", "mixed2", "mixed3", {}),
                                        ("c", "mixed3", "mixed4", dict(channels_7x7=128)),
                                        ("d", "mixed7", "mixed8", {}),
                                        ("e", "mixed8", "mixed9", {})):
        peer = keras_block(model, before, after)
        convs = sorted((c for c in peer.layers if isinstance(c, keras.layers.Conv2D)), key=creation_index)
        norms = sorted((n for n in peer.layers if isinstance(n, keras.layers.BatchNormalization)),
                       key=creation_index)
        randomize_batch_norms(peer, [n.name for n in norms])
        x = RNG.standard_normal((2,) + tuple(peer.input.shape[1:])).astype("float32")
        block = layers.InceptionV3Block(kind, **kwargs)
        block(x)
        assert len(block.units) == len(convs) == len(norms)
        for unit, conv, norm in zip(block.units, convs, norms):
            unit.conv.set_weights(conv.get_weights())
            unit.norm_layer.set_weights(norm.get_weights())
        assert block.count_params() == peer.count_params(), kind
        np.testing.assert_allclose(keras.ops.convert_to_numpy(block(x)), peer.predict(x, verbose=0), atol=1e-4,
                                   err_msg=f"kind {kind}")
