"""The Inception Score (IS) of generated images: how confidently and how diversely a classifier labels them."""

import keras
import numpy as np
from keras import ops

from keras_dlx.metrics import feature_extractors as fx
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["InceptionScore"]


@register
class InceptionScore(keras.metrics.Metric):
    """Inception Score: the exponential of the mean KL divergence between a classifier's prediction for each
    generated image and its mean prediction.

    The images seen are cut, in order, into `splits` parts of (nearly) equal size; per part, with `p(y|x)` the
    classifier's probabilities and `p(y)` their mean over the part,

        IS = exp(E_x KL(p(y|x) || p(y))) = exp(E_x sum_y p(y|x) (log p(y|x) - log p(y)))

    (terms with p(y|x) = 0 count 0). The result is `{"inception_score": mean, "inception_score_std": std}` over
    the parts (std with ddof 0, as the original code). It lies between 1 and the number of classes: high when
    each image is classified confidently and the classes are used evenly.

    `update_state(generated_images)` keeps the classifier's probabilities of every image seen, so it runs
    eagerly and cannot run inside a traced function.

    Args:
        classifier: None or a Keras model whose output is (batch, classes) probabilities (a softmax); the images
            go to it unchanged. None (default): `keras_dlx.metrics.digit_classifier()`, the shipped MNIST digit
            classifier, for (batch, 28, 28, 1) images in [0, 1]. The standard IS uses Inception v3's ImageNet
            softmax on 299x299 images.
        splits: int >= 1, the number of parts. Defaults to 10.
        name: str, the metric's name. Defaults to "inception_score".
        dtype: the dtype of the results. Defaults to the Keras float type.

    Example:

    >>> softmax = keras.Sequential([keras.Input((4,)), keras.layers.Softmax()])
    >>> score = keras_dlx.metrics.InceptionScore(softmax, splits=1)
    >>> score.update_state(np.eye(4) * 50.0)  # four confident predictions of four different classes
    >>> print(round(float(score.result()["inception_score"]), 4))
    4.0

    Reference:
        - [Salimans et al. 2016, Improved Techniques for Training GANs](https://arxiv.org/abs/1606.03498)
    """

    def __init__(self, classifier=None, splits=10, name="inception_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        args.positive_int("splits", splits)
        self.splits = splits
        self._default_classifier = classifier is None
        self.classifier, self.num_classes = fx.resolve_model("classifier", classifier, fx.digit_classifier)
        self._probabilities = []

    def update_state(self, generated_images, sample_weight=None):
        if sample_weight is not None:
            args.invalid("sample_weight", sample_weight, "None (IS weighs every image equally)")
        probabilities = fx.apply_model("classifier", self.classifier, generated_images, self.num_classes,
                                       "generated_images")
        self.num_classes = probabilities.shape[-1]
        self._probabilities.append(ops.convert_to_numpy(ops.cast(probabilities, "float32")))

    def result(self):
        count = sum(len(p) for p in self._probabilities)
        if count < self.splits:
            args.invalid("generated_images", f"{count} samples accumulated",
                         f"at least splits={self.splits} samples (one per split)")
        dtype = fx.state_dtype()
        scores = []
        for part in np.array_split(np.concatenate(self._probabilities), self.splits):
            p = ops.convert_to_tensor(part, dtype=dtype)
            marginal = ops.mean(p, axis=0, keepdims=True)
            positive = p > 0
            terms = ops.where(positive, p * (ops.log(ops.where(positive, p, 1)) - ops.log(marginal)), 0)
            scores.append(float(ops.convert_to_numpy(ops.exp(ops.mean(ops.sum(terms, axis=1))))))
        scores = np.array(scores)
        return {"inception_score": ops.cast(scores.mean(), self.dtype),
                "inception_score_std": ops.cast(scores.std(), self.dtype)}

    def reset_state(self):
        self._probabilities = []

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "splits": self.splits,
                "classifier": fx.serialize_model(self.classifier, self._default_classifier)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classifier"] = fx.deserialize_model(config.get("classifier"))
        return cls(**config)
