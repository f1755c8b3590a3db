"""FID, KID and IS against float64 SciPy/NumPy references, the shipped digit feature extractor, bad input."""

import functools

import keras
import numpy as np
import pytest
import scipy.linalg

from keras_dlx import metrics
from keras_dlx.data.mnist import load_mnist
from keras_dlx.utils.arguments import InvalidArgumentError

# The shipped digit classifier's accuracy on the 1,000 embedded test digits is 0.974; the bar leaves room for
# the backends' rounding.
ACCURACY_BAR = 0.965


def identity(width):
    return keras.Sequential([keras.Input((width,)), keras.layers.Identity()])


def fid_reference(x, y):
    """The standard formula in float64 with scipy's matrix square root (pytorch-fid's computation)."""
    x, y = x.astype("float64"), y.astype("float64")
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2)
    return np.sum((x.mean(0) - y.mean(0)) ** 2) + np.trace(s1 + s2 - 2 * np.real(root))


def kid_reference(x, y, subsets, subset_size, seed=0, degree=3, gamma=None, coef=1.0):
    x, y = x.astype("float64"), y.astype("float64")
    m = min(subset_size, len(x), len(y))
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        a, b = x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)]
        k_aa, k_bb, k_ab = ((gamma * u @ v.T + coef) ** degree for u, v in ((a, a), (b, b), (a, b)))
        values.append((k_aa.sum() - np.trace(k_aa) + k_bb.sum() - np.trace(k_bb)) / (m * (m - 1))
                      - 2 * k_ab.mean())
    return np.mean(values), np.std(values)


def is_reference(p, splits):
    scores = []
    for part in np.array_split(p.astype("float64"), splits):
        marginal = part.mean(0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0).sum(1)
        scores.append(np.exp(kl.mean()))
    return np.mean(scores), np.std(scores)


def correlated(rng, n, d, shift=0.0):
    """Samples with a known random covariance A^T A and mean `shift`."""
    return (rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + shift).astype("float32")


def relative_tolerance():
    # float64 state everywhere except JAX without x64, which accumulates in float32.
    return 1e-6 if metrics.feature_extractors.state_dtype() == "float64" else 1e-4


# FID


@pytest.mark.parametrize("n, d", [(600, 16), (300, 64)])
def test_fid_matches_scipy_float64(n, d):
    rng = np.random.default_rng(d)
    x, y = correlated(rng, n, d, shift=2.0), correlated(rng, n + 50, d)
    fid = metrics.FrechetInceptionDistance(identity(d), dtype="float64")
    fid.update_state(x, y)
    np.testing.assert_allclose(float(fid.result()), fid_reference(x, y), rtol=relative_tolerance())


def test_fid_with_fewer_samples_than_features_stays_real_and_finite():
    rng = np.random.default_rng(1)
    x, y = correlated(rng, 10, 32), correlated(rng, 12, 32, shift=1.0)
    fid = metrics.FrechetInceptionDistance(identity(32), dtype="float64")
    fid.update_state(x, y)
    # scipy's sqrtm is inaccurate on these singular products; its real part is still the reference to ~1e-6.
    np.testing.assert_allclose(float(fid.result()), fid_reference(x, y), rtol=relative_tolerance() * 100)


def test_fid_of_identical_sets_is_zero():
    x = correlated(np.random.default_rng(2), 400, 24, shift=5.0)
    fid = metrics.FrechetInceptionDistance(identity(24))
    fid.update_state(x, x)
    assert abs(float(fid.result())) < 1e-3 * fid_reference(x, x + 1.0)


def test_fid_accumulates_batches_as_one_batch():
    rng = np.random.default_rng(3)
    x, y = correlated(rng, 300, 20, shift=100.0), correlated(rng, 240, 20, shift=99.0)
    whole, batched = (metrics.FrechetInceptionDistance(identity(20), dtype="float64") for _ in range(2))
    whole.update_state(x, y)
    for start in range(0, 300, 64):
        batched.update_state(x[start:start + 64], y[start:start + 64] if start < 240 else None)
    np.testing.assert_allclose(float(batched.result()), float(whole.result()), rtol=relative_tolerance())
    batched.reset_state()
    batched.update_state(x, y)
    np.testing.assert_allclose(float(batched.result()), float(whole.result()), rtol=relative_tolerance())


def test_frechet_distance_function_matches_scipy():
    rng = np.random.default_rng(4)
    x, y = correlated(rng, 200, 8), correlated(rng, 200, 8, shift=1.0)
    value = metrics.frechet_distance(x.mean(0).astype("float64"), np.cov(x.astype("float64"), rowvar=False),
                                     y.mean(0).astype("float64"), np.cov(y.astype("float64"), rowvar=False))
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(value)), fid_reference(x, y),
                               rtol=relative_tolerance())


# KID and IS


def test_kid_matches_numpy_reference():
    rng = np.random.default_rng(5)
    x, y = correlated(rng, 120, 10), correlated(rng, 100, 10, shift=0.5)
    kid = metrics.KernelInceptionDistance(identity(10), subsets=7, subset_size=60, seed=3, dtype="float64")
    kid.update_state(x[:70], y[:30])
    kid.update_state(x[70:], y[30:])
    result = kid.result()
    mean, std = kid_reference(x, y, subsets=7, subset_size=60, seed=3)
    np.testing.assert_allclose([float(result["kid"]), float(result["kid_std"])], [mean, std],
                               rtol=relative_tolerance() * 10)


def test_kid_kernel_arguments_and_small_sets():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(30, 5)), rng.normal(size=(25, 5)) + 1.0
    kid = metrics.KernelInceptionDistance(identity(5), subsets=3, subset_size=1000, degree=2, gamma=0.5, coef=0.0,
                                          seed=1, dtype="float64")
    kid.update_state(x, y)  # subset_size larger than the sets: m = 25
    mean, std = kid_reference(x, y, 3, 1000, seed=1, degree=2, gamma=0.5, coef=0.0)
    np.testing.assert_allclose(float(kid.result()["kid"]), mean, rtol=relative_tolerance() * 10)


def test_inception_score_matches_numpy_reference():
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(103, 6)) * 3
    logits[:5, 0] = 60.0  # probabilities that underflow to 0 in float32
    softmax = keras.Sequential([keras.Input((6,)), keras.layers.Softmax()])
    score = metrics.InceptionScore(softmax, splits=4)
    score.update_state(logits[:50])
    score.update_state(logits[50:])
    probabilities = keras.ops.convert_to_numpy(softmax(logits.astype("float32")))
    mean, std = is_reference(probabilities, 4)
    result = score.result()
    np.testing.assert_allclose([float(result["inception_score"]), float(result["inception_score_std"])],
                               [mean, std], rtol=1e-5)
    score.reset_state()
    score.update_state(np.tile(np.eye(6) * 80.0, (2, 1)))
    # Each of the 4 parts holds 3 confident predictions of 3 different classes.
    np.testing.assert_allclose(float(score.result()["inception_score"]), 3.0, rtol=1e-5)


# The shipped digit extractor


@functools.lru_cache(maxsize=1)
def embedded_test_digits():
    return load_mnist("embedded")[1]


@functools.lru_cache(maxsize=1)
def digit_classifier():
    return metrics.digit_classifier()


def test_shipped_digit_classifier_accuracy():
    x, y = embedded_test_digits()
    predictions = np.argmax(keras.ops.convert_to_numpy(digit_classifier().predict(x, batch_size=500, verbose=0)),
                            axis=-1)
    assert np.mean(predictions == y) >= ACCURACY_BAR


def test_fid_floor_of_real_digit_halves_is_far_below_noise():
    x, _ = embedded_test_digits()
    fid = metrics.FrechetInceptionDistance()  # the default: digit features
    assert fid.feature_extractor.output_shape == (None, 128)
    fid.update_state(x[:500], x[500:])
    floor = float(fid.result())
    fid.reset_state()
    noise = np.random.default_rng(0).uniform(size=(500, 28, 28, 1)).astype("float32")
    fid.update_state(x[:500], noise)
    assert 0 < floor < float(fid.result()) / 20


def test_default_inception_score_of_real_digits():
    x, _ = embedded_test_digits()
    score = metrics.InceptionScore(digit_classifier(), splits=2)
    score.update_state(x[:400])
    # Ten classes used about evenly and predicted confidently: close to the maximum, 10.
    assert 8.0 < float(score.result()["inception_score"]) <= 10.0


def test_inception_feature_extractor_mechanics(monkeypatch):
    # A stand-in for the 23.9M-parameter InceptionV3 (its build alone takes ~10 s): the per-channel means of
    # the image it receives, which show the resize, the grey->RGB copy and the [-1, 1] scaling.
    import keras_dlx.applications

    received = {}

    def stand_in(**kwargs):
        received.update(kwargs)
        inputs = keras.Input(kwargs["input_shape"])
        return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))

    monkeypatch.setattr(keras_dlx.applications, "InceptionV3", stand_in)
    extractor = metrics.inception_feature_extractor(weights=None, input_shape=(28, 28, 1))
    assert received == {"include_top": False, "weights": None, "input_shape": (299, 299, 3), "pooling": "avg"}
    assert extractor.get_layer("resize").output.shape[1:3] == (299, 299)
    features = keras.ops.convert_to_numpy(extractor(np.full((2, 28, 28, 1), 255.0, "float32")))
    np.testing.assert_allclose(features, np.ones((2, 3)), atol=1e-5)
    fid = metrics.FrechetInceptionDistance(extractor)
    images = np.random.default_rng(0).uniform(0, 255, size=(4, 28, 28, 1)).astype("float32")
    fid.update_state(images, images[::-1])
    assert np.isfinite(float(fid.result()))
    with pytest.raises(ValueError, match="input_shape"):
        metrics.inception_feature_extractor(weights=None, input_shape=(28, 28, 2))


# Config round trip and bad input


def test_config_round_trip():
    kid = metrics.KernelInceptionDistance(identity(4), subsets=3, subset_size=10, degree=2, gamma=0.1, coef=0.5,
                                          seed=9, name="kid")
    clone = metrics.KernelInceptionDistance.from_config(kid.get_config())
    assert clone.get_config()["subsets"] == 3 and clone.feature_extractor.output_shape == (None, 4)
    for metric in (metrics.FrechetInceptionDistance(identity(3)), metrics.InceptionScore(identity(3), splits=2)):
        clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
        assert type(clone) is type(metric) and clone.get_config() == metric.get_config()
    default = metrics.FrechetInceptionDistance()
    assert default.get_config()["feature_extractor"] is None


def test_reset_state_leaves_the_extractor_weights_alone():
    extractor = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    kernel = keras.ops.convert_to_numpy(extractor.weights[0])
    fid = metrics.FrechetInceptionDistance(extractor)
    fid.reset_state()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(extractor.weights[0]), kernel)


def test_bad_input():
    four_d = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Identity()])
    for cls in (metrics.FrechetInceptionDistance, metrics.KernelInceptionDistance):
        with pytest.raises(ValueError, match="feature_extractor.*2-D"):
            cls(four_d)
    with pytest.raises(ValueError, match="classifier.*2-D"):
        metrics.InceptionScore(four_d)
    with pytest.raises(ValueError, match="feature_extractor"):
        metrics.FrechetInceptionDistance("inception")
    fid = metrics.FrechetInceptionDistance(identity(3))
    with pytest.raises(ValueError, match="real_images.*at least 2"):
        fid.result()
    fid.update_state(np.ones((1, 3)), np.ones((5, 3)))
    with pytest.raises(ValueError, match="real_images.*at least 2"):
        fid.result()
    with pytest.raises(ValueError, match="generated_images.*3 features"):
        metrics.KernelInceptionDistance(identity(3)).update_state(np.ones((2, 3)), np.ones((2, 5)))
    for kwargs, name in (({"subsets": 0}, "subsets"), ({"subset_size": 1}, "subset_size"), ({"degree": 0}, "degree"),
                         ({"gamma": -1.0}, "gamma")):
        with pytest.raises(InvalidArgumentError, match=f"`{name}`"):
            metrics.KernelInceptionDistance(identity(3), **kwargs)
    with pytest.raises(InvalidArgumentError, match="`splits`"):
        metrics.InceptionScore(identity(3), splits=0)
    score = metrics.InceptionScore(identity(3), splits=4)
    score.update_state(np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="generated_images.*splits=4"):
        score.result()
