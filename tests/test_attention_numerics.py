"""MultiHeadAttention against a NumPy reference (float64) and against keras.layers.MultiHeadAttention."""

import keras
import numpy as np
import pytest

from keras_dlx import layers
from tests.reference import EXACT64

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape).astype("float32")


def pair(num_heads=4, key_dim=8, **kwargs):
    return layers.MultiHeadAttention(num_heads, key_dim, **kwargs), keras.layers.MultiHeadAttention(
        num_heads, key_dim, **kwargs)


def numpy_attention(layer, query, value, key, mask):
    w = {v.path.split("/")[-1]: v.numpy() for v in layer.weights}
    q = np.einsum("btd,dhk->bthk", query, w["query_kernel"]) + w["query_bias"]
    k = np.einsum("btd,dhk->bthk", key, w["key_kernel"]) + w["key_bias"]
    v = np.einsum("btd,dhk->bthk", value, w["value_kernel"]) + w["value_bias"]
    logits = np.einsum("bqhk,bvhk->bhqv", q, k) / np.sqrt(q.shape[-1])
    if mask is not None:
        logits = np.where(mask[:, None], logits, -1e9)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    heads = np.einsum("bhqv,bvhd->bqhd", probs, v)
    return np.einsum("bqhd,hdo->bqo", heads, w["output_kernel"]) + w["output_bias"], probs


@pytest.mark.parametrize("masked", [False, True])
def test_matches_numpy_reference(masked):
    query, value, key = (RNG.standard_normal(s) for s in ((2, 5, 6), (2, 7, 4), (2, 7, 3)))
    mask = RNG.random((2, 5, 7)) > 0.4 if masked else None
    layer = layers.MultiHeadAttention(3, 4, value_dim=2, dtype="float64")
    layer(query, value, key)
    for w in layer.weights:
        w.assign(RNG.standard_normal(w.shape))
    out, scores = layer(query, value, key, attention_mask=mask, return_attention_scores=True)
    want_out, want_scores = numpy_attention(layer, query, value, key, mask)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), want_out, **EXACT64)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(scores), want_scores, **EXACT64)
    # The fused (dot_product_attention) path gives the same output as the explicit one.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(query, value, key, attention_mask=mask)),
                               want_out, **EXACT64)


@pytest.mark.parametrize("call", [
    lambda m, x, y, z, mask: m(x, x),
    lambda m, x, y, z, mask: m(x, x, use_causal_mask=True),
    lambda m, x, y, z, mask: m(x, y, z),
    lambda m, x, y, z, mask: m(x, y, z, attention_mask=mask),
    lambda m, x, y, z, mask: m(x, y, attention_mask=mask, use_causal_mask=True),
    lambda m, x, y, z, mask: m(x, y, z, attention_mask=mask, return_attention_scores=True),
])
def test_equals_keras_multi_head_attention_with_transferred_weights(call):
    x, y, z = randn(2, 6, 16), randn(2, 9, 16), randn(2, 9, 16)
    mask = RNG.random((2, 6, 9)) > 0.3
    ours, peer = pair()
    call(peer, x, y, z, mask)
    call(ours, x, y, z, mask)
    ours.load_keras_weights(peer)
    got, want = call(ours, x, y, z, mask), call(peer, x, y, z, mask)
    for a, b in zip(keras.tree.flatten(got), keras.tree.flatten(want)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-5)


def test_keras_masks_from_padding_are_applied():
    tokens = np.array([[3, 5, 7, 0, 0], [2, 4, 0, 0, 0]])
    embedding = keras.layers.Embedding(10, 8, mask_zero=True)
    ours, peer = pair(2, 4)
    inputs = keras.Input((5,), dtype="int32")
    embedded = embedding(inputs)
    model_ours = keras.Model(inputs, ours(embedded, embedded))
    model_peer = keras.Model(inputs, peer(embedded, embedded))
    ours.load_keras_weights(peer)
    np.testing.assert_allclose(model_ours.predict(tokens, verbose=0), model_peer.predict(tokens, verbose=0),
                               atol=1e-5)


def test_attention_dropout_only_in_training():
    x = randn(2, 6, 8)
    layer = layers.MultiHeadAttention(2, 4, dropout=0.5, seed=3)
    inference = keras.ops.convert_to_numpy(layer(x, x))
    np.testing.assert_array_equal(inference, keras.ops.convert_to_numpy(layer(x, x)))
    assert not np.allclose(keras.ops.convert_to_numpy(layer(x, x, training=True)), inference)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="num_heads=0"):
        layers.MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="input_shape"):
        layers.MultiHeadAttention(2, 4)(np.zeros((2, 8), "float32"))
    ours, peer = layers.MultiHeadAttention(2, 4), keras.layers.MultiHeadAttention(3, 4)
    x = randn(1, 3, 6)
    ours(x, x), peer(x, x)
    with pytest.raises(ValueError, match="mha"):
        ours.load_keras_weights(peer)


@pytest.mark.parametrize("norm_first", [True, False])
def test_transformer_encoder_block_equals_keras_composition(norm_first):
    x = inputs = randn(2, 6, 16)
    block = layers.TransformerEncoderBlock(4, 32, norm_first=norm_first)
    block(x)
    for w in block.weights:
        w.assign(RNG.standard_normal(w.shape) * 0.3 + (1.0 if w.path.endswith("gamma") else 0.0))
    mha = keras.layers.MultiHeadAttention(4, 4)
    mha(x, x)
    mha.set_weights(block.attention.get_weights())
    ln1, ln2 = (keras.layers.LayerNormalization(epsilon=1e-6) for _ in range(2))
    dense_in, dense_out = keras.layers.Dense(32, activation="gelu"), keras.layers.Dense(16)
    for peer, ours in ((ln1, block.attention_norm), (ln2, block.mlp_norm), (dense_in, block.mlp_in),
                       (dense_out, block.mlp_out)):
        peer.build((None, 6, 32 if peer is dense_out else 16))
        peer.set_weights(ours.get_weights())

    def expected(causal):
        x = keras.ops.convert_to_tensor(inputs)  # a tensor: on PyTorch an array does not add to one
        if norm_first:
            h = ln1(x)
            y = x + mha(h, h, use_causal_mask=causal)
            return y + dense_out(dense_in(ln2(y)))
        y = ln1(x + mha(x, x, use_causal_mask=causal))
        return ln2(y + dense_out(dense_in(y)))

    for causal in (False, True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(block(x, use_causal_mask=causal)),
                                   keras.ops.convert_to_numpy(expected(causal)), atol=1e-4)


def test_sinusoidal_2d_encoding_follows_detr():
    from keras_dlx.layers.attention.spatial_self_attention import sinusoidal_2d

    h, w, c = 3, 4, 8
    encoding = sinusoidal_2d(h, w, c).reshape(h, w, c)
    frequencies = 10000.0 ** (-np.arange(2) / 2)
    row, col = 2, 3
    expected = [np.sin(row * frequencies[0]), np.cos(row * frequencies[0]), np.sin(row * frequencies[1]),
                np.cos(row * frequencies[1]), np.sin(col * frequencies[0]), np.cos(col * frequencies[0]),
                np.sin(col * frequencies[1]), np.cos(col * frequencies[1])]
    np.testing.assert_allclose(encoding[row, col], expected, atol=1e-6)


@pytest.mark.parametrize("encoding", ["sinusoidal", "learned", None])
def test_spatial_self_attention_is_token_attention_with_positions(encoding):
    from keras_dlx.layers.attention.spatial_self_attention import sinusoidal_2d

    x = randn(2, 3, 4, 8)
    layer = layers.SpatialSelfAttention2D(2, position_encoding=encoding)
    y = keras.ops.convert_to_numpy(layer(x))
    tokens = x.reshape(2, 12, 8)
    mha = keras.layers.MultiHeadAttention(2, 4)
    mha(tokens, tokens)
    mha.set_weights(layer.attention.get_weights())
    position = {"sinusoidal": sinusoidal_2d(3, 4, 8), "learned": None, None: 0.0}[encoding]
    if encoding == "learned":
        position = layer.encoding.numpy()
    expected = tokens + keras.ops.convert_to_numpy(mha(tokens + position, tokens, tokens + position))
    np.testing.assert_allclose(y, expected.reshape(x.shape), atol=1e-5)


@pytest.mark.parametrize("axes", [None, (1,), (2,), (1, 2), 2])
def test_attention_axes_equal_keras(axes):
    x, y = randn(2, 3, 4, 8), randn(2, 3, 4, 8)
    ours, peer = pair(2, 4, attention_axes=axes)
    peer(x, y)
    ours(x, y)
    ours.load_keras_weights(peer)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(x, y)), keras.ops.convert_to_numpy(peer(x, y)),
                               atol=1e-5)


@pytest.mark.parametrize("axes", [(0,), (3,), (1, 1), "1", ()])
def test_bad_attention_axes(axes):
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 4, attention_axes=axes)(randn(2, 3, 4, 8))
