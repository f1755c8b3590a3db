"""Parallel branches whose outputs are concatenated on the channel axis: the shape of every Inception module.

A branch is a list of steps applied in turn; a step is a layer, or a tuple of layers applied to the same input
whose outputs are concatenated (Inception v3's parallel 1x3 / 3x1 convolutions).
"""

from keras import ops

from keras_dlx.layers.blocks.conv_norm_act import ConvNormAct


def _parts(step):
    return step if isinstance(step, tuple) else (step,)


def _step_output_shape(step, shape, channel_axis):
    shapes = [tuple(part.compute_output_shape(shape)) for part in _parts(step)]
    out = list(shapes[0])
    out[channel_axis] = sum(s[channel_axis] for s in shapes)
    return tuple(out)


def _call_step(step, x, channel_axis, training):
    if isinstance(step, tuple):
        return ops.concatenate([_call_step(part, x, channel_axis, training) for part in step], axis=channel_axis)
    # Keras's pooling layers take no `training` argument.
    return step(x, training=training) if isinstance(step, ConvNormAct) else step(x)


def build_branches(branches, input_shape, *, channel_axis):
    """Build every layer of every branch on the shape its step receives."""
    for branch in branches:
        shape = tuple(input_shape)
        for step in branch:
            for part in _parts(step):
                part.build(shape)
            shape = _step_output_shape(step, shape, channel_axis)


def call_branches(branches, inputs, *, channel_axis, training=None):
    """Run every branch on `inputs` and concatenate their outputs on `channel_axis`."""
    outputs = []
    for branch in branches:
        x = inputs
        for step in branch:
            x = _call_step(step, x, channel_axis, training)
        outputs.append(x)
    return ops.concatenate(outputs, axis=channel_axis)


def branches_output_shape(branches, input_shape, *, channel_axis):
    """The shape `call_branches` returns for `input_shape`."""
    shapes = []
    for branch in branches:
        shape = tuple(input_shape)
        for step in branch:
            shape = _step_output_shape(step, shape, channel_axis)
        shapes.append(shape)
    out = list(shapes[0])
    out[channel_axis] = sum(s[channel_axis] for s in shapes)
    return tuple(out)
