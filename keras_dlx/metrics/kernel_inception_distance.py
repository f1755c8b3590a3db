"""The Kernel Inception Distance (KID): unbiased MMD^2 between real and generated features, over subsets."""

import keras
import numpy as np
from keras import ops

from keras_dlx.metrics import feature_extractors as fx
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["KernelInceptionDistance"]


@register
class KernelInceptionDistance(keras.metrics.Metric):
    """Kernel Inception Distance: the unbiased squared maximum mean discrepancy (MMD^2) between the features
    of real and of generated images, with a polynomial kernel, averaged over random subsets.

    With the kernel `k(x, y) = (gamma x.y + coef)^degree` (by default `(x.y / d + 1)^3`, d the number of
    features) and, per subset, m real features `x_i` and m generated features `y_j` drawn without replacement,

        MMD^2 = sum_{i!=j} k(x_i, x_j) / (m (m-1)) + sum_{i!=j} k(y_i, y_j) / (m (m-1))
                - 2 sum_{i,j} k(x_i, y_j) / m^2

    `m = min(subset_size, real count, generated count)`; the result is `{"kid": mean, "kid_std": std}` over
    `subsets` subsets (std with ddof 0), drawn with a NumPy generator seeded by `seed` at every `result()` so
    the same state gives the same value. Unlike FID the estimate is unbiased: its expectation does not depend
    on the number of samples, and it can be slightly negative when the distributions are close.

    The state is every feature seen (KID samples subsets of them), so `update_state(real_images,
    generated_images)` runs eagerly and cannot run inside a traced function; either argument may be None. The
    kernel sums are computed with `keras.ops` in float64 (float32 on JAX without `jax_enable_x64`).

    Args:
        feature_extractor: None or a Keras model whose output is (batch, features); the images go to it
            unchanged. None (default): `keras_dlx.metrics.digit_feature_extractor()` for (batch, 28, 28, 1)
            digit images in [0, 1]; `keras_dlx.metrics.inception_feature_extractor()` for the standard KID.
        subsets: int >= 1, the number of random subsets. Defaults to 100.
        subset_size: int >= 2, the samples per set in a subset (fewer when fewer were seen). Defaults to 1000.
        degree: int >= 1, the kernel's degree. Defaults to 3.
        gamma: None or float > 0, the kernel's scale; None: 1 / features. Defaults to None.
        coef: float >= 0, the kernel's constant. Defaults to 1.
        seed: int, the seed of the subsets. Defaults to 0.
        name: str, the metric's name. Defaults to "kernel_inception_distance".
        dtype: the dtype of the results. Defaults to the Keras float type.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> identity = keras.Sequential([keras.Input((8,)), keras.layers.Identity()])
    >>> kid = keras_dlx.metrics.KernelInceptionDistance(identity, subsets=10, subset_size=50)
    >>> kid.update_state(rng.normal(size=(100, 8)), rng.normal(size=(100, 8)) + 1.0)
    >>> result = kid.result()
    >>> print(round(float(result["kid"]), 1), round(float(result["kid_std"]), 1))
    8.2 0.9

    Reference:
        - [Binkowski et al. 2018, Demystifying MMD GANs](https://arxiv.org/abs/1801.01401)
    """

    def __init__(self, feature_extractor=None, subsets=100, subset_size=1000, degree=3, gamma=None, coef=1,
                 seed=0, name="kernel_inception_distance", dtype=None):
        super().__init__(name=name, dtype=dtype)
        args.positive_int("subsets", subsets)
        args.positive_int("subset_size", subset_size)
        if subset_size < 2:
            args.invalid("subset_size", subset_size, "an int >= 2 (the unbiased estimate needs pairs)")
        args.positive_int("degree", degree)
        if gamma is not None:
            args.positive_float("gamma", gamma)
        args.non_negative_float("coef", coef)
        if not isinstance(seed, int) or isinstance(seed, bool):
            args.invalid("seed", seed, "an int")
        self.subsets, self.subset_size, self.degree = subsets, subset_size, degree
        self.gamma, self.coef, self.seed = gamma, coef, seed
        self._default_extractor = feature_extractor is None
        self.feature_extractor, self.num_features = fx.resolve_model("feature_extractor", feature_extractor,
                                                                     fx.digit_feature_extractor)
        self._features = {"real": [], "generated": []}

    def update_state(self, real_images, generated_images, sample_weight=None):
        if sample_weight is not None:
            args.invalid("sample_weight", sample_weight, "None (KID weighs every image equally)")
        for prefix, images in (("real", real_images), ("generated", generated_images)):
            if images is None:
                continue
            features = fx.apply_model("feature_extractor", self.feature_extractor, images, self.num_features,
                                      f"{prefix}_images")
            self.num_features = features.shape[-1]
            self._features[prefix].append(ops.convert_to_numpy(features))

    def _gathered(self, prefix):
        if not self._features[prefix]:
            args.invalid(f"{prefix}_images", "0 samples accumulated", "at least 2 samples (update_state first)")
        features = np.concatenate(self._features[prefix])
        if len(features) < 2:
            args.invalid(f"{prefix}_images", f"{len(features)} samples accumulated", "at least 2 samples")
        return features

    def result(self):
        real, generated = self._gathered("real"), self._gathered("generated")
        m = min(self.subset_size, len(real), len(generated))
        rng = np.random.default_rng(self.seed)
        dtype = fx.state_dtype()
        values = []
        for _ in range(self.subsets):
            x = ops.convert_to_tensor(real[rng.choice(len(real), m, replace=False)], dtype=dtype)
            y = ops.convert_to_tensor(generated[rng.choice(len(generated), m, replace=False)], dtype=dtype)
            values.append(float(ops.convert_to_numpy(self._mmd2(x, y))))
        values = np.array(values)
        return {"kid": ops.cast(values.mean(), self.dtype), "kid_std": ops.cast(values.std(), self.dtype)}

    def _kernel(self, a, b):
        gamma = self.gamma if self.gamma is not None else 1.0 / a.shape[-1]
        return (gamma * ops.matmul(a, ops.transpose(b)) + self.coef) ** self.degree

    def _mmd2(self, x, y):
        m = x.shape[0]
        k_xx, k_yy, k_xy = self._kernel(x, x), self._kernel(y, y), self._kernel(x, y)
        within = (ops.sum(k_xx) - ops.trace(k_xx) + ops.sum(k_yy) - ops.trace(k_yy)) / (m * (m - 1))
        return within - 2 * ops.sum(k_xy) / (m * m)

    def reset_state(self):
        self._features = {"real": [], "generated": []}

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "subsets": self.subsets, "subset_size": self.subset_size,
                "degree": self.degree, "gamma": self.gamma, "coef": self.coef, "seed": self.seed,
                "feature_extractor": fx.serialize_model(self.feature_extractor, self._default_extractor)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["feature_extractor"] = fx.deserialize_model(config.get("feature_extractor"))
        return cls(**config)
