"""The linear-chain CRF (keras_dlx.ops.crf_*, keras_dlx.layers.CRF, CRFModelWrapper) against TensorFlow Addons 0.23.

Reference values: tests/fixtures/addons/sequence.npz, recorded by tests/fixtures/addons/record_sequence.py.
Tolerances (float32): scores, log-likelihoods, alphas and potentials rtol 1e-6, atol 1e-5 (values up to ~25;
the log partition function is summed in a different order, measured differences <= 2e-6); gradients rtol 1e-5,
atol 1e-5 (from forward-backward marginals instead of autodiff, measured <= 3e-6); tags exact.
"""

import os

import keras
import numpy as np
import pytest
from keras import ops

from keras_dlx import ops as dlx_ops
from keras_dlx.applications import CRFModelWrapper
from keras_dlx.layers import CRF
from keras_dlx.testing.gradients import input_and_weight_gradients
from tests.addons_fixtures import load

REF = load("sequence")
VALUES = dict(rtol=1e-6, atol=1e-5)
GRADIENTS = dict(rtol=1e-5, atol=1e-5)


def _np(x):
    return ops.convert_to_numpy(x)


def _case(prefix):
    return (REF[f"{prefix}/inputs"], REF[f"{prefix}/tags"], REF[f"{prefix}/lengths"], REF[f"{prefix}/transitions"])


@pytest.mark.parametrize("prefix", ["ll", "ll1"])  # lengths 7, 4, 1, 0, 2, 7 over 7 steps; one step, lengths 1, 0, 1
def test_log_likelihood_and_its_parts_match_addons(prefix):
    inputs, tags, lengths, transitions = _case(prefix)
    log_likelihood, used = dlx_ops.crf_log_likelihood(inputs, tags, lengths, transitions)
    np.testing.assert_allclose(_np(log_likelihood), REF[f"{prefix}/log_likelihood"], **VALUES)
    np.testing.assert_array_equal(_np(used), transitions)
    parts = {"sequence_score": dlx_ops.crf_sequence_score(inputs, tags, lengths, transitions),
             "log_norm": dlx_ops.crf_log_norm(inputs, lengths, transitions),
             "unary_score": dlx_ops.crf_unary_score(tags, lengths, inputs),
             "binary_score": dlx_ops.crf_binary_score(tags, lengths, transitions)}
    for name, value in parts.items():
        np.testing.assert_allclose(_np(value), REF[f"{prefix}/{name}"], err_msg=name, **VALUES)
    assert _np(log_likelihood)[list(lengths).index(0)] == 0  # a length of 0 has log-likelihood 0


class _LogLikelihood(keras.layers.Layer):
    """sum of crf_log_likelihood, with the transitions as a weight (for the backend's autodiff helper)."""

    def __init__(self, tags, lengths, transitions, **kwargs):
        super().__init__(**kwargs)
        self.tags, self.lengths, self.initial = tags, lengths, transitions

    def build(self, input_shape):
        self.transitions = self.add_weight(shape=self.initial.shape, initializer="zeros")
        self.transitions.assign(self.initial)

    def call(self, inputs):
        return dlx_ops.crf_log_likelihood(inputs, self.tags, self.lengths, self.transitions)[0]


@pytest.mark.parametrize("prefix", ["ll", "ll1"])
def test_log_likelihood_gradients_match_addons(prefix):
    inputs, tags, lengths, transitions = _case(prefix)
    layer = _LogLikelihood(tags, lengths, transitions)
    layer(inputs)
    d_inputs, (d_transitions,) = input_and_weight_gradients(layer, inputs, np.ones(len(lengths), "float32"))
    np.testing.assert_allclose(d_inputs, REF[f"{prefix}/grad_inputs"], **GRADIENTS)
    np.testing.assert_allclose(d_transitions, REF[f"{prefix}/grad_transitions"], **GRADIENTS)
    assert np.all(d_inputs[list(lengths).index(0)] == 0)  # nothing flows to a sequence of length 0


@pytest.mark.parametrize("prefix", ["ll", "ll1"])
def test_crf_decode_matches_addons(prefix):
    inputs, _, lengths, transitions = _case(prefix)
    tags, score = dlx_ops.crf_decode(inputs, transitions, lengths)
    assert keras.backend.standardize_dtype(tags.dtype) == "int32"
    np.testing.assert_array_equal(_np(tags), REF[f"{prefix}/decode_tags"])
    np.testing.assert_allclose(_np(score), REF[f"{prefix}/best_score"], **VALUES)


@pytest.mark.parametrize("steps", [2, 4, 5])  # odd and even numbers of recursion steps
def test_log_norm_and_decode_equal_enumeration_of_every_path(steps):
    rng = np.random.default_rng(steps)
    inputs, transitions = rng.standard_normal((3, steps, 3)), rng.standard_normal((3, 3))
    lengths = np.array([steps, steps - 1, 1])
    log_norm = _np(dlx_ops.crf_log_norm(inputs.astype("float32"), lengths, transitions.astype("float32")))
    tags, _ = dlx_ops.crf_decode(inputs.astype("float32"), transitions.astype("float32"), lengths)
    for b, length in enumerate(lengths):
        paths = np.array(np.meshgrid(*[range(3)] * length, indexing="ij")).reshape(length, -1).T
        scores = [inputs[b, np.arange(length), p].sum() + transitions[p[:-1], p[1:]].sum() for p in paths]
        np.testing.assert_allclose(log_norm[b], np.log(np.sum(np.exp(scores))), rtol=1e-6)
        np.testing.assert_array_equal(_np(tags)[b], np.pad(paths[np.argmax(scores)], (0, steps - length)))


def test_forward_passes_match_addons():
    inputs, _, lengths, transitions = _case("ll")
    alphas = dlx_ops.crf_forward(inputs[:, 1:], inputs[:, 0], transitions, lengths)
    np.testing.assert_allclose(_np(alphas), REF["ll/forward"], **VALUES)
    backpointers, last_score = dlx_ops.crf_decode_forward(inputs[:, 1:], inputs[:, 0], transitions,
                                                          np.maximum(lengths - 1, 0))
    np.testing.assert_array_equal(_np(backpointers), REF["ll/decode_forward_backpointers"])
    np.testing.assert_allclose(_np(last_score), REF["ll/decode_forward_last_score"], **VALUES)
    tags = dlx_ops.crf_decode_backward(REF["ll/decode_forward_backpointers"], REF["ll/decode_backward_state"])
    np.testing.assert_array_equal(_np(tags), REF["ll/decode_backward"])


def test_multitag_score_and_constrained_decode_match_addons():
    inputs, _, lengths, transitions = _case("ll")
    bitmap = REF["multitag/bitmap"]
    np.testing.assert_array_equal(_np(dlx_ops.crf_filtered_inputs(inputs, bitmap)), REF["multitag/filtered"])
    score = dlx_ops.crf_multitag_sequence_score(inputs, bitmap, lengths, transitions)
    np.testing.assert_allclose(_np(score), REF["multitag/score"], **VALUES)
    score1 = dlx_ops.crf_multitag_sequence_score(REF["ll1/inputs"], bitmap[:3, :1], REF["ll1/lengths"], transitions)
    np.testing.assert_allclose(_np(score1), REF["multitag/score1"], **VALUES)
    tags, best = dlx_ops.crf_constrained_decode(inputs, bitmap, transitions, lengths)
    np.testing.assert_array_equal(_np(tags), REF["multitag/decode_tags"])
    np.testing.assert_allclose(_np(best), REF["multitag/best_score"], **VALUES)


@pytest.mark.parametrize("prefix", ["viterbi", "viterbi1"])
def test_numpy_viterbi_decode_matches_addons(prefix):
    path, score = dlx_ops.viterbi_decode(REF[f"{prefix}/score"], REF["ll/transitions"])
    assert path == REF[f"{prefix}/path"].tolist()
    np.testing.assert_allclose(score, REF[f"{prefix}/path_score"], **VALUES)


@pytest.mark.parametrize("prefix, kwargs", [("layer", {}), ("layer_mask", {}),
                                            ("layer_no_boundary", dict(use_boundary=False)),
                                            ("layer_no_kernel", dict(use_kernel=False))])
def test_crf_layer_matches_addons(prefix, kwargs):
    x = REF[f"{prefix}/x"]
    mask = REF.get(f"{prefix}/mask")
    layer = CRF(4, **kwargs)
    layer.build(x.shape)
    # Addons' weight order: chain_kernel, left_boundary, right_boundary, then its inner Dense's kernel and bias.
    names = ("chain_kernel", "left_boundary", "right_boundary", "kernel", "bias")
    layer.set_weights([REF[f"{prefix}/{name}"] for name in names if f"{prefix}/{name}" in REF])
    decoded, potentials, sequence_length, chain_kernel = layer(x, mask=mask)
    np.testing.assert_array_equal(_np(decoded), REF[f"{prefix}/decoded"])
    np.testing.assert_allclose(_np(potentials), REF[f"{prefix}/potentials"], **VALUES)
    np.testing.assert_array_equal(_np(sequence_length), REF[f"{prefix}/sequence_length"])
    np.testing.assert_array_equal(_np(chain_kernel), REF[f"{prefix}/chain_out"])


def test_crf_layer_symbolic_outputs_and_mask():
    inputs = keras.Input((5, 3))
    decoded, potentials, lengths, kernel = CRF(4)(keras.layers.Masking()(inputs))
    assert [tuple(t.shape) for t in (decoded, potentials, lengths, kernel)] == [(None, 5), (None, 5, 4), (None,),
                                                                                (4, 4)]
    assert [t.dtype for t in (decoded, potentials, lengths)] == ["int32", "float32", "int32"]
    x = np.ones((2, 5, 3), "float32")
    x[1, 3:] = 0  # masked by Masking: length 3
    out = keras.Model(inputs, [decoded, lengths]).predict(x, verbose=0)
    np.testing.assert_array_equal(out[1], [5, 3])
    assert np.all(out[0][1, 3:] == 0)  # padded positions decode as tag 0


def test_transition_matrices_of_the_wrong_shape_are_rejected():
    inputs, tags, lengths, _ = _case("ll")  # 5 tags
    for bad in (np.zeros((4, 4), "float32"), np.zeros((5, 4), "float32"), np.zeros((5,), "float32")):
        with pytest.raises(ValueError, match=r"`transition_params`: expected a square matrix of shape \(5, 5\)"):
            dlx_ops.crf_log_likelihood(inputs, tags, lengths, bad)
        with pytest.raises(ValueError, match="transition_params"):
            dlx_ops.crf_decode(inputs, bad, lengths)
        with pytest.raises(ValueError, match="transition_params"):
            dlx_ops.crf_log_norm(inputs, lengths, bad)
        with pytest.raises(ValueError, match="transition_params"):
            dlx_ops.viterbi_decode(inputs[0], bad)
    with pytest.raises(ValueError, match="transition_params"):
        dlx_ops.crf_binary_score(tags, lengths, np.zeros((5, 4), "float32"))


@pytest.mark.parametrize("kwargs, name", [
    (dict(units=0), "units"), (dict(units=2.5), "units"), (dict(units=3, use_boundary="yes"), "use_boundary"),
    (dict(units=3, use_kernel=None), "use_kernel"), (dict(units=3, chain_initializer="nope"), "chain_initializer"),
    (dict(units=3, boundary_initializer=3), "boundary_initializer")])
def test_crf_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Invalid `{name}`"):
        CRF(**kwargs)


def test_crf_rejects_bad_inputs():
    with pytest.raises(ValueError, match="need units=3 features"):
        CRF(3, use_kernel=False)(np.zeros((2, 4, 5), "float32"))
    with pytest.raises(ValueError, match="expected a 3D input"):
        CRF(3)(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"the mask must have shape \(batch, steps\)"):
        CRF(3)(np.zeros((2, 4, 3), "float32"), mask=np.ones((2, 4, 3), bool))
    with pytest.raises(ValueError, match="Invalid `base_model`"):
        CRFModelWrapper("not a model", units=3)


def _entity_task(seed, samples):
    """Words 0 are outside any entity (tag 0, "O"); each run of words 1 is an entity, tagged 1 ("B") on its first
    word and 2 ("I") after. The word alone cannot tell B from I (~75% accuracy for a per-word model); the CRF's
    transitions (O -> I and B -> B unlikely) can, so a CRF on word embeddings can decode every tag."""
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2, (samples, 10))
    previous = np.concatenate([np.zeros_like(words[:, :1]), words[:, :-1]], axis=1)
    return words, np.where(words == 0, 0, np.where(previous == 1, 2, 1))


def _tagger(seed, jit_compile="auto"):
    keras.utils.set_random_seed(seed)
    base = keras.Sequential([keras.Input((10,), dtype="int32"), keras.layers.Embedding(2, 8)])
    model = CRFModelWrapper(base, units=3)
    model.compile(optimizer=keras.optimizers.Adam(0.05), metrics=["accuracy"], jit_compile=jit_compile)
    return model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_crf_model_wrapper_learns_a_tagging_task_that_needs_transitions(seed):
    x, y = _entity_task(seed, 256)
    model = _tagger(seed)
    model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    x_test, y_test = _entity_task(100 + seed, 128)
    accuracy = np.mean(model.predict(x_test, verbose=0) == y_test)
    assert accuracy >= 0.97, accuracy  # a per-word model stays near 0.75


@pytest.mark.parametrize("jit_compile", [True])
def test_crf_model_wrapper_fits_under_jit(jit_compile):
    x, y = _entity_task(0, 32)
    model = _tagger(0, jit_compile=jit_compile)
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, sample_weight=np.ones(32))
    assert np.all(np.isfinite(history.history["loss"])) and history.history["loss"][1] < history.history["loss"][0]


def test_crf_model_wrapper_internals_config_and_keras_file(tmp_path):
    x, y = _entity_task(0, 8)
    model = _tagger(0)
    assert model.evaluate(x, y, verbose=0)[0] > 0  # the CRF loss, without a `loss` in compile
    (potentials, lengths, kernel), decoded = model(x[:2], return_crf_internal=True)
    assert tuple(potentials.shape) == (2, 10, 3) and tuple(kernel.shape) == (3, 3)
    np.testing.assert_array_equal(_np(lengths), [10, 10])
    config = model.get_config()
    assert CRFModelWrapper.from_config(config).get_config() == config
    path = os.path.join(tmp_path, "tagger.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_crf_layer_config_round_trip():
    layer = CRF(3, chain_initializer="glorot_uniform", use_boundary=False, boundary_initializer="ones",
                use_kernel=False, name="tagger")
    config = layer.get_config()
    assert CRF.from_config(config).get_config() == config
    assert {key: config[key] for key in ("units", "use_boundary", "use_kernel")} == dict(
        units=3, use_boundary=False, use_kernel=False)
