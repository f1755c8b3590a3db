"""SwitchableNormalization against a NumPy transcription of the official formulas, its one-hot reductions to
Instance/Layer/Batch normalization, its running statistics, and its behaviour under MirroredStrategy."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_dlx import layers

RNG = np.random.default_rng(0)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def randn(*shape, scale=1.0, shift=0.0):
    return RNG.standard_normal(shape) * scale + shift


def run(layer, x, **kwargs):
    return keras.ops.convert_to_numpy(layer(x, **kwargs))


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def sn_reference(x, mean_w, var_w, gamma, beta, eps, running=None, unbiased=True, use_bn=True):
    """The official switchable_norm.py (NCHW viewed as (N, C, HW)), transcribed for channels-last NumPy."""
    n, c = x.shape[0], x.shape[-1]
    v = x.reshape(n, -1, c)
    m = v.shape[1]
    mean_in = v.mean(1, keepdims=True)
    var_in = v.var(1, ddof=1 if unbiased else 0, keepdims=True)
    temp = var_in + mean_in ** 2
    mean_ln = mean_in.mean(2, keepdims=True)
    var_ln = temp.mean(2, keepdims=True) - mean_ln ** 2
    means, variances = [mean_in, mean_ln], [var_in, var_ln]
    if use_bn:
        if running is None:
            mean_bn = mean_in.mean(0, keepdims=True)
            var_bn = temp.mean(0, keepdims=True) - mean_bn ** 2
        else:
            mean_bn, var_bn = running
        means.append(mean_bn)
        variances.append(var_bn)
    mw, vw = softmax(mean_w), softmax(var_w)
    mean = sum(w * s for w, s in zip(mw, means))
    var = sum(w * s for w, s in zip(vw, variances))
    y = (v - mean) / np.sqrt(var + eps)
    assert m > 1
    return y.reshape(x.shape) * gamma + beta, (means[-1], variances[-1])


def randomize(layer):
    for w in layer.trainable_weights:
        w.assign(randn(*w.shape))


@pytest.mark.parametrize("use_bn, unbiased", [(True, True), (False, True), (True, False)])
def test_matches_official_formulas_in_training_and_inference(use_bn, unbiased):
    x = randn(4, 5, 6, 3, scale=2.0, shift=1.0)
    layer = layers.SwitchableNormalization(use_batch_stats=use_bn, unbiased_variance=unbiased, dtype="float64")
    layer(x)
    randomize(layer)
    gamma, beta, mw, vw = (w.numpy() for w in layer.trainable_weights)
    expected, (mean_bn, var_bn) = sn_reference(x, mw, vw, gamma, beta, 1e-5, unbiased=unbiased, use_bn=use_bn)
    np.testing.assert_allclose(run(layer, x, training=True), expected, atol=1e-10)
    if not use_bn:
        np.testing.assert_allclose(run(layer, x, training=False), expected, atol=1e-10)
        return
    # Running statistics start at zero and took one step with momentum 0.9 (official defaults).
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean_bn.ravel(), atol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.1 * var_bn.ravel(), atol=1e-12)
    running = (layer.moving_mean.numpy().reshape(1, 1, -1), layer.moving_variance.numpy().reshape(1, 1, -1))
    expected_inference, _ = sn_reference(x, mw, vw, gamma, beta, 1e-5, running=running, unbiased=unbiased)
    np.testing.assert_allclose(run(layer, x, training=False), expected_inference, atol=1e-10)


def test_running_statistics_follow_the_moving_average_rule():
    layer = layers.SwitchableNormalization(momentum=0.7, dtype="float64")
    mean_run, var_run = np.zeros(3), np.zeros(3)
    for step in range(4):
        x = randn(5, 4, 4, 3, scale=1 + step, shift=step)
        layer(x, training=True)
        _, (mean_bn, var_bn) = sn_reference(x, np.ones(3), np.ones(3), 1.0, 0.0, 1e-5)
        mean_run = 0.7 * mean_run + 0.3 * mean_bn.ravel()
        var_run = 0.7 * var_run + 0.3 * var_bn.ravel()
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean_run, atol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var_run, atol=1e-12)


def test_batch_average_mode_uses_the_average_of_accumulated_batches():
    layer = layers.SwitchableNormalization(moving_average=False, dtype="float64")
    batches = [randn(6, 3, 3, 2, shift=i) for i in range(3)]
    layer(batches[0], training=True)
    layer.reset_batch_statistics()
    stats = []
    for x in batches:
        layer(x, training=True)
        stats.append(sn_reference(x, np.ones(3), np.ones(3), 1.0, 0.0, 1e-5)[1])
    mean = np.mean([m.ravel() for m, _ in stats], 0)
    var = np.mean([v.ravel() + m.ravel() ** 2 for m, v in stats], 0) - mean ** 2
    x = batches[1]
    expected, _ = sn_reference(x, np.ones(3), np.ones(3), 1.0, 0.0, 1e-5,
                               running=(mean.reshape(1, 1, -1), var.reshape(1, 1, -1)))
    np.testing.assert_allclose(run(layer, x, training=False), expected, atol=1e-10)
    with pytest.raises(ValueError, match="moving_average"):
        layers.SwitchableNormalization().reset_batch_statistics()


def one_hot(layer, index):
    logits = np.full(len(layer.statistics), -60.0)
    logits[index] = 60.0
    layer.mean_weight.assign(logits)
    layer.var_weight.assign(logits)


@pytest.mark.parametrize("index, peer", [
    (0, lambda: layers.InstanceNormalization(epsilon=1e-5)),
    (1, lambda: keras.layers.LayerNormalization(axis=(1, 2, 3), epsilon=1e-5)),
    (2, lambda: keras.layers.BatchNormalization(epsilon=1e-5)),
])
def test_one_hot_logits_reduce_to_instance_layer_and_batch_normalization(index, peer):
    x = randn(4, 5, 5, 3, scale=2.0, shift=0.5)
    layer = layers.SwitchableNormalization(unbiased_variance=False, dtype="float64")
    layer(x)
    one_hot(layer, index)
    other = peer()
    other.dtype_policy = keras.DTypePolicy("float64")
    np.testing.assert_allclose(run(layer, x, training=True), run(other, x, training=True), atol=1e-6)


def test_one_hot_batch_statistics_at_inference_equal_batch_normalization_with_the_same_running_stats():
    x = randn(4, 5, 5, 3, scale=2.0, shift=0.5)
    layer = layers.SwitchableNormalization(unbiased_variance=False, momentum=0.8, dtype="float64")
    bn = keras.layers.BatchNormalization(momentum=0.8, epsilon=1e-5, moving_variance_initializer="zeros",
                                         dtype="float64")
    layer(x)
    one_hot(layer, 2)
    for _ in range(3):
        layer(x, training=True)
        bn(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), bn.moving_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), bn.moving_variance.numpy(), atol=1e-12)
    np.testing.assert_allclose(run(layer, x), run(bn, x), atol=1e-9)


def test_two_dimensional_inputs_mix_layer_and_batch_statistics():
    x = randn(6, 5, scale=2.0)
    layer = layers.SwitchableNormalization(dtype="float64")
    layer(x)
    randomize(layer)
    gamma, beta, mw, vw = (w.numpy() for w in layer.trainable_weights)
    assert layer.statistics == ("ln", "bn")
    mean_ln, var_ln = x.mean(1, keepdims=True), x.var(1, ddof=1, keepdims=True)
    mean_bn, var_bn = x.mean(0, keepdims=True), x.var(0, ddof=1, keepdims=True)
    mw, vw = softmax(mw), softmax(vw)
    mean = mw[0] * mean_ln + mw[1] * mean_bn
    var = vw[0] * var_ln + vw[1] * var_bn
    np.testing.assert_allclose(run(layer, x, training=True), (x - mean) / np.sqrt(var + 1e-5) * gamma + beta,
                               atol=1e-10)


DISTRIBUTED = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from keras_dlx import layers
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    x = np.random.default_rng(0).standard_normal((8, 4, 4, 3)).astype("float32")
    x[4:] = x[4:] * 3 + 2  # the two replicas see differently distributed halves
    result = {}
    for synchronized in (False, True):
        with strategy.scope():
            layer = layers.SwitchableNormalization(synchronized=synchronized)
            layer.build(x.shape)
            layer.mean_weight.assign([-60.0, -60.0, 60.0])  # batch statistics only
            layer.var_weight.assign([-60.0, -60.0, 60.0])
        dataset = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices(x).batch(8))
        batch = next(iter(dataset))
        out = strategy.run(lambda b: layer(b, training=True), args=(batch,))
        parts = [t.numpy() for t in strategy.experimental_local_results(out)]
        result[str(synchronized)] = {
            "output": np.concatenate(parts).tolist(),
            "moving_mean": layer.moving_mean.numpy().tolist(),
            "replicas": strategy.num_replicas_in_sync,
        }
    print(json.dumps(result))
""")


@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute")
def test_batch_statistics_per_replica_or_synchronized_under_mirrored_strategy():
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run([sys.executable, "-c", DISTRIBUTED], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    result = json.loads(done.stdout.strip().splitlines()[-1])
    x = np.random.default_rng(0).standard_normal((8, 4, 4, 3)).astype("float32")
    x[4:] = x[4:] * 3 + 2
    halves = [x[:4], x[4:]]

    def bn(part, stats_from):
        _, (mean, var) = sn_reference(stats_from.astype("float64"), np.ones(3), np.ones(3), 1, 0, 1e-5)
        return (part - mean.reshape(1, 1, 1, -1)) / np.sqrt(var.reshape(1, 1, 1, -1) + 1e-5), mean.ravel()

    per_replica = [bn(h, h) for h in halves]
    local = result["False"]
    assert local["replicas"] == 2
    np.testing.assert_allclose(local["output"], np.concatenate([o for o, _ in per_replica]), atol=1e-4)
    np.testing.assert_allclose(local["moving_mean"], 0.1 * np.mean([m for _, m in per_replica], 0), atol=1e-5)
    synced = [bn(h, x) for h in halves]
    np.testing.assert_allclose(result["True"]["output"], np.concatenate([o for o, _ in synced]), atol=1e-4)
    np.testing.assert_allclose(result["True"]["moving_mean"], 0.1 * synced[0][1], atol=1e-5)
