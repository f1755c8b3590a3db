"""Draw the documentation's figures: architecture diagrams, learning curves and benchmark bar charts.

    pip install -e ".[examples]"                       # matplotlib
    python docs/figures/make_figures.py                # every figure, into docs/figures/
    python docs/figures/make_figures.py --only lenet5  # one figure (names: --list)
    python docs/figures/make_figures.py --out /tmp/figures

The architecture diagrams are drawn from the built Keras models (their layers, class names, configs and output
shapes), so they cannot drift from the code. The learning curves train LeNet-5 on the embedded digits (seed 0,
about 15 s on two CPU cores). The bar charts plot the ratios measured in docs/benchmarks.md, copied into
`BENCHMARKS` below with the date and command of each measurement: update both together.
"""

import argparse
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DPI = 100

# Ratios ours / peer (lower is faster) from docs/benchmarks.md. Each entry: one section of that page, the date and
# command of its measurements, per path the runs of each benchmark (several numbers: several runs), and targets
# (a ratio the result must not exceed; None: no target).
BENCHMARKS = {
    "convolution": {
        "title": "Convolution layers / Keras peer\n(batch 32, 56x56x64 input, 64 filters, 3x3 kernels)",
        "measured": {
            "tape": ("2026-11-23", "python -m benchmarks.layers"),
            "train_on_batch": ("2026-11-25", "python -m benchmarks.layers --path train_on_batch --repeats 7"),
        },
        "rows": [
            # (benchmark, {path: runs}, target)
            ("GroupConv2D(groups=8) / Conv2D dense", {"tape": [0.696], "train_on_batch": [0.490]}, 0.7),
            ("GroupConv2D(groups=8) / keras Conv2D(groups=8)", {"tape": [0.022], "train_on_batch": [0.006]},
             1 / 50),  # target ">= 50x faster"
            ("GroupConv2DTranspose(groups=8, s=2) / Conv2DTranspose(s=2)",
             {"tape": [0.804], "train_on_batch": [0.745]}, 0.7),
            ("GroupConv2DTranspose(groups=1, s=2) / Conv2DTranspose(s=2)",
             {"tape": [1.008], "train_on_batch": [1.015]}, 1.05),
            ("GroupConv2DTranspose(groups=1, s=1) / Conv2DTranspose(s=1)",
             {"tape": [0.988], "train_on_batch": [0.993]}, 1.05),
            ("DilatedConv2D(d=2) / Conv2D(dilation_rate=2)", {"tape": [0.985], "train_on_batch": [1.005]}, 1.05),
            ("DepthwiseSeparableConv2D / SeparableConv2D", {"tape": [1.021], "train_on_batch": [1.031]}, 1.10),
            ("FlattenedConv2D(l=1) / Conv2D 3x3", {"tape": [0.304], "train_on_batch": [0.441, 0.472]}, 0.5),
            ("DilatedConv2D(s=2, d=2) / Conv2D(s=2)", {"tape": [1.510], "train_on_batch": [1.133]}, None),
        ],
    },
    "normalization": {
        "title": "Normalization layers / Keras peer (batch 32, 56x56x64)",
        "measured": {
            "tape": ("2026-11-23", "python -m benchmarks.normalization"),
            "train_on_batch": ("2026-11-25", "python -m benchmarks.normalization --path train_on_batch"),
        },
        "rows": [
            ("InstanceNormalization / GroupNormalization(groups=-1)",
             {"tape": [0.951], "train_on_batch": [1.057, 0.981]}, 1.0),
            ("GroupNormalization(32) / keras GroupNormalization(32)",
             {"tape": [1.000], "train_on_batch": [1.015, 1.014]}, 1.0),
            ("LRN / tf.nn.local_response_normalization", {"tape": [0.674], "train_on_batch": [0.628]}, 1.5),
            ("SwitchableNormalization / BatchNormalization",
             {"tape": [1.012], "train_on_batch": [0.942, 0.974]}, 2.0),
        ],
    },
    "recurrent": {
        "title": "Recurrent layers / keras.layers.LSTM (batch 32, 100 steps, 128 units, no XLA)",
        "digits": 2,
        "measured": {
            "tape": ("2026-11-25", "python -m benchmarks.recurrent --repeats 15"),
            "train_on_batch": ("2026-11-25", 'python -m benchmarks.recurrent --repeats 15; then --only '
                                             '"LSTM / keras" --repeats 20 --path train_on_batch'),
        },
        "rows": [
            ("PeepholeLSTM", {"tape": [1.09, 1.08, 0.99],
                              "train_on_batch": [1.09, 1.08, 1.19, 1.08, 1.11, 1.06, 1.07, 1.10, 1.08, 1.08]}, 1.10),
            ("CoupledLSTM", {"tape": [0.77, 0.79, 0.87],
                             "train_on_batch": [0.80, 0.82, 1.01, 0.88, 0.81, 0.81, 0.82]}, 1.10),
            ("LayerNormLSTM", {"tape": [1.88, 1.98, 1.68], "train_on_batch": [1.98, 2.09, 2.14, 1.91]}, None),
            ("PeepholeLSTMCell in keras.layers.RNN", {"tape": [1.02, 1.18, 1.18],
                                                      "train_on_batch": [1.13, 1.12, 1.52]}, None),
        ],
    },
    "attention": {
        "title": "Attention and residual blocks / Keras",
        "measured": {
            "tape": ("2026-11-25", "python -m benchmarks.attention --repeats 10 (ResidualBlock: --repeats 5)"),
            "train_on_batch": ("2026-11-25",
                               "python -m benchmarks.attention --repeats 10 (ResidualBlock: --repeats 5)"),
        },
        "rows": [
            ("MultiHeadAttention (self, 8 x 512 tokens)",
             {"tape": [0.926, 0.912, 0.906], "train_on_batch": [0.886, 0.877, 0.870]}, 1.0),
            ("ResidualBlock x3 (ResNet-50 stage 2)", {"tape": [1.008], "train_on_batch": [0.998]}, 1.05),
        ],
    },
    "applications": {
        "title": "Applications / keras.applications (batch 8)",
        "measured": {
            "train step": ("2026-11-23", "python -m benchmarks.applications"),
            "inference": ("2026-11-23", "python -m benchmarks.applications"),
        },
        "rows": [
            ("ResNet50 (224)", {"train step": [1.004], "inference": [1.012]}, 1.02),
            ("InceptionV3 (299)", {"train step": [0.981], "inference": [0.981]}, 1.02),
            ("MobileNet (224)", {"train step": [1.009], "inference": [1.018]}, 1.02),
        ],
    },
}

# Box colours by kind of layer.
COLOURS = {"conv": "#cfe2f3", "pool": "#d9ead3", "dense": "#fce5cd", "block": "#d9d2e9", "norm": "#fff2cc",
           "other": "#eeeeee"}


# --- architecture diagrams ----------------------------------------------------------------------------------------

def _pair(value):
    value = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    return "x".join(str(v) for v in value)


def _shape(shape):
    shape = tuple(shape)[1:]
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def _kind(layer):
    name = type(layer).__name__
    if "Block" in name or name == "ResidualBlock":
        return "block"
    if "Conv" in name:
        return "conv"
    if "Pool" in name:
        return "pool"
    if name == "Dense":
        return "dense"
    if "Normalization" in name:
        return "norm"
    return "other"


def describe(layer):
    """One line naming the layer's class and its main arguments, e.g. "ConvNormAct 3x3/2, 64, batch, relu"."""
    name = type(layer).__name__
    config = layer.get_config()
    parts = []
    if name == "ResidualBlock":
        parts.append(f"{config['kind']}, {config['filters']}" + (f"/{config['strides']}" if config["strides"] > 1
                                                                 else ""))
        if config.get("groups", 1) > 1:
            parts.append(f"groups={config['groups']}")
    elif name == "InceptionBlock":
        parts.append("{filters_1x1} | {filters_3x3_reduce}>{filters_3x3} | {filters_5x5_reduce}>{filters_5x5} | "
                     "pool>{filters_pool_proj}".format(**config))
    elif "kernel_size" in config:
        strides = config.get("strides", 1)
        stride = "" if _pair(strides) in ("1x1", "1") else "/" + str(tuple(strides)[0] if isinstance(
            strides, (tuple, list)) else strides)
        text = _pair(config["kernel_size"]) + stride
        if "filters" in config:
            text += f", {config['filters']}"
        parts.append(text)
        if config.get("groups", 1) > 1:
            parts.append(f"groups={config['groups']}")
        if config.get("norm"):
            parts.append(str(config["norm"]))
        activation = config.get("activation")
        if activation and activation != "linear":
            parts.append(str(activation))
    elif "pool_size" in config:
        strides = config.get("strides") or config["pool_size"]
        parts.append(_pair(config["pool_size"]) + "/" + str(tuple(strides)[0] if isinstance(
            strides, (tuple, list)) else strides))
    elif name == "Dense":
        parts.append(str(config["units"]))
        if config.get("activation") not in (None, "linear"):
            parts.append(str(config["activation"]))
    elif name == "ZeroPadding2D":
        parts.append(f"padding={config['padding'][0][0]}")
    elif name == "Dropout":
        parts.append(str(config["rate"]))
    return name + (" " + ", ".join(parts) if parts else "")


def _box(ax, x, y, width, text, colour, height=0.7, fontsize=9):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.1", facecolor=colour, edgecolor="#555555",
                                linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, family="monospace")


def _arrow(ax, x0, y0, x1, y1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 0.8})


def draw_stack(model, path, title):
    """A vertical stack of boxes, one per layer of `model`: "class arguments -> output shape"."""
    layers = model.layers
    step, width = 1.0, 9.0
    fig, ax = plt.subplots(figsize=(7.2, 0.42 * len(layers) + 1.1))
    for i, layer in enumerate(layers):
        y = -i * step
        text = describe(layer) if type(layer).__name__ != "InputLayer" else "Input"
        _box(ax, 0, y, width, f"{text}  ->  {_shape(layer.output.shape)}", COLOURS[_kind(layer)], fontsize=8.5)
        if i:
            _arrow(ax, 0, y + step - 0.35, 0, y + 0.35)
    params = model.count_params()
    ax.set_title(f"{title}\n{len(layers)} layers, {params:,} parameters", fontsize=10)
    ax.set_xlim(-width / 2 - 0.2, width / 2 + 0.2)
    ax.set_ylim(-(len(layers) - 1) * step - 0.5, 0.5)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def draw_branches(block, columns, merge, path, title, input_label="input"):
    """A block with parallel branches: `columns` is a list of (label, [layers]) run on the block's input, joined
    by the box `merge`. Shapes come from each layer's compute_output_shape."""
    input_shape = tuple(block.input.shape)
    depth = max(len(layers) for _, layers in columns)
    col_width = 3.3
    n = len(columns)
    fig, ax = plt.subplots(figsize=(1.95 * n + 0.6, 1.0 * (depth + 2) + 0.8))
    xs = [(i - (n - 1) / 2) * col_width for i in range(n)]
    top, bottom = 0.0, -(depth + 1) * 1.2
    _box(ax, 0, top, min(n * col_width - 0.4, 8), f"{input_label}  {_shape(input_shape)}", COLOURS["other"],
         height=0.6, fontsize=9)
    out_shape = block.compute_output_shape(input_shape)
    for x, (label, layers) in zip(xs, columns):
        shape, y_prev = tuple(input_shape), top - 0.3
        ax.text(x + 0.1, top - 0.62, label, ha="left", va="center", fontsize=8, style="italic", color="#444444")
        if not layers:
            y = -1.2 * (depth + 1) / 2
            _arrow(ax, x, y_prev, x, bottom + 0.3)
            ax.text(x + 0.1, y, "identity", ha="left", va="center", fontsize=8, family="monospace")
            continue
        for j, layer in enumerate(layers):
            y = -(j + 1) * 1.2
            shape = layer.compute_output_shape(shape)
            _arrow(ax, x, y_prev, x, y + 0.45)
            _box(ax, x, y, col_width - 0.25, describe(layer).replace(" ", "\n", 1) + f"\n{_shape(shape)}",
                 COLOURS[_kind(layer)], height=0.9, fontsize=7.5)
            y_prev = y - 0.45
        _arrow(ax, x, y_prev, x, bottom + 0.3)
    _box(ax, 0, bottom, min(n * col_width - 0.4, 8), merge.format(shape=_shape(out_shape)), COLOURS["other"],
         height=0.6, fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.set_xlim(xs[0] - col_width / 2 - 0.1, xs[-1] + col_width / 2 + 0.1)
    ax.set_ylim(bottom - 0.4, top + 0.4)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def fig_lenet5(out):
    from keras_dlx import applications

    model = applications.LeNet5(input_shape=(28, 28, 1))
    return draw_stack(model, os.path.join(out, "arch_lenet5.png"), "applications.LeNet5(input_shape=(28, 28, 1))")


def fig_resnet18(out):
    from keras_dlx import applications

    model = applications.ResNet18(small_input=True, input_shape=(32, 32, 3), classes=10)
    return draw_stack(model, os.path.join(out, "arch_resnet18_small.png"),
                      "ResNet18(small_input=True, input_shape=(32, 32, 3), classes=10)")


def fig_bottleneck(out):
    from keras_dlx import applications

    model = applications.ResNet50(input_shape=(224, 224, 3))
    block = model.get_layer("conv3_block1")
    shortcut = [block.shortcut] if block.shortcut is not None else ([block.pool] if block.pool is not None else [])
    last = "add" if block.version == "v2" else "add, ReLU"
    return draw_branches(block, [("main path", block.units), ("shortcut", shortcut)],
                         last + "  ->  {shape}", os.path.join(out, "arch_resnet_bottleneck.png"),
                         f"ResNet50's {block.name}:\nResidualBlock(kind={block.kind!r}, strides={block.strides})",
                         input_label="conv2_block3 output")


def fig_inception(out):
    from keras_dlx import applications

    model = applications.GoogLeNet(input_shape=(224, 224, 3))
    block = model.get_layer("inception_3a")
    labels = ["1x1", "3x3", "5x5", "pool"]
    return draw_branches(block, list(zip(labels, block.branches)), "concatenate  ->  {shape}",
                         os.path.join(out, "arch_inception_3a.png"), "GoogLeNet's inception_3a (InceptionBlock)",
                         input_label="pool2 output")


# --- learning curves ----------------------------------------------------------------------------------------------

def train_lenet5(epochs=5):
    import keras

    from keras_dlx import applications
    from keras_dlx.data import load_mnist

    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    model = applications.LeNet5(input_shape=(28, 28, 1))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_data=(x_test, y_test), verbose=0)
    return history.history, len(x_train), len(x_test)


def fig_learning_curves(out, epochs=5):
    history, n_train, n_test = train_lenet5(epochs)
    epoch = list(range(1, len(history["loss"]) + 1))
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(epoch, history[key], "o-", label=f"train ({n_train:,} digits)")
        ax.plot(epoch, history["val_" + key], "s--", label=f"test ({n_test:,} digits)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_xticks(epoch)
        ax.grid(alpha=0.3)
    ax_acc.legend(loc="lower right", fontsize=8)
    ax_acc.annotate(f"{history['val_accuracy'][-1]:.3f}", (epoch[-1], history["val_accuracy"][-1]),
                    textcoords="offset points", xytext=(-10, -14), fontsize=8)
    fig.suptitle("LeNet5 on the embedded digits (Adam, batch 32, seed 0)", fontsize=10)
    fig.tight_layout()
    path = os.path.join(out, "learning_curves_lenet5.png")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


# --- benchmark bar charts -----------------------------------------------------------------------------------------

def draw_benchmark(section, path):
    """Horizontal bars, one per benchmark and path (the median of its runs; dots: the runs), a line at 1.0 (parity)
    and a red tick at each target."""
    data = BENCHMARKS[section]
    paths = list(data["measured"])
    rows = data["rows"]
    values = [r for _, runs, _ in rows for p in paths for r in runs.get(p, [])]
    log = data.get("log", False)
    digits = data.get("digits", 3)
    height = 0.8 / len(paths)
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(rows) * len(paths) ** 0.5 + 1.8))
    colours = ["#4a86c5", "#e69138"]
    for k, p in enumerate(paths):
        date, command = data["measured"][p]
        for i, (_, runs, target) in enumerate(rows):
            if p not in runs:
                continue
            y = i + (k - (len(paths) - 1) / 2) * height
            median = statistics.median(runs[p])
            ax.barh(y, median, height=height * 0.9, color=colours[k % 2],
                    label=f"{p} ({date})" if i == 0 else None)
            if len(runs[p]) > 1:
                ax.plot(runs[p], [y] * len(runs[p]), "o", color="black", markersize=2.5, alpha=0.6)
            right = max(runs[p] + ([target] if target is not None and not log else []))
            ax.annotate(f"{median:.{digits}f}", (right, y), textcoords="offset points", xytext=(4, 0), va="center",
                        fontsize=7)
    for i, (_, _, target) in enumerate(rows):
        if target is not None:
            ax.plot([target, target], [i - 0.45, i + 0.45], color="#cc0000", linewidth=2,
                    label="target (ratio must not exceed)" if i == min(
                        j for j, r in enumerate(rows) if r[2] is not None) else None)
    ax.axvline(1.0, color="black", linewidth=0.8, linestyle=":")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([name for name, _, _ in rows], fontsize=8)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        ax.set_xlim(0.004, 2.5)
    else:
        targets = [target for _, _, target in rows if target is not None]
        ax.set_xlim(0, max(values + targets) * 1.12)
    ax.set_xlabel("time ours / peer (median of the runs, dots), lower is faster" + (", log scale" if log else ""),
                  fontsize=9)
    ax.set_title(data["title"], fontsize=10)
    fig.legend(fontsize=7.5, loc="lower center", ncol=3, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _bench(section):
    return lambda out: draw_benchmark(section, os.path.join(out, f"bench_{section}.png"))


FIGURES = {
    "lenet5": fig_lenet5,
    "resnet18": fig_resnet18,
    "bottleneck": fig_bottleneck,
    "inception": fig_inception,
    "learning_curves": fig_learning_curves,
    **{f"bench_{section}": _bench(section) for section in BENCHMARKS},
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(FIGURES), help="draw only this figure (repeatable)")
    parser.add_argument("--out", default=HERE, help="output folder (default: docs/figures)")
    parser.add_argument("--list", action="store_true", help="list the figures' names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(FIGURES))
        return
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or FIGURES:
        print(FIGURES[name](args.out))


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()
