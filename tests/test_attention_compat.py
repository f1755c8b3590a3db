"""The attention layers against Keras's own behaviour: initial weights, masks, input validation.

Each expectation is what `keras.layers.MultiHeadAttention` does with the same inputs (and copied weights).
"""

import itertools

import keras
import numpy as np
import pytest

from keras_dlx import layers

RNG = np.random.default_rng(7)


def randn(*shape):
    return RNG.standard_normal(shape).astype("float32")


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def assert_all_close(got, want, atol=1e-5):
    got, want = keras.tree.flatten(got), keras.tree.flatten(want)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(numpy(a), numpy(b), atol=atol)


def built_pair(query, value, num_heads=4, key_dim=8, **kwargs):
    ours, peer = layers.MultiHeadAttention(num_heads, key_dim, **kwargs), keras.layers.MultiHeadAttention(
        num_heads, key_dim, **kwargs)
    peer(query, value)
    ours(query, value)
    ours.load_keras_weights(peer)
    return ours, peer


def random_weights(layer):
    """Weights whose initializer is random (not zeros/ones), by path inside the layer."""
    return {w.path.split("/", 1)[1]: numpy(w) for w in layer.weights if np.unique(numpy(w)).size > 1}


# 1. Initial weights -----------------------------------------------------------------------------------------------

def test_query_key_value_kernels_differ_as_in_keras():
    ours = layers.MultiHeadAttention(2, 4)
    ours.build((2, 5, 8), (2, 5, 8))
    peer = keras.layers.MultiHeadAttention(2, 4)
    peer.build((2, 5, 8), (2, 5, 8))
    for mha in (peer, ours):  # Keras's layer is the fact; ours must agree
        kernels = [numpy(w) for w in mha.weights if w.path.endswith("kernel") and tuple(w.shape) == (8, 2, 4)]
        assert len(kernels) == 3
        for a, b in itertools.combinations(kernels, 2):
            assert not np.array_equal(a, b)


def test_fused_self_attention_kernel_slices_differ():
    # Self-attention multiplies by the concatenated (D, 3 * heads * key_dim) kernel: its three slices differ.
    layer = layers.MultiHeadAttention(2, 4)
    layer.build((2, 5, 8))
    fused = np.concatenate([numpy(w).reshape(8, -1) for w in (layer.query_kernel, layer.key_kernel,
                                                                layer.value_kernel)], -1)
    q, k, v = np.split(fused, 3, axis=-1)
    assert not (np.array_equal(q, k) or np.array_equal(k, v) or np.array_equal(q, v))


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.MultiHeadAttention(2, 4), (2, 5, 8)),
    (lambda: layers.MultiHeadAttention(2, 4, bias_initializer="glorot_uniform"), (2, 5, 8)),
    (lambda: layers.MultiHeadAttention(2, 4, kernel_initializer=keras.initializers.RandomNormal()), (2, 5, 8)),
    (lambda: layers.MultiHeadAttention(2, 2, attention_axes=(2,)), (2, 3, 4, 4)),
    (lambda: layers.TransformerEncoderBlock(2, 8), (2, 5, 8)),
    (lambda: layers.TransformerEncoderBlock(2, 8, kernel_initializer=keras.initializers.HeNormal()), (2, 5, 8)),
    (lambda: layers.SpatialSelfAttention2D(2, position_encoding="learned"), (2, 3, 4, 8)),
], ids=["mha", "mha-random-bias", "mha-initializer-instance", "mha-4d", "transformer",
        "transformer-initializer-instance", "spatial-learned"])
def test_no_two_random_weights_equal_and_two_builds_differ(make, shape):
    first, second = make(), make()
    x = randn(*shape)
    first(x)
    second(x)
    weights = random_weights(first)
    assert len(weights) >= 4
    for (a, wa), (b, wb) in itertools.combinations(weights.items(), 2):
        if wa.shape == wb.shape:
            assert not np.array_equal(wa, wb), f"{a} and {b} start equal"
    again = random_weights(second)
    for path, value in weights.items():
        assert not np.array_equal(value, again[path]), f"{path} equal in two builds"


def test_a_seeded_initializer_gives_keras_values():
    # Keras clones a seeded initializer with its seed: every kernel of a shape gets the same values, in both.
    init = lambda: keras.initializers.GlorotUniform(seed=3)  # noqa: E731
    ours, peer = layers.MultiHeadAttention(2, 4, kernel_initializer=init()), keras.layers.MultiHeadAttention(
        2, 4, kernel_initializer=init())
    ours.build((2, 5, 8), (2, 5, 8))
    peer.build((2, 5, 8), (2, 5, 8))
    for a, b in zip(ours.weights, peer.weights):
        np.testing.assert_array_equal(numpy(a), numpy(b))


def test_fused_and_separate_projections_agree():
    x = randn(2, 6, 16)
    layer = layers.MultiHeadAttention(4, 8, value_dim=3, output_shape=5)
    fused = layer(x)  # query is value is key: one matmul
    separate = layer(x, keras.ops.copy(x), keras.ops.copy(x))
    np.testing.assert_allclose(numpy(fused), numpy(separate), atol=1e-5)


@pytest.mark.parametrize("cross", [False, True])
def test_gradients_equal_keras(cross):
    import tensorflow as tf

    x, y = randn(2, 6, 16), randn(2, 9, 16)
    value = y if cross else x
    mask = RNG.random((2, 6, 9 if cross else 6)) > 0.3
    ours, peer = built_pair(x, value)
    grads = []
    for layer in (ours, peer):
        inputs = [tf.constant(x), tf.constant(y)] if cross else [tf.constant(x)]
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            # Self-attention passes one tensor twice: our fused QKV path.
            out = layer(inputs[0], inputs[-1], attention_mask=mask, use_causal_mask=not cross)
            loss = tf.reduce_sum(out * tf.sin(out))
        grads.append(tape.gradient(loss, inputs + layer.trainable_weights))
    assert_all_close(grads[0], grads[1], atol=1e-4)


# 2. Masks ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mask_shape", [(2, 6, 9), (6, 9), (2, 4, 6, 9), (1, 6, 9), (1, 1, 6, 9), (2, 1, 6, 9),
                                        (1, 4, 6, 9)])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scores", [False, True])
def test_attention_mask_shapes_equal_keras(mask_shape, causal, scores):
    x, y = randn(2, 6, 16), randn(2, 9, 16)
    mask = RNG.random(mask_shape) > 0.3
    ours, peer = built_pair(x, y)
    kwargs = dict(attention_mask=mask, use_causal_mask=causal, return_attention_scores=scores)
    assert_all_close(ours(x, y, **kwargs), peer(x, y, **kwargs))


@pytest.mark.parametrize("scores", [False, True])
def test_causal_mask_equals_keras(scores):
    x = randn(2, 7, 16)
    ours, peer = built_pair(x, x)
    assert_all_close(ours(x, use_causal_mask=True, return_attention_scores=scores),
                     peer(x, x, use_causal_mask=True, return_attention_scores=scores))


@pytest.mark.parametrize("scores, dropout, rank", [(False, 0.0, 3), (True, 0.0, 3), (False, 0.5, 3),
                                                   (False, 0.0, 4)])
def test_rows_with_nothing_to_attend_to_equal_keras(scores, dropout, rank):
    # Keras: uniform weights on its fused path, zero weights on its explicit one (returned scores, dropout > 0
    # even at inference, rank > 3).
    x, y = randn(2, 4, 8), randn(2, 5, 8)
    mask = np.ones((2, 4, 5), bool)
    mask[0, 1] = False
    mask[1, 3] = False
    if rank == 4:
        x, y, mask = x[:, None], y[:, None], mask[:, None]
    axes = {"attention_axes": (2,)} if rank == 4 else {}
    ours, peer = built_pair(x, y, 2, 4, dropout=dropout, **axes)
    assert_all_close(ours(x, y, attention_mask=mask, return_attention_scores=scores),
                     peer(x, y, attention_mask=mask, return_attention_scores=scores))


def test_float_and_int_attention_masks_are_booleans():
    x, y = randn(2, 6, 16), randn(2, 9, 16)
    mask = RNG.random((2, 6, 9)) > 0.3
    ours, peer = built_pair(x, y)
    for m in (mask.astype("float32"), mask.astype("int32")):
        assert_all_close(ours(x, y, attention_mask=m), peer(x, y, attention_mask=mask))


@pytest.mark.parametrize("axes, mask_shape", [((2,), (2, 3, 4, 5)), ((2,), (4, 5)), ((2,), (2, 3, 2, 4, 5)),
                                              ((1,), (2, 4, 3, 3)), ((1, 2), (2, 3, 4, 3, 5)),
                                              ((2, 1), (2, 4, 3, 5, 3))])
@pytest.mark.parametrize("scores", [False, True])
def test_attention_masks_over_custom_axes_equal_keras(axes, mask_shape, scores):
    x, y = randn(2, 3, 4, 8), randn(2, 3, 5, 8)
    if axes == (1,):
        y = randn(2, 3, 4, 8)
    mask = RNG.random(mask_shape) > 0.2
    ours, peer = built_pair(x, y, 2, 4, attention_axes=axes)
    kwargs = dict(attention_mask=mask, return_attention_scores=scores)
    assert_all_close(ours(x, y, **kwargs), peer(x, y, **kwargs))


def test_causal_mask_over_axis_one_of_4d_inputs_equals_keras():
    x = randn(2, 5, 3, 8)
    ours, peer = built_pair(x, x, 2, 4, attention_axes=(1,))
    assert_all_close(ours(x, x, use_causal_mask=True), peer(x, x, use_causal_mask=True))


def padded_tokens():
    return np.array([[3, 5, 7, 1, 0, 0], [2, 4, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]])


@pytest.mark.parametrize("how", ["self-one-input", "self-two-inputs", "self-with-attention-mask", "cross",
                                 "cross-key", "masking-layer"])
def test_padding_masks_of_the_inputs_equal_keras(how):
    # Keras's public masking: Embedding(mask_zero=True) / Masking upstream in a functional model; the same
    # graph around Keras's layer gives the expected values.
    tokens, other = padded_tokens(), np.array([[1, 2, 0, 0, 0], [4, 0, 0, 0, 0], [1, 1, 1, 1, 1]])
    features = randn(3, 6, 8) * (tokens > 0)[..., None]
    fixed = (RNG.random((1, 6, 6)) > 0.3) | np.eye(6, dtype=bool)[None]
    a, b, f = keras.Input((6,), dtype="int32"), keras.Input((5,), dtype="int32"), keras.Input((6, 8))
    x = keras.layers.Embedding(10, 8, mask_zero=True)(a)
    y = keras.layers.Embedding(10, 8, mask_zero=True)(b)
    k = keras.layers.Embedding(10, 8, mask_zero=True)(b)
    masked = keras.layers.Masking(0.0)(f)
    calls = {  # (ours, Keras's), the model's inputs and data
        "self-one-input": (lambda m: m(x), lambda m: m(x, x), [a], [tokens]),
        "self-two-inputs": (lambda m: m(x, x), lambda m: m(x, x), [a], [tokens]),
        "self-with-attention-mask": (lambda m: m(x, attention_mask=fixed), lambda m: m(x, x, attention_mask=fixed),
                                     [a], [tokens]),
        "cross": (lambda m: m(x, y), lambda m: m(x, y), [a, b], [tokens, other]),
        "cross-key": (lambda m: m(x, y, k), lambda m: m(x, y, k), [a, b], [tokens, other]),
        "masking-layer": (lambda m: m(masked, masked), lambda m: m(masked, masked), [f], [features]),
    }
    call_ours, call_peer, inputs, data = calls[how]
    ours, peer = layers.MultiHeadAttention(2, 4), keras.layers.MultiHeadAttention(2, 4)

    def model(out):
        # A mask-aware consumer: the output must carry the query's mask, as Keras's does.
        return keras.Model(inputs, [out, keras.layers.GlobalAveragePooling1D()(out)])

    model_peer, model_ours = model(call_peer(peer)), model(call_ours(ours))
    ours.load_keras_weights(peer)
    assert_all_close(model_ours.predict(data, verbose=0), model_peer.predict(data, verbose=0))


def test_explicit_query_mask_is_used():
    # Keras's layer reads only the mask `query` carries; ours also takes `query_mask=`. Expected: Keras with
    # the same rows masked through `attention_mask`.
    x, y = randn(3, 6, 8), randn(3, 5, 8)
    q_mask, v_mask = padded_tokens() > 0, np.array([[1, 1, 0, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]]) > 0
    ours, peer = built_pair(x, y, 2, 4)
    want = peer(x, y, value_mask=v_mask, attention_mask=q_mask[:, :, None])
    assert_all_close(ours(x, y, query_mask=q_mask, value_mask=v_mask), want)


def test_transformer_block_padding_mask_equals_keras_composition():
    tokens = padded_tokens()
    inputs = keras.Input((6,), dtype="int32")
    embedding = keras.layers.Embedding(10, 16, mask_zero=True)
    block = layers.TransformerEncoderBlock(4, 32)
    ours = keras.Model(inputs, block(embedding(inputs)))
    mha, ln1, ln2 = keras.layers.MultiHeadAttention(4, 4), keras.layers.LayerNormalization(epsilon=1e-6), \
        keras.layers.LayerNormalization(epsilon=1e-6)
    dense_in, dense_out = keras.layers.Dense(32, activation="gelu"), keras.layers.Dense(16)
    x = embedding(inputs)
    h = ln1(x)
    x = x + mha(h, h)
    peer = keras.Model(inputs, x + dense_out(dense_in(ln2(x))))
    mha.set_weights(block.attention.get_weights())
    for theirs, mine in ((ln1, block.attention_norm), (ln2, block.mlp_norm), (dense_in, block.mlp_in),
                         (dense_out, block.mlp_out)):
        theirs.set_weights(mine.get_weights())
    np.testing.assert_allclose(ours.predict(tokens, verbose=0), peer.predict(tokens, verbose=0), atol=1e-4)
    # The padded positions matter: without the mask the result differs.
    unmasked = keras.Model(inputs, block(keras.layers.Embedding(10, 16)(inputs)))
    unmasked.layers[1].set_weights(embedding.get_weights())
    assert not np.allclose(unmasked.predict(tokens, verbose=0), ours.predict(tokens, verbose=0), atol=1e-4)


def test_4d_attention_mask_combines_with_padding_and_causal_masks_axis_by_axis():
    # Keras raises on (B, H, T, S) & padding (it combines before inserting the heads axis); the expected value
    # is Keras's layer given every mask folded into the 4D one.
    x, y = randn(2, 6, 16), randn(2, 6, 16)
    heads = RNG.random((2, 4, 6, 6)) > 0.3
    q_mask, v_mask = np.ones((2, 6), bool), np.ones((2, 6), bool)
    q_mask[1, 4:], v_mask[0, 3:] = False, False
    ours, peer = built_pair(x, y)
    folded = heads & q_mask[:, None, :, None] & v_mask[:, None, None, :] & np.tril(np.ones((6, 6), bool))
    assert_all_close(ours(x, y, query_mask=q_mask, value_mask=v_mask, attention_mask=heads, use_causal_mask=True),
                     peer(x, y, attention_mask=folded))


@pytest.mark.parametrize("mask_shape", [(2, 7, 9), (9,), (3, 6, 9), (2, 4, 6, 9, 1), (2, 3, 6, 9)])
def test_attention_masks_that_do_not_broadcast_are_named(mask_shape):
    x, y = randn(2, 6, 16), randn(2, 9, 16)
    layer = layers.MultiHeadAttention(4, 8)
    with pytest.raises(ValueError, match=r"attention_mask.*" + r"\(" + ", ".join(map(str, mask_shape))):
        layer(x, y, attention_mask=np.ones(mask_shape, bool))


# 3. Key and value must agree ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value_shape, key_shape", [((2, 9, 16), (2, 7, 16)), ((2, 9, 16), (2, 9, 16, 1))])
def test_key_and_value_shapes_must_agree_as_in_keras(value_shape, key_shape):
    query, value, key = randn(2, 6, 16), randn(*value_shape), randn(*key_shape)
    peer = keras.layers.MultiHeadAttention(2, 4)
    if len(key_shape) == len(value_shape):
        with pytest.raises(ValueError, match="must be equal"):  # the fact: Keras refuses
            peer(query, value, key)
    for check in (lambda m: m.build(query.shape, value.shape, key.shape),
                  lambda m: m.compute_output_shape(query.shape, value.shape, key.shape),
                  lambda m: m(query, value, key),
                  lambda m: m(keras.Input(query.shape[1:]), keras.Input(value.shape[1:]), keras.Input(key.shape[1:]))):
        with pytest.raises(ValueError, match=r"value_shape=\(.*key_shape=\(" if len(key_shape) == 3 else "key"):
            check(layers.MultiHeadAttention(2, 4))


def test_key_value_mismatch_after_build_is_caught_in_call():
    query, value = randn(2, 6, 16), randn(2, 9, 16)
    layer = layers.MultiHeadAttention(2, 4)
    layer(query, value)
    with pytest.raises(ValueError, match=r"must be equal.*value_shape=\(2, 9, 16\).*key_shape=\(2, 8, 16\)"):
        layer(query, value, randn(2, 8, 16))


def test_symbolic_shapes_with_scores():
    query, value = keras.Input((6, 16)), keras.Input((9, 12))
    out, scores = layers.MultiHeadAttention(4, 8)(query, value, return_attention_scores=True)
    assert out.shape == (None, 6, 16) and scores.shape == (None, 4, 6, 9)
    x = keras.Input((3, 4, 8))
    out, scores = layers.MultiHeadAttention(2, 4, attention_axes=(2,))(x, x, return_attention_scores=True)
    assert out.shape == (None, 3, 4, 8) and scores.shape == (None, 3, 2, 4, 4)
