"""keras_dlx.applications: every registered model builds and trains, published parameter counts, weight
compatibility with keras.applications, feature maps, the fully-convolutional conversion and bad input."""

import keras
import numpy as np
import pytest

from keras_dlx import applications
from keras_dlx.applications import weights as weight_files

RNG = np.random.default_rng(0)

TRAINED = ("lenet5", "resnet18", "mobilenet", "shufflenet_g3", "googlenet")


@pytest.fixture(autouse=True)
def _fresh_session():
    yield
    keras.backend.clear_session()


def small_shape(name):
    size = applications.registry.min_input_size(name)
    return (size, size, 1 if name == "lenet5" else 3)


def as_numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.slow
@pytest.mark.parametrize("name", applications.list_models())
def test_every_registered_model_builds_and_predicts(name):
    model = applications.get_model(name, input_shape=small_shape(name), classes=5)
    x = RNG.uniform(0, 1, (2,) + small_shape(name)).astype("float32")
    y = as_numpy(model(x))
    assert y.shape == (2, 5)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)  # softmax head
    if name in TRAINED:
        model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy", jit_compile=name == "lenet5")
        before = [as_numpy(w) for w in model.trainable_weights]
        history = model.fit(x, np.array([1, 3]), epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        moved = [not np.array_equal(b, as_numpy(w)) for b, w in zip(before, model.trainable_weights)]
        assert all(moved), [w.path for w, m in zip(model.trainable_weights, moved) if not m]


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


# (registry name, kwargs, count, which count, reference). keras.applications' `count_params()` includes the
# BatchNormalization moving statistics; torchvision and the papers count trainable parameters only.
PUBLISHED = [
    ("lenet5", {}, 61_706, "total", "LeCun et al. 1998, C1 156 + C3 2,416 + F5 48,120 + F6 10,164 + out 850"),
    ("alexnet", {}, 62_378_344, "total", "Krizhevsky et al. 2012, single-tower layer sizes (conv 96-256-384-384-256)"),
    ("vgg16", {}, 138_357_544, "total", "keras.applications.VGG16 and torchvision vgg16"),
    ("vgg19", {}, 143_667_240, "total", "keras.applications.VGG19 and torchvision vgg19"),
    ("vgg11", {}, 132_863_336, "total", "torchvision vgg11"),
    ("vgg16_bn", {}, 138_365_992, "trainable", "torchvision vgg16_bn"),
    ("resnet18", {}, 11_689_512, "trainable", "torchvision resnet18"),
    ("resnet34", {}, 21_797_672, "trainable", "torchvision resnet34"),
    ("resnet50", {}, 25_636_712, "total", "keras.applications.ResNet50"),
    ("resnet101", {}, 44_707_176, "total", "keras.applications.ResNet101"),
    ("resnet152", {}, 60_419_944, "total", "keras.applications.ResNet152"),
    ("resnet50v2", {}, 25_613_800, "total", "keras.applications.ResNet50V2"),
    ("resnet101v2", {}, 44_675_560, "total", "keras.applications.ResNet101V2"),
    ("resnet152v2", {}, 60_380_648, "total", "keras.applications.ResNet152V2"),
    ("resnext50_32x4d", {}, 25_028_904, "trainable", "torchvision resnext50_32x4d"),
    ("resnext101_32x8d", {}, 88_791_336, "trainable", "torchvision resnext101_32x8d"),
    ("inception_v3", {}, 23_851_784, "total", "keras.applications.InceptionV3"),
    ("mobilenet", {}, 4_253_864, "total", "keras.applications.MobileNet (alpha 1.0)"),
    ("googlenet", {}, 6_998_552, "total", "Szegedy et al. 2015 table 1 (5x5 branches, biased convs, no aux heads)"),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs, count, which, reference", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_parameter_counts_equal_the_published_ones(name, kwargs, count, which, reference):
    model = applications.get_model(name, **kwargs)
    assert (model.count_params() if which == "total" else trainable_count(model)) == count, reference


def test_resnet50_v1_5_counts_torchvision_parameters():
    model = applications.ResNet(50, version="v1.5")  # torchvision resnet50: bias-free convolutions
    assert trainable_count(model) == 25_557_032


def shuffle_unit_params(cin, cout, g, stride, grouped_first):
    """ShuffleNet unit arithmetic: 1x1 GConv (g or 1 groups) + BN, 3x3 depthwise + BN, 1x1 GConv + BN."""
    mid, branch = cout // 4, cout - cin if stride == 2 else cout
    g1 = g if grouped_first else 1
    return cin // g1 * mid + 4 * mid + 9 * mid + 4 * mid + mid // g * branch + 4 * branch


@pytest.mark.parametrize("groups, stage2", [(1, 144), (3, 240), (8, 384)])
def test_shufflenet_parameters_follow_the_papers_table(groups, stage2):
    total, cin = 3 * 3 * 3 * 24 + 4 * 24, 24  # stem conv + BN
    for stage, repeats in enumerate((4, 8, 4)):
        cout = stage2 * 2 ** stage
        for i in range(repeats):
            total += shuffle_unit_params(cin, cout, groups, 2 if i == 0 else 1, stage + i > 0)
            cin = cout
    total += cin * 1000 + 1000
    assert applications.ShuffleNet(groups).count_params() == total


def randomize(model):
    """Random values everywhere, so that a misplaced array shows: kernels are random already (Glorot), the
    BatchNormalization statistics and scales and every bias (zero at initialization) are drawn here."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([RNG.uniform(0.5, 1.5, w.shape) if w.name in ("gamma", "moving_variance")
                               else RNG.normal(0, 0.1, w.shape) for w in layer.weights])
        else:
            for weight in layer.weights:
                if len(weight.shape) == 1:
                    weight.assign(RNG.normal(0, 0.05, weight.shape))


# (keras.applications constructor, keras_dlx constructor, input size, constructor arguments)
# ResNet101(V2) is left out: its layer names are a subset of ResNet152(V2)'s, built by the same code.
TWINS = [
    ("ResNet50", "resnet50", 64, {}), ("ResNet152", "resnet152", 64, {}),
    ("ResNet50V2", "resnet50v2", 64, {}), ("ResNet152V2", "resnet152v2", 64, {}),
    ("VGG16", "vgg16", 32, {}), ("VGG19", "vgg19", 32, {}),
    ("InceptionV3", "inception_v3", 75, {}), ("MobileNet", "mobilenet", 64, {}),
    ("MobileNet", "mobilenet", 64, dict(alpha=0.5)),
]


@pytest.mark.slow
@pytest.mark.parametrize("keras_name, name, size, kwargs", TWINS, ids=[f"{t[0]}{t[3] or ''}" for t in TWINS])
def test_keras_applications_weight_files_load_and_predict_the_same(tmp_path, keras_name, name, size, kwargs):
    common = dict(input_shape=(size, size, 3), classes=7, **kwargs)
    peer = getattr(keras.applications, keras_name)(weights=None, **common)
    randomize(peer)
    path = str(tmp_path / "peer.weights.h5")
    peer.save_weights(path)
    x = RNG.uniform(0, 255, (2, size, size, 3)).astype("float32") / 127.5 - 1
    expected = as_numpy(peer(x, training=False))  # eager: no tf.function to trace for a 152-layer model
    model = applications.get_model(name, weights=path, **common)
    np.testing.assert_allclose(as_numpy(model(x, training=False)), expected, atol=1e-5)
    assert model.count_params() == peer.count_params()
    if keras_name == "ResNet50":  # the comparison can fail: without the file the predictions differ
        untrained = applications.get_model(name, **common)
        assert not np.allclose(as_numpy(untrained(x, training=False)), expected, atol=1e-5)


@pytest.mark.slow
def test_keras_weights_load_without_top_and_into_feature_maps(tmp_path):
    peer = keras.applications.ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
    randomize(peer)
    path = str(tmp_path / "notop.weights.h5")
    peer.save_weights(path)
    x = RNG.standard_normal((2, 64, 64, 3)).astype("float32")
    model = applications.ResNet50(weights=path, include_top=False, pooling="avg", input_shape=(64, 64, 3))
    np.testing.assert_allclose(model.predict(x, verbose=0), peer.predict(x, verbose=0), atol=1e-5)
    features = applications.ResNet50(weights=path, features_only=True, input_shape=(64, 64, 3))
    last = as_numpy(features(x)[-1])
    np.testing.assert_allclose(last.mean(axis=(1, 2)), peer.predict(x, verbose=0), rtol=1e-5, atol=1e-3)


def test_own_weight_files_round_trip(tmp_path):
    model = applications.ShuffleNet(3, input_shape=(32, 32, 3), classes=4)
    randomize(model)
    path = str(tmp_path / "shufflenet.weights.h5")
    model.save_weights(path)
    clone = applications.ShuffleNet(3, input_shape=(32, 32, 3), classes=4, weights=path)
    x = RNG.standard_normal((2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("name", ["lenet5", "googlenet", "resnet18"])
def test_keras_file_round_trip(tmp_path, name):
    kwargs = dict(small_input=True) if name == "resnet18" else {}
    model = applications.get_model(name, input_shape=small_shape(name), classes=3, **kwargs)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = RNG.uniform(0, 1, (2,) + small_shape(name)).astype("float32")
    np.testing.assert_allclose(as_numpy(loaded(x)), as_numpy(model(x)), atol=1e-6)


# One model per backbone code path (the named constructors of a family share it).
FEATURE_BACKBONES = ["alexnet", "googlenet", "inception_v3", "mobilenet", "resnet18", "resnet50", "resnet50v2",
                     "resnext50_32x4d", "shufflenet_g3", "vgg11", "vgg16_bn"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FEATURE_BACKBONES)
def test_feature_maps_at_strides_4_to_32(name):
    model = applications.get_model(name, features_only=True, input_shape=(None, None, 3))
    size = 128
    outputs = model(np.zeros((1, size, size, 3), "float32"))
    assert len(outputs) == 4
    for stride, feature in zip((4, 8, 16, 32), outputs):
        rows = feature.shape[1]
        if name in ("alexnet", "inception_v3"):  # "valid" convolutions lose a few pixels at every reduction
            assert size // stride - 4 <= rows <= size // stride, (stride, feature.shape)
        else:
            assert rows in (size // stride, -(-size // stride)), (stride, feature.shape)


def test_lenet5_feature_maps_are_its_two_pools():
    model = applications.LeNet5(features_only=True, input_shape=(28, 28, 1))
    assert [tuple(o.shape[1:]) for o in model.outputs] == [(14, 14, 6), (5, 5, 16)]


def test_googlenet_auxiliary_classifiers_are_extra_outputs():
    model = applications.GoogLeNet(aux_logits=True, input_shape=(96, 96, 3), classes=6)
    assert [tuple(o.shape) for o in model.outputs] == [(None, 6)] * 3
    inference = keras.Model(model.input, model.outputs[0])
    plain = applications.GoogLeNet(input_shape=(96, 96, 3), classes=6)
    assert inference.count_params() == plain.count_params()
    assert model.count_params() - plain.count_params() == 2 * (128 * 1024 + 1024 + 1024 * 6 + 6) \
        + (512 * 128 + 128) + (528 * 128 + 128)  # side heads on 4a (512 channels) and 4d (528)


def test_resnet_small_input_and_stochastic_depth():
    model = applications.ResNet18(small_input=True, input_shape=(28, 28, 1), classes=10, drop_path_rate=0.1)
    assert model.get_layer("conv5_block2").drop_path_rate == pytest.approx(0.1)
    assert model.get_layer("conv2_block1").drop_path_rate == 0
    assert model.output.shape == (None, 10)


def test_mixed_precision_forward():
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = applications.ResNet18(small_input=True, input_shape=(32, 32, 3), classes=10)
    y = as_numpy(keras.ops.cast(model(RNG.standard_normal((2, 32, 32, 3)).astype("float32")), "float32"))
    assert np.all(np.isfinite(y)) and all(w.dtype == "float32" for w in model.weights)


# --- to_fully_convolutional ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, size", [("vgg11", 64), ("alexnet", 67), ("lenet5", 32)])
def test_fully_convolutional_model_equals_the_classifier_on_its_training_size(name, size):
    channels = 1 if name == "lenet5" else 3
    model = applications.get_model(name, input_shape=(size, size, channels), classes=5, classifier_activation=None)
    fcn = applications.to_fully_convolutional(model)
    image = RNG.uniform(0, 1, (2, size, size, channels)).astype("float32")
    scores = as_numpy(fcn(image))
    assert scores.shape == (2, 1, 1, 5)
    np.testing.assert_allclose(scores[:, 0, 0], as_numpy(model(image)), rtol=1e-5, atol=1e-5)


def test_fully_convolutional_windows_equal_the_classifier_on_each_crop():
    # Exact for networks without "same" padding: LeNet5 (stride 4). With zero-padded convolutions (VGG,
    # AlexNet) a window sees real pixels where the lone crop sees padding, so scores near crop borders differ.
    model = applications.LeNet5(input_shape=(32, 32, 1), classes=5, classifier_activation=None)
    fcn = applications.to_fully_convolutional(model)
    image = RNG.uniform(0, 1, (1, 40, 40, 1)).astype("float32")
    scores = as_numpy(fcn(image))
    assert scores.shape == (1, 3, 3, 5)
    for i, j in ((1, 1), (0, 0), (2, 1)):  # (1, 1) is the centred crop
        crop = image[:, 4 * i:4 * i + 32, 4 * j:4 * j + 32]
        np.testing.assert_allclose(scores[0, i, j], as_numpy(model(crop))[0], rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_vgg16_slides_over_384_pixels_as_a_6x6_score_map():
    fcn = applications.to_fully_convolutional(applications.VGG16())
    assert fcn.compute_output_shape((1, 384, 384, 3)) == (1, 6, 6, 1000)


def test_fully_convolutional_needs_a_flatten_head():
    with pytest.raises(ValueError, match="Flatten"):
        applications.to_fully_convolutional(applications.ResNet18(input_shape=(32, 32, 3), classes=3))


def test_fully_convolutional_needs_a_chain():
    inputs = keras.Input((8, 8, 3))
    a = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    b = keras.layers.Conv2D(4, 1)(inputs)
    x = keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Add()([a, b])))
    with pytest.raises(ValueError, match="branches at"):
        applications.to_fully_convolutional(keras.Model(inputs, x))


# --- bad input -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("build, match", [
    (lambda: applications.ResNet50(input_shape=(16, 16, 3)), "input_shape.*at least 32x32"),
    (lambda: applications.InceptionV3(input_shape=(64, 64, 3)), "input_shape.*at least 75x75"),
    (lambda: applications.ResNet50(input_shape=(None, None, 3)), "input_shape.*static"),
    (lambda: applications.ResNet50(classes=0), "classes"),
    (lambda: applications.ResNet(depth=42), "depth.*18, 34, 50, 101, 152"),
    (lambda: applications.ResNet(version="v3"), "version.*'v1', 'v1.5', 'v2'"),
    (lambda: applications.VGG(depth=12), "depth.*11, 13, 16, 19"),
    (lambda: applications.ShuffleNet(groups=5), "groups.*1, 2, 3, 4, 8"),
    (lambda: applications.ResNet18(groups=32), "groups"),
    (lambda: applications.ResNet50(pooling="sum", include_top=False), "pooling"),
    (lambda: applications.ResNet50(weights="imagenet", classes=10), "classes.*1000"),
    (lambda: applications.LeNet5(weights="imagenet"), "weights.*no ImageNet"),
    (lambda: applications.ResNet50(weights="/no/such/file.h5"), "weights.*existing"),
    (lambda: applications.GoogLeNet(aux_logits=True, include_top=False), "aux_logits"),
    (lambda: applications.get_model("resnet9"), "name.*resnet18"),
    (lambda: applications.list_models("segmentation"), "task.*classification, detection"),
    (lambda: applications.model_task("yolo9000"), "name.*ssdlite"),
])
def test_bad_arguments_name_the_argument(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_the_registry_lists_models_by_task():
    by_task = {task: applications.list_models(task) for task in applications.registry.TASKS}
    classifiers, detectors = by_task["classification"], by_task["detection"]
    assert "resnet50" in classifiers and "ssdlite" in detectors and "conv_vae" in by_task["vae"]
    assert applications.list_models(None) == sorted(sum(by_task.values(), []))  # each name under one task
    assert {applications.model_task(name) for name in detectors} == {"detection"}
    assert applications.model_task("ResNet50") == "classification"
    assert all(issubclass(applications.registry.get_constructor(name), applications.Detector) for name in detectors)


@pytest.mark.slow
def test_weights_of_another_architecture_name_the_layer_that_does_not_fit(tmp_path):
    path = str(tmp_path / "resnet50.weights.h5")
    keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=7).save_weights(path)
    with pytest.raises(ValueError, match=r"weights.*conv4_block\d+_\d_conv"):
        applications.ResNet101(weights=path, input_shape=(64, 64, 3), classes=7)
    with pytest.raises(ValueError, match="weights.*fits neither"):
        applications.VGG16(weights=path, input_shape=(64, 64, 3), classes=7)


def test_imagenet_download_failure_names_the_file_and_the_offline_way(monkeypatch):
    url = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/resnet50_weights.h5"

    def offline(*args, **kwargs):
        raise Exception(f"URL fetch failure on {url}: None -- [Errno -2] Name or service not known")

    monkeypatch.setattr(weight_files.Twin, "build", offline)
    with pytest.raises(OSError, match=f"{url}.*Offline.*weights="):
        applications.ResNet50(weights="imagenet")
