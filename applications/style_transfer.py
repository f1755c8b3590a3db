"""Neural style transfer (Gatys et al.): optimise an image so that its deep features match one image's content and
its Gram matrices match another's style."""

import keras
import numpy as np
from keras import ops

from keras_dlx.applications import registry
from keras_dlx.layers import GramMatrix
from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

# The layers of Gatys et al.: content from conv4_2, style from conv1_1 ... conv5_1 (Keras's VGG19 names).
CONTENT_LAYERS = ("block4_conv2",)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def _layer_names(name, value):
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value or not all(isinstance(v, str) for v in value):
        args.invalid(name, value, "a non-empty list of layer names of the feature extractor")
    return tuple(value)


def _image_batch(name, value):
    image = np.asarray(keras.ops.convert_to_numpy(value), "float32")
    if image.ndim == 3:
        image = image[None]
    if image.ndim != 4 or not np.all(np.isfinite(image)):
        args.invalid(name, f"an array of shape {image.shape}", "a finite image (rows, cols, channels) or a batch "
                     "of them (batch, rows, cols, channels)")
    return image


def vgg19_preprocess(images):
    """Caffe-style VGG input from RGB in [0, 255]: channels reversed to BGR, ImageNet's channel means removed (what
    `keras.applications.vgg19.preprocess_input` does; keras.ops, differentiable)."""
    mean = ops.convert_to_tensor(np.array([103.939, 116.779, 123.68], "float32"))
    return ops.flip(images, axis=-1) - mean


class _Canvas(keras.layers.Layer):
    """The image being optimised, as the layer's one weight, kept inside `value_range` by a constraint."""

    def __init__(self, initial, value_range, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial
        low, high = value_range
        self.image = self.add_weight(shape=initial.shape, initializer=keras.initializers.Constant(initial),
                                     constraint=lambda v: ops.clip(v, low, high), name="image")

    def call(self, batch_marker):
        # Keras's fit feeds a batch; the canvas ignores its values (the image is the only input).
        return self.image + 0.0 * ops.sum(ops.cast(batch_marker, self.image.dtype))


@register
class StyleTransfer(keras.Model):
    """Gatys et al.'s style transfer as a `keras.Model` whose only trainable weight is the image.

    With F_l the features of layer l (N_l channels, M_l positions), G_l their Gram matrix averaged over positions
    (`keras_dlx.layers.GramMatrix`), x the image, c the content and s the style image:

        L(x) = content_weight * sum_{l in content} mean((F_l(x) - F_l(c))^2)
             + style_weight / |style| * sum_{l in style} sum((G_l(x) - G_l(s))^2) / (4 N_l^2)
             + total_variation_weight * mean(|x[i+1, j] - x[i, j]| + |x[i, j+1] - x[i, j]|)

    (the paper's style term is `1 / (4 N_l^2 M_l^2) sum (G - A)^2` with unnormalised Gram matrices: the same
    thing). The feature extractor is frozen; `fit` on any dummy data moves only the image, which a constraint
    keeps inside `value_range` after every step, so any Keras optimizer and backend works. `model.image` is the
    current result. `style_transfer(...)` builds, compiles and fits one for you.

    Args:
        content: the content image, (rows, cols, channels) or (1, rows, cols, channels), in `value_range`.
        style: the style image (any size the extractor accepts; same channels).
        feature_extractor: a Keras model holding the named layers, or None: `applications.VGG19(include_top=False,
            weights=weights)` built for the content's size (grey images are repeated to three channels).
        weights: the VGG19 weights when `feature_extractor` is None (None, "imagenet" or a path). Defaults to
            None (random features: mechanics only).
        content_layers: layer names whose features carry the content. Defaults to ("block4_conv2",).
        style_layers: layer names whose Gram matrices carry the style. Defaults to block1_conv1 ... block5_conv1.
        content_weight, style_weight, total_variation_weight: the loss weights (alpha, beta and a smoothness
            term). Default 1.0, 1e3 and 0.0.
        preprocess: None or a function applied (with keras.ops) to images before the extractor; when
            `feature_extractor` is None and `weights` is set, `vgg19_preprocess` (RGB in [0, 255] in). Defaults
            to None.
        init: "content" (start from the content image, as most implementations) or "noise" (uniform in
            `value_range`, as the paper). Defaults to "content".
        value_range: (low, high) of the image's values. Defaults to (0.0, 255.0).
        seed: seed of the "noise" start.

    Reference:
        - [Gatys et al. 2016, Image Style Transfer Using Convolutional Neural
          Networks](https://openaccess.thecvf.com/content_cvpr_2016/html/Gatys_Image_Style_Transfer_CVPR_2016_paper.html)
    """

    def __init__(self, content, style, feature_extractor=None, weights=None, content_layers=CONTENT_LAYERS,
                 style_layers=STYLE_LAYERS, content_weight=1.0, style_weight=1e3, total_variation_weight=0.0,
                 preprocess=None, init="content", value_range=(0.0, 255.0), seed=None, **kwargs):
        super().__init__(**kwargs)
        content, style = _image_batch("content", content), _image_batch("style", style)
        if len(content) != 1 or len(style) != 1:
            args.invalid("content", f"{len(content)} content and {len(style)} style images", "one of each")
        if content.shape[-1] != style.shape[-1]:
            args.invalid("style", f"an image with {style.shape[-1]} channels",
                         f"the content image's {content.shape[-1]} channels")
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not float(value_range[0]) < float(value_range[1])):
            args.invalid("value_range", value_range, "(low, high) with low < high")
        self.value_range = (float(value_range[0]), float(value_range[1]))
        self.content_layers = _layer_names("content_layers", content_layers)
        self.style_layers = _layer_names("style_layers", style_layers)
        self.content_weight = args.non_negative_float("content_weight", content_weight)
        self.style_weight = args.non_negative_float("style_weight", style_weight)
        self.total_variation_weight = args.non_negative_float("total_variation_weight", total_variation_weight)
        if preprocess is not None and not callable(preprocess):
            args.invalid("preprocess", preprocess, "None or a function of an image batch")
        extractor, preprocess = self._extractor(feature_extractor, weights, content.shape[1:], preprocess)
        self.preprocess = preprocess or (lambda images: images)
        self.extractor = self._feature_model(extractor)
        self.gram = GramMatrix(dtype="float32", name="gram")
        self.content_targets, self.style_targets = self._targets(content, style)
        self.canvas = _Canvas(self._initial(content, args.one_of("init", init, ("content", "noise")), seed),
                              self.value_range, name="canvas")

    def _extractor(self, feature_extractor, weights, shape, preprocess):
        if feature_extractor is not None:
            if not isinstance(feature_extractor, keras.Model):
                args.invalid("feature_extractor", feature_extractor, "None or a keras.Model")
            return feature_extractor, preprocess
        extractor = registry.get_model("vgg19", include_top=False, weights=weights, input_shape=shape[:2] + (3,))
        if preprocess is None and weights is not None:
            preprocess = vgg19_preprocess
        if shape[-1] == 1:
            user = preprocess or (lambda images: images)
            preprocess = lambda images: user(ops.repeat(images, 3, axis=-1))  # noqa: E731
        return extractor, preprocess

    def _feature_model(self, extractor):
        names = {layer.name for layer in extractor.layers}
        for argument, wanted in (("content_layers", self.content_layers), ("style_layers", self.style_layers)):
            missing = [name for name in wanted if name not in names]
            if missing:
                args.invalid(argument, wanted, f"layers of {extractor.name!r} (missing: {', '.join(missing)})")
        outputs = [extractor.get_layer(name).output for name in self.content_layers + self.style_layers]
        if len(extractor.inputs) != 1:
            args.invalid("feature_extractor", extractor.name, "a model with one image input")
        model = keras.Model(extractor.inputs[0], outputs, name="style_features")
        model.trainable = False
        return model

    def _features(self, images):
        features = self.extractor(self.preprocess(images), training=False)
        features = [ops.cast(f, "float32") for f in features]
        split = len(self.content_layers)
        return features[:split], [self.gram(f) for f in features[split:]]

    def _targets(self, content, style):
        content_features, _ = self._features(ops.convert_to_tensor(content))
        _, style_grams = self._features(ops.convert_to_tensor(style))
        return ([np.asarray(ops.convert_to_numpy(f)) for f in content_features],
                [np.asarray(ops.convert_to_numpy(g)) for g in style_grams])

    def _initial(self, content, init, seed):
        if init == "content":
            return content
        low, high = self.value_range
        return np.random.default_rng(seed).uniform(low, high, content.shape).astype("float32")

    @property
    def image(self):
        """The current image, a (1, rows, cols, channels) float32 NumPy array."""
        return np.asarray(ops.convert_to_numpy(self.canvas.image))

    def call(self, batch_marker):
        return self.canvas(batch_marker)

    def losses_of(self, image):
        """The content, style and total-variation terms (weighted) of `image`, as a dict of scalars."""
        content_features, style_grams = self._features(image)
        content = sum(ops.mean(ops.square(f - t)) for f, t in zip(content_features, self.content_targets))
        style = sum(ops.sum(ops.square(g - t)) / (4.0 * float(t.shape[-1]) ** 2)
                    for g, t in zip(style_grams, self.style_targets)) / len(self.style_targets)
        variation = (ops.mean(ops.abs(image[:, 1:] - image[:, :-1]))
                     + ops.mean(ops.abs(image[:, :, 1:] - image[:, :, :-1])))
        return {"content_loss": self.content_weight * content, "style_loss": self.style_weight * style,
                "variation_loss": self.total_variation_weight * variation}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        terms = self.losses_of(y_pred)
        return terms["content_loss"] + terms["style_loss"] + terms["variation_loss"]


def style_transfer(content, style, feature_extractor=None, *, weights=None, content_layers=CONTENT_LAYERS,
                   style_layers=STYLE_LAYERS, content_weight=1.0, style_weight=1e3, total_variation_weight=0.0,
                   steps=200, learning_rate=None, optimizer=None, preprocess=None, init="content",
                   value_range=(0.0, 255.0), seed=None, verbose=0):
    """Gatys et al.'s style transfer: the content image repainted in the style image's textures.

    Builds a `StyleTransfer` model (see it for the loss and every argument), compiles it with `optimizer`
    (default Adam with `learning_rate`, default 1% of the value range per step) and runs `steps` optimisation
    steps through `fit`. Returns `(image, history)`: the image as a float32 NumPy array shaped like `content`,
    inside `value_range`, and the `keras.callbacks.History` of the loss.

    Example:

    >>> content = np.random.default_rng(0).uniform(0, 255, (32, 32, 3)).astype("float32")
    >>> style = np.random.default_rng(1).uniform(0, 255, (32, 32, 3)).astype("float32")
    >>> image, history = applications.style_transfer(content, style, steps=3,
    ...                                              style_layers=("block1_conv1", "block2_conv1"))
    >>> image.shape, len(history.history["loss"])
    ((32, 32, 3), 3)
    """
    steps = args.positive_int("steps", steps)
    model = StyleTransfer(content, style, feature_extractor=feature_extractor, weights=weights,
                          content_layers=content_layers, style_layers=style_layers, content_weight=content_weight,
                          style_weight=style_weight, total_variation_weight=total_variation_weight,
                          preprocess=preprocess, init=init, value_range=value_range, seed=seed)
    if optimizer is None:
        low, high = model.value_range
        rate = 0.01 * (high - low) if learning_rate is None else args.positive_float("learning_rate", learning_rate)
        optimizer = keras.optimizers.Adam(rate)
    model.compile(optimizer=optimizer)
    marker = np.zeros((1, 1), "float32")
    history = model.fit(marker, epochs=steps, batch_size=1, verbose=verbose)
    image = model.image
    return (image[0] if np.ndim(content) == 3 else image), history
