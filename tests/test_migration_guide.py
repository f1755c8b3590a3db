"""docs/migration_from_addons.md: its tables cover TensorFlow Addons 0.23 and name only things that exist, and its
weight-conversion snippets, run as written, reproduce Addons' outputs.

TensorFlow Addons is not imported here (keras_dlx must not depend on it). The reference numbers below were
computed once with tensorflow-addons 0.23.0 on tensorflow-cpu 2.15.1, in a separate virtualenv, from the same
deterministic weights and inputs that `_pattern` builds here; the Addons weight names and shapes are those its
layers report in that environment (`layer.weights`, in `get_weights()` order).
"""

import math
import re
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

import keras_dlx

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "migration_from_addons.md"

# The public names of each Addons 0.23 module: what its __init__.py imports (tag v0.23.0).
ADDONS_SYMBOLS = {
    "activations": """gelu hardshrink lisht mish softshrink rrelu snake sparsemax tanhshrink""",
    "callbacks": """AverageModelCheckpoint TimeStopping TQDMProgressBar""",
    "image": """adjust_hsv_in_yiq blend equalize sharpness connected_components cutout dense_image_warp
        euclidean_dist_transform interpolate_bilinear interpolate_spline gaussian_filter2d mean_filter2d
        median_filter2d random_cutout random_hsv_in_yiq resampler rotate shear_x shear_y sparse_image_warp
        compose_transforms angles_to_projective_transforms transform translate translate_xy
        translations_to_projective_transforms""",
    "layers": """AdaptiveAveragePooling1D AdaptiveMaxPooling1D AdaptiveAveragePooling2D AdaptiveMaxPooling2D
        AdaptiveAveragePooling3D AdaptiveMaxPooling3D EmbeddingBag GELU MaxUnpooling2D MaxUnpooling2DV2 Maxout
        MultiHeadAttention FilterResponseNormalization GroupNormalization InstanceNormalization CorrelationCost
        PoincareNormalize PolynomialCrossing Snake Sparsemax SpectralNormalization SpatialPyramidPooling2D TLU
        WeightNormalization ESN StochasticDepth NoisyDense CRF""",
    "losses": """contrastive_loss ContrastiveLoss sigmoid_focal_crossentropy SigmoidFocalCrossEntropy giou_loss
        GIoULoss lifted_struct_loss LiftedStructLoss sparsemax_loss SparsemaxLoss triplet_semihard_loss
        triplet_hard_loss TripletSemiHardLoss TripletHardLoss pinball_loss PinballLoss npairs_loss NpairsLoss
        npairs_multilabel_loss NpairsMultilabelLoss WeightedKappaLoss""",
    "metrics": """CohenKappa F1Score FBetaScore HammingLoss hamming_distance hamming_loss_fn MeanMetricWrapper
        MatthewsCorrelationCoefficient MultiLabelConfusionMatrix RSquare GeometricMean HarmonicMean KendallsTauB
        KendallsTauC PearsonsCorrelation SpearmansRank""",
    "optimizers": """KerasLegacyOptimizer AveragedOptimizerWrapper ConditionalGradient CyclicalLearningRate
        TriangularCyclicalLearningRate Triangular2CyclicalLearningRate ExponentialCyclicalLearningRate
        MultiOptimizer LAMB LazyAdam Lookahead MovingAverage NovoGrad ProximalAdagrad RectifiedAdam SWA AdamW
        AdaBelief SGDW extend_with_decoupled_weight_decay DecoupledWeightDecayExtension Yogi COCOB""",
    "rnn": """NASCell LayerNormLSTMCell LayerNormSimpleRNNCell ESNCell PeepholeLSTMCell""",
    "seq2seq": """AttentionMechanism AttentionWrapper AttentionWrapperState BahdanauAttention
        BahdanauMonotonicAttention LuongAttention LuongMonotonicAttention hardmax monotonic_attention safe_cumprod
        BasicDecoder BasicDecoderOutput BeamSearchDecoder BeamSearchDecoderOutput BeamSearchDecoderState
        FinalBeamSearchDecoderOutput gather_tree gather_tree_from_array tile_batch BaseDecoder Decoder
        dynamic_decode SequenceLoss sequence_loss CustomSampler GreedyEmbeddingSampler InferenceSampler
        SampleEmbeddingSampler Sampler ScheduledEmbeddingTrainingSampler ScheduledOutputTrainingSampler
        TrainingSampler""",
    "text": """crf CrfDecodeForwardRnnCell crf_binary_score crf_constrained_decode crf_decode crf_decode_backward
        crf_decode_forward crf_filtered_inputs crf_forward crf_log_likelihood crf_log_norm
        crf_multitag_sequence_score crf_sequence_score crf_unary_score viterbi_decode CRFModelWrapper parse_time
        skip_gram_sample skip_gram_sample_with_text_vocab""",
}

# Covered by another issue of our tracker (seq2seq: the sequence-models issue): the guide must not claim them as
# provided. Every other Addons symbol has a keras_dlx or Keras home now, or says why not.
PLANNED = {
    "seq2seq": set(ADDONS_SYMBOLS["seq2seq"].split()) - {"hardmax", "safe_cumprod", "tile_batch"},
}

PLANNED_TEXT = "not provided yet (planned)"
NO_REPLACEMENT = {"—", "not provided", PLANNED_TEXT}
_NAME = re.compile(r"\bkeras(?:_dlx)?(?:\.[A-Za-z_]\w*)+")


def _rows():
    """(module, name, keras cell, keras_dlx cell, whole row) for each table row of an Addons symbol."""
    rows = []
    for line in GUIDE.read_text(encoding="utf8").splitlines():
        match = re.match(r"\|\s*`tfa\.(\w+)\.(\w+)`\s*\|", line)
        if match:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            assert len(cells) == 4, f"a row needs 4 cells: {line}"
            rows.append((match.group(1), match.group(2), cells[1], cells[2], line))
    return rows


def _resolve(dotted):
    obj = {"keras": keras, "keras_dlx": keras_dlx}[dotted.split(".")[0]]
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def test_every_addons_symbol_has_exactly_one_row():
    listed = [(module, name) for module, name, *_ in _rows()]
    expected = [(module, name) for module, names in ADDONS_SYMBOLS.items() for name in names.split()]
    assert len(expected) == 182
    duplicates = {entry for entry in listed if listed.count(entry) > 1}
    assert not duplicates
    assert set(listed) == set(expected), (set(expected) - set(listed), set(listed) - set(expected))


def test_named_replacements_exist():
    for module, name, keras_cell, dlx_cell, row in _rows():
        for dotted in _NAME.findall(row):
            try:
                _resolve(dotted)
            except AttributeError:
                pytest.fail(f"tfa.{module}.{name}: `{dotted}` does not exist in the installed packages")
        if keras_cell not in NO_REPLACEMENT:
            assert re.fullmatch(r"`keras\.[\w.]+`", keras_cell), f"tfa.{module}.{name}: cell {keras_cell!r}"
        if dlx_cell not in NO_REPLACEMENT:
            # A public name of one of keras_dlx's namespaces: `keras_dlx.losses.PinballLoss`, `keras_dlx.ops.image...`.
            match = re.fullmatch(r"`(keras_dlx\.(?:ops\.image|[a-z]+))\.(\w+)`", dlx_cell)
            assert match, f"tfa.{module}.{name}: cell {dlx_cell!r}"
            namespace = _resolve(match.group(1))
            assert match.group(2) in namespace.__all__, f"tfa.{module}.{name}: {dlx_cell} is not in its __all__"


def test_planned_symbols_are_not_claimed():
    dlx = {(module, name): cell for module, name, _, cell, _ in _rows()}
    for module, names in PLANNED.items():
        for name in names:
            assert dlx[(module, name)] == PLANNED_TEXT, (module, name)


# ---------------------------------------------------------------------------------------------------------------
# The conversion snippets, run as the guide prints them.

def _snippets():
    text = GUIDE.read_text(encoding="utf8")
    section = text[text.index("## Converting weights"):]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def _pattern(shape, phase, scale=0.5):
    size = math.prod(shape)
    return (scale * np.sin(0.7 * np.arange(size) + phase)).reshape(shape)


def _addons_arrays(spec, offset=0.0):
    """Deterministic arrays in an Addons layer's get_weights() order: True for the bool `initialized` flag."""
    arrays = []
    for i, (name, shape) in enumerate(spec):
        if name.endswith("initialized:0"):
            arrays.append(np.array(True))
        else:
            arrays.append(_pattern(shape, i + 1 + offset) + (1.0 if "gamma" in name else 0.0))
    return arrays


def _fingerprint(y):
    y = np.asarray(y, np.float64)
    return np.sum(y * np.cos(0.3 * np.arange(y.size)).reshape(y.shape)), np.sum(y)


@pytest.fixture(scope="module")
def snippets():
    namespace = {}
    exec(_snippets()[1], namespace)  # the converters
    return namespace


# The Addons model of the guide's "A whole model": (layer name, its weights as Addons saves them).
MODEL_SPEC = [
    ("wn_conv", [("wn_conv/g:0", (8,)), ("wn_conv/kernel:0", (3, 3, 4, 8)), ("wn_conv/bias:0", (8,)),
                 ("wn_conv/initialized:0", ()), ("wn_conv/data_dep_init/kernel:0", (3, 3, 4, 8)),
                 ("wn_conv/data_dep_init/bias:0", (8,))]),
    ("inorm", [("inorm/gamma:0", (8,)), ("inorm/beta:0", (8,))]),
    ("frn", [("learned_epsilon:0", (1,)), ("frn/gamma:0", (1, 1, 1, 8)), ("frn/beta:0", (1, 1, 1, 8))]),
    ("tlu", [("tlu/tau:0", (4, 4, 8)), ("tlu/alpha:0", (4, 4, 8))]),
    ("gnorm", [("gnorm/gamma:0", (8,)), ("gnorm/beta:0", (8,))]),
    ("peep", [("peep/peephole_lstm_cell/kernel:0", (8, 24)), ("peep/peephole_lstm_cell/recurrent_kernel:0", (6, 24)),
              ("peep/peephole_lstm_cell/bias:0", (24,)),
              ("peep/peephole_lstm_cell/input_gate_peephole_weights:0", (6,)),
              ("peep/peephole_lstm_cell/forget_gate_peephole_weights:0", (6,)),
              ("peep/peephole_lstm_cell/output_gate_peephole_weights:0", (6,))]),
    ("lnlstm", [("lnlstm/layer_norm_lstm_cell/kernel:0", (6, 20)),
                ("lnlstm/layer_norm_lstm_cell/recurrent_kernel:0", (5, 20)),
                ("lnlstm/layer_norm_lstm_cell/bias:0", (20,)),
                ("lnlstm/layer_norm_lstm_cell/kernel_norm/gamma:0", (20,)),
                ("lnlstm/layer_norm_lstm_cell/kernel_norm/beta:0", (20,)),
                ("lnlstm/layer_norm_lstm_cell/recurrent_norm/gamma:0", (20,)),
                ("lnlstm/layer_norm_lstm_cell/recurrent_norm/beta:0", (20,)),
                ("lnlstm/layer_norm_lstm_cell/state_norm/gamma:0", (5,)),
                ("lnlstm/layer_norm_lstm_cell/state_norm/beta:0", (5,))]),
    ("wn_dense", [("wn_dense/g:0", (3,)), ("wn_dense/kernel:0", (5, 3)), ("wn_dense/bias:0", (3,)),
                  ("wn_dense/initialized:0", ()), ("wn_dense/data_dep_init/kernel:0", (5, 3)),
                  ("wn_dense/data_dep_init/bias:0", (3,))]),
]
MODEL_LAYER_NAMES = ["input_1", "wn_conv", "inorm", "frn", "tlu", "gnorm", "reshape", "peep", "lnlstm", "wn_dense"]
# Addons' model.predict(_pattern((2, 6, 6, 4), 0.0, 2.0)), float32, with the weights of `_write_addons_h5`.
MODEL_OUTPUT = [[0.4164239, 0.6955233, 0.5589728], [0.3646213, 0.6644621, 0.5656395]]


def _write_addons_h5(path):
    """An HDF5 file laid out as tf.keras 2's model.save_weights writes it (checked against a real one)."""
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["layer_names"] = [name.encode() for name in MODEL_LAYER_NAMES]
        specs = dict(MODEL_SPEC)
        for k, layer_name in enumerate(MODEL_LAYER_NAMES):
            group = f.create_group(layer_name)
            spec = specs.get(layer_name, [])
            group.attrs["weight_names"] = [name.encode() for name, _ in spec]
            for (name, _), array in zip(spec, _addons_arrays(spec, offset=0.37 * k)):
                group.create_dataset(name, data=array if array.dtype == bool else array.astype("float32"))


def test_whole_model_snippet_reproduces_addons(tmp_path, monkeypatch):
    _write_addons_h5(tmp_path / "addons_model.h5")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for snippet in _snippets():  # reader, converters, whole model: exactly as printed
        exec(snippet, namespace)
    inputs = _pattern((2, 6, 6, 4), 0.0, 2.0).astype("float32")
    outputs = keras.ops.convert_to_numpy(namespace["model"](inputs))
    np.testing.assert_allclose(outputs, MODEL_OUTPUT, atol=2e-6)


def test_reader_returns_get_weights_order(tmp_path):
    _write_addons_h5(tmp_path / "weights.h5")
    namespace = {}
    exec(_snippets()[0], namespace)
    weights = namespace["read_addons_h5"](str(tmp_path / "weights.h5"))
    assert list(weights) == MODEL_LAYER_NAMES
    for layer_name, spec in MODEL_SPEC:
        assert [w.shape for w in weights[layer_name]] == [shape for _, shape in spec]


# Single layers, Addons weights from _addons_arrays(spec); Addons computed in float64. Fingerprints of Addons'
# outputs: (sum(y * cos(0.3 * arange(y.size))), sum(y)).
_X4 = (2, 3, 3, 4)
LAYER_CASES = {
    "instance": ([("gamma:0", (4,)), ("beta:0", (4,))], (6.820299555765496, 2.3657318457144294)),
    "group": ([("gamma:0", (4,)), ("beta:0", (4,))], (6.804839216978968, 2.357469289833391)),
    "frn": ([("learned_epsilon:0", (1,)), ("gamma:0", (1, 1, 1, 4)), ("beta:0", (1, 1, 1, 4))],
            (4.24918912663735, -6.453306877660184)),
    "tlu": ([("tau:0", (3, 3, 4)), ("alpha:0", (3, 3, 4))], (6.188991853367441, 46.13759939235557)),
    "wn_dense": ([("g:0", (3,)), ("kernel:0", (5, 3)), ("bias:0", (3,)), ("initialized:0", ())],
                 (-0.7924105700085372, -1.5771155024188357)),
    "wn_conv": ([("g:0", (3,)), ("kernel:0", (2, 2, 4, 3)), ("bias:0", (3,)), ("initialized:0", ()),
                 ("data_dep_init/kernel:0", (2, 2, 4, 3)), ("data_dep_init/bias:0", (3,))],
                (-0.9720250682395224, -5.584704608011217)),
    "peephole": ([("kernel:0", (3, 20)), ("recurrent_kernel:0", (5, 20)), ("bias:0", (20,)),
                  ("input_gate_peephole_weights:0", (5,)), ("forget_gate_peephole_weights:0", (5,)),
                  ("output_gate_peephole_weights:0", (5,))], (-0.21452003091803223, -2.221569217077093)),
    "lnlstm": ([("kernel:0", (3, 20)), ("recurrent_kernel:0", (5, 20)), ("bias:0", (20,)),
                ("kernel_norm/gamma:0", (20,)), ("kernel_norm/beta:0", (20,)), ("recurrent_norm/gamma:0", (20,)),
                ("recurrent_norm/beta:0", (20,)), ("state_norm/gamma:0", (5,)), ("state_norm/beta:0", (5,))],
               (-2.137379688077321, -5.4348045029529715)),
}


def _layer_and_input(case):
    L = keras_dlx.layers
    image, dense, sequence = _pattern(_X4, 0.0, 2.0) + 0.3, _pattern((2, 5), 0.0, 2.0), _pattern((2, 4, 3), 0.0, 1.5)
    return {
        "instance": (L.InstanceNormalization(), image, "instance_normalization_from_addons"),
        "group": (L.GroupNormalization(groups=2), image, "group_normalization_from_addons"),
        "frn": (L.FilterResponseNormalization(learned_epsilon=True), image,
                "filter_response_normalization_from_addons"),
        "tlu": (L.TLU(affine=True), image, "tlu_from_addons"),
        "wn_dense": (L.WeightNormalization(keras.layers.Dense(3)), dense, None),
        "wn_conv": (L.WeightNormalization(keras.layers.Conv2D(3, 2), data_init=True), image, None),
        "peephole": (L.PeepholeLSTM(5, return_sequences=True), sequence, "peephole_lstm_from_addons"),
        "lnlstm": (L.LayerNormLSTM(5, return_sequences=True), sequence, "layer_norm_lstm_from_addons"),
    }[case]


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_converter_reproduces_addons(case, snippets):
    spec, expected = LAYER_CASES[case]
    layer, x, converter = _layer_and_input(case)
    x = x.astype("float32")
    layer.build(x.shape)
    arrays = _addons_arrays(spec)
    if converter is None:
        snippets["load_weight_normalization"](layer, arrays)
    else:
        layer.set_weights(snippets[converter](arrays))
    y = keras.ops.convert_to_numpy(layer(x, training=True))  # training: data_init must not run again
    np.testing.assert_allclose(_fingerprint(y), expected, rtol=1e-5, atol=2e-5)
