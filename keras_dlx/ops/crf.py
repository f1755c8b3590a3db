"""Linear-chain conditional random field operations: log-likelihood and Viterbi decoding (backend-neutral).

A linear-chain CRF over `num_tags` tags scores a tag sequence `y` of length `L` given unary potentials `x`
(batch, max_seq_len, num_tags) and a transition matrix `A` (num_tags, num_tags) as

    score(y) = sum_{t < L} x[t, y_t] + sum_{1 <= t < L} A[y_{t-1}, y_t]

and `log p(y | x) = score(y) - log Z`, `log Z = logsumexp over every y of score(y)`, computed by the forward
recursion `alpha_t[j] = x[t, j] + logsumexp_i(alpha_{t-1}[i] + A[i, j])`. Viterbi decoding replaces the
logsumexp by a max and backtracks the argmax. Each recursion is one `keras.ops.scan` over the time axis, so the
functions trace and run under `jit` on TensorFlow, JAX and PyTorch.

Same names, arguments and results as TensorFlow Addons 0.23's `tfa.text` CRF functions, including its behaviour
for sequence lengths 0 and 1 and for padded positions (ignored by the scores; decoded as tag 0).
"""

import keras
import numpy as np
from keras import ops

__all__ = [
    "crf_binary_score",
    "crf_constrained_decode",
    "crf_decode",
    "crf_decode_backward",
    "crf_decode_forward",
    "crf_filtered_inputs",
    "crf_forward",
    "crf_log_likelihood",
    "crf_log_norm",
    "crf_multitag_sequence_score",
    "crf_sequence_score",
    "crf_unary_score",
    "viterbi_decode",
]


def _check_transitions(transition_params, num_tags, name="transition_params"):
    """A (num_tags, num_tags) matrix, or a ValueError naming the argument."""
    shape = tuple(ops.shape(transition_params))
    if len(shape) != 2 or (shape[0] is not None and shape[1] is not None and shape[0] != shape[1]) or (
            num_tags is not None and any(size is not None and size != num_tags for size in shape)):
        tags = "num_tags" if num_tags is None else num_tags
        raise ValueError(f"Invalid `{name}`: expected a square matrix of shape ({tags}, {tags}), one row and "
                         f"column per tag (the last axis of the potentials). Received: {name}.shape={shape}")
    return transition_params


def _num_tags(inputs):
    return ops.shape(inputs)[-1]


def _sequence_mask(sequence_lengths, maxlen, dtype="bool"):
    """(batch, maxlen): True at the positions before each sequence's length."""
    positions = ops.arange(maxlen, dtype="int32")
    mask = ops.expand_dims(positions, 0) < ops.expand_dims(ops.cast(sequence_lengths, "int32"), 1)
    return mask if dtype == "bool" else ops.cast(mask, dtype)


def _time_major(x):
    return ops.moveaxis(x, 1, 0)


def crf_filtered_inputs(inputs, tag_bitmap):
    """Constrain the unary potentials to the allowed tags: `-inf` where `tag_bitmap` is False.

    Args:
        inputs: (batch, max_seq_len, num_tags) unary potentials.
        tag_bitmap: boolean tensor of the same shape, True for each tag allowed at each step.

    Returns:
        The potentials with every disallowed tag set to `-inf`, same shape and dtype.
    """
    inputs = ops.convert_to_tensor(inputs)
    return ops.where(ops.cast(tag_bitmap, "bool"), inputs, ops.cast(float("-inf"), inputs.dtype))


def crf_unary_score(tag_indices, sequence_lengths, inputs):
    """The unary part of each sequence's score: `sum_{t < L} inputs[t, y_t]`.

    Args:
        tag_indices: (batch, max_seq_len) integer tags.
        sequence_lengths: (batch,) true sequence lengths; positions at or after a length do not count.
        inputs: (batch, max_seq_len, num_tags) unary potentials.

    Returns:
        (batch,) unary scores.
    """
    inputs = ops.convert_to_tensor(inputs)
    tag_indices = ops.cast(tag_indices, "int32")
    picked = ops.squeeze(ops.take_along_axis(inputs, ops.expand_dims(tag_indices, -1), axis=2), -1)
    mask = _sequence_mask(sequence_lengths, ops.shape(tag_indices)[1], picked.dtype)
    return ops.sum(picked * mask, axis=1)


def crf_binary_score(tag_indices, sequence_lengths, transition_params):
    """The transition part of each sequence's score: `sum_{1 <= t < L} transition_params[y_{t-1}, y_t]`.

    Args:
        tag_indices: (batch, max_seq_len) integer tags.
        sequence_lengths: (batch,) true sequence lengths.
        transition_params: (num_tags, num_tags) transition matrix, row = previous tag, column = next tag.

    Returns:
        (batch,) binary scores.
    """
    transition_params = ops.convert_to_tensor(transition_params)
    _check_transitions(transition_params, None)
    tag_indices = ops.cast(tag_indices, "int32")
    num_tags = ops.shape(transition_params)[0]
    pairs = tag_indices[:, :-1] * num_tags + tag_indices[:, 1:]
    scores = ops.take(ops.reshape(transition_params, (-1,)), pairs, axis=0)
    mask = _sequence_mask(sequence_lengths, ops.shape(tag_indices)[1], scores.dtype)[:, 1:]
    return ops.sum(scores * mask, axis=1)


def crf_sequence_score(inputs, tag_indices, sequence_lengths, transition_params):
    """The unnormalized score of each tag sequence: unary plus binary scores (0 for a length of 0).

    Args:
        inputs: (batch, max_seq_len, num_tags) unary potentials.
        tag_indices: (batch, max_seq_len) integer tags to score.
        sequence_lengths: (batch,) true sequence lengths.
        transition_params: (num_tags, num_tags) transition matrix.

    Returns:
        (batch,) sequence scores.
    """
    inputs = ops.convert_to_tensor(inputs)
    _check_transitions(transition_params, _num_tags(inputs))
    return (crf_unary_score(tag_indices, sequence_lengths, inputs)
            + ops.cast(crf_binary_score(tag_indices, sequence_lengths, transition_params), inputs.dtype))


def crf_forward(inputs, state, transition_params, sequence_lengths):
    """The forward (alpha) recursion of a linear-chain CRF, stopped at each sequence's last step.

        alpha_t[j] = inputs[t, j] + logsumexp_i(alpha_{t-1}[i] + transition_params[i, j])

    Args:
        inputs: (batch, steps, num_tags) unary potentials of the steps after the first.
        state: (batch, num_tags) alpha values of the first step (its potentials).
        transition_params: (num_tags, num_tags) transition matrix.
        sequence_lengths: (batch,) true sequence lengths, counting the first step.

    Returns:
        (batch, num_tags) alpha values at step `max(0, length - 1)` of each sequence.
    """
    inputs, state = ops.convert_to_tensor(inputs), ops.convert_to_tensor(state)
    transitions = ops.cast(_check_transitions(transition_params, _num_tags(state)), inputs.dtype)
    if ops.shape(inputs)[1] == 0:
        return state
    return _at_last_step(_alphas(inputs, state, transitions), sequence_lengths)


def _at_last_step(values, sequence_lengths):
    """values[:, max(length, 1) - 1] of (batch, steps, num_tags) values (lengths beyond `steps` clipped)."""
    last = ops.minimum(ops.maximum(ops.cast(sequence_lengths, "int32"), 1), ops.shape(values)[1]) - 1
    return ops.squeeze(ops.take_along_axis(values, ops.reshape(last, (-1, 1, 1)), axis=1), 1)


def _log_matmul(matrix):
    """`v -> logsumexp_i(v[:, i] + matrix[i, j])`, as one small matmul instead of a (batch, n, n) logsumexp.

    logsumexp_i(v[i] + M[i, j]) = m + c[j] + log(sum_i exp(v[i] - m) * exp(M[i, j] - c[j])), m = max_i v[i],
    c[j] = max_i M[i, j]. Only sums below the smallest normal number (every term more than ~87 below the maximum
    in float32: a share of the total below 1e-38) are clamped to it, so that the log stays finite.
    """
    column_max = ops.max(matrix, axis=0)
    exp_matrix = ops.exp(matrix - ops.where(ops.isfinite(column_max), column_max, ops.zeros_like(column_max)))
    tiny = np.finfo(keras.backend.standardize_dtype(matrix.dtype)).tiny

    def apply(v):
        top = ops.max(v, axis=1, keepdims=True)
        return top + column_max + ops.log(ops.maximum(ops.matmul(ops.exp(v - top), exp_matrix), tiny))

    return apply


# Steps per loop iteration of the recursions: on TensorFlow a loop iteration's own bookkeeping (reading the inputs
# and the carry, writing the outputs) costs about as much as one CRF step's arithmetic.
_UNROLL = 4


def _recurrence(step, init, xs, reverse=False):
    """All carries of `carry = step(carry, x)` over the time-major tensors `xs` (a tuple), in the order of `xs`."""
    if ops.shape(xs[0])[0] == 0:  # no carries (and PyTorch's scan refuses an empty sequence)
        return ops.expand_dims(init, 0)[:0]
    _, carries = _blocked_scan(lambda carry, x: (step(carry, x),) * 2, init, xs, reverse=reverse)
    return carries


def _blocked_scan(step, init, xs, reverse=False):
    """`ops.scan(step, init, xs, reverse=reverse)` over the time-major tuple `xs`, `_UNROLL` steps per loop
    iteration; the same carry and outputs. Each output is shaped like the carry. The steps beyond a multiple of
    `_UNROLL` run one by one before the loop, on the side the scan reaches first."""
    steps = ops.shape(xs[0])[0]
    if steps is None or steps < 2:  # Keras's TensorFlow scan needs a static number of steps for the reshapes
        return ops.scan(step, init, xs, reverse=reverse)
    size = min(_UNROLL, steps)
    rest = steps % size
    singles = []
    for i in range(rest):
        init, output = step(init, tuple(x[steps - 1 - i if reverse else i] for x in xs))
        singles.append(output)
    xs = tuple(x[:steps - rest] if reverse else x[rest:] for x in xs)
    blocks = (steps - rest) // size
    grouped = tuple(ops.reshape(x, (blocks, size) + tuple(ops.shape(x)[1:])) for x in xs)

    # Keras's TensorFlow scan wants outputs shaped like the carry: the carry holds the last block of outputs.
    def block_step(carry, x):
        carry, _ = carry
        outputs = [None] * size
        for i in reversed(range(size)) if reverse else range(size):
            carry, outputs[i] = step(carry, tuple(v[i] for v in x))
        new = (carry, ops.stack(outputs))
        return new, new

    (carry, _), (_, outputs) = ops.scan(block_step, (init, ops.stack([init] * size)), grouped, reverse=reverse)
    outputs = ops.reshape(outputs, (blocks * size,) + tuple(ops.shape(outputs)[2:]))  # static steps: see above
    if singles:
        outputs = ops.concatenate([outputs, ops.stack(singles[::-1])] if reverse else [ops.stack(singles), outputs],
                                  axis=0)
    return carry, outputs


def _alphas(inputs, state, transitions):
    """Forward recursion over `inputs` (the steps after the first) from `state`, past every length (the steps
    after a length are never read): (batch, 1 + steps, num_tags) alphas, `state` first."""
    step_fn = _log_matmul(transitions)

    later = _recurrence(lambda alpha, x: x[0] + step_fn(alpha), state, (_time_major(inputs),))
    return ops.concatenate([ops.expand_dims(state, 1), _time_major(later)], axis=1)


def _betas(inputs, transitions, sequence_lengths):
    """Backward recursion: beta_{t-1}[i] = logsumexp_j(A[i, j] + inputs[t, j] + beta_t[j]), beta_{L-1} = 0.

    Returns (batch, max_seq_len, num_tags), 0 at and after each sequence's last step.
    """
    step_fn = _log_matmul(ops.transpose(transitions))
    later = inputs[:, 1:]
    active = ops.expand_dims(_sequence_mask(sequence_lengths, ops.shape(inputs)[1])[:, 1:], -1)

    def step(beta, xs):
        unary, keep = xs
        return ops.where(keep, step_fn(unary + beta), ops.zeros_like(beta))

    earlier = _recurrence(step, ops.zeros_like(inputs[:, 0]), (_time_major(later), _time_major(active)),
                          reverse=True)
    return ops.concatenate([_time_major(earlier), ops.zeros_like(inputs[:, :1])], axis=1)


@ops.custom_gradient
def _log_norm(inputs, transitions, lengths):
    """log Z with its gradient from the forward-backward marginals (no autodiff through the scan: it runs
    under XLA, where TensorFlow cannot differentiate Keras's scan, and costs one backward scan)."""
    sequence_lengths = ops.cast(lengths, "int32")
    alphas = inputs if ops.shape(inputs)[1] == 1 else _alphas(inputs[:, 1:], inputs[:, 0], transitions)
    raw = ops.logsumexp(_at_last_step(alphas, sequence_lengths), axis=1)
    empty = sequence_lengths <= 0
    log_norm = ops.where(empty, ops.zeros_like(raw), raw)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        weight = ops.where(empty, ops.zeros_like(upstream), upstream)[:, None, None]
        valid = ops.expand_dims(_sequence_mask(sequence_lengths, ops.shape(inputs)[1], inputs.dtype), -1)
        betas = _betas(inputs, transitions, sequence_lengths)
        shifted = raw[:, None, None]
        d_inputs = ops.exp(alphas + betas - shifted) * valid * weight
        # Pair marginals p(y_{t-1} = i, y_t = j) for 1 <= t < length.
        pairs = ops.exp(ops.expand_dims(alphas[:, :-1], 3) + transitions
                        + ops.expand_dims(inputs[:, 1:] + betas[:, 1:] - shifted, 2))
        pairs = pairs * ops.expand_dims(valid[:, 1:] * weight, -1)
        return d_inputs, ops.sum(pairs, axis=(0, 1)), ops.zeros_like(lengths)

    return log_norm, grad


def crf_log_norm(inputs, sequence_lengths, transition_params):
    """The log partition function `log Z` of each sequence (0 for a length of 0).

    Its gradient comes from the forward-backward marginals: d log Z / d inputs[t, j] = p(y_t = j) and
    d log Z / d transition_params[i, j] = sum_t p(y_{t-1} = i, y_t = j).

    Args:
        inputs: (batch, max_seq_len, num_tags) unary potentials.
        sequence_lengths: (batch,) true sequence lengths.
        transition_params: (num_tags, num_tags) transition matrix.

    Returns:
        (batch,) log normalizers.
    """
    inputs = ops.convert_to_tensor(inputs)
    transitions = ops.cast(_check_transitions(transition_params, _num_tags(inputs)), inputs.dtype)
    return _log_norm(inputs, transitions, ops.cast(sequence_lengths, inputs.dtype))


def crf_log_likelihood(inputs, tag_indices, sequence_lengths, transition_params=None):
    """The log-likelihood `score(y) - log Z` of tag sequences in a linear-chain CRF.

    Its negative mean is the usual CRF training loss; gradients flow to the potentials and the transitions.

    Args:
        inputs: (batch, max_seq_len, num_tags) unary potentials.
        tag_indices: (batch, max_seq_len) integer tags whose log-likelihood is computed.
        sequence_lengths: (batch,) true sequence lengths; a length of 0 gives a log-likelihood of 0.
        transition_params: (num_tags, num_tags) transition matrix, or None for a new Glorot-uniform random one
            (as Addons; it is a plain tensor, not a trained variable: pass a weight to learn it).

    Returns:
        A tuple `(log_likelihood, transition_params)`: the (batch,) log-likelihoods and the transition matrix used.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> potentials = rng.standard_normal((2, 4, 3)).astype("float32")
    >>> tags, lengths = np.array([[0, 1, 2, 1], [2, 2, 0, 0]]), np.array([4, 2])
    >>> transitions = np.zeros((3, 3), "float32")
    >>> log_likelihood, _ = keras_dlx.ops.crf_log_likelihood(potentials, tags, lengths, transitions)
    >>> tuple(log_likelihood.shape)
    (2,)

    Reference:
        - [Lafferty et al. 2001, Conditional Random Fields](https://repository.upenn.edu/cis_papers/159/)
    """
    inputs = ops.convert_to_tensor(inputs)
    num_tags = _num_tags(inputs)
    if transition_params is None:
        transition_params = keras.initializers.GlorotUniform()((num_tags, num_tags))
    transition_params = ops.cast(_check_transitions(transition_params, num_tags), inputs.dtype)
    log_likelihood = (crf_sequence_score(inputs, tag_indices, sequence_lengths, transition_params)
                      - crf_log_norm(inputs, sequence_lengths, transition_params))
    return log_likelihood, transition_params


def crf_multitag_sequence_score(inputs, tag_bitmap, sequence_lengths, transition_params):
    """The log of the summed scores of every tag sequence allowed by `tag_bitmap`.

    With one allowed tag per step this is `crf_sequence_score`. As in Addons, a single-step input is scored
    without looking at the lengths (a length of 0 is not zeroed there).

    Args:
        inputs: (batch, max_seq_len, num_tags) unary potentials.
        tag_bitmap: boolean (batch, max_seq_len, num_tags), True for each tag allowed at each step.
        sequence_lengths: (batch,) true sequence lengths.
        transition_params: (num_tags, num_tags) transition matrix.

    Returns:
        (batch,) scores.
    """
    filtered = crf_filtered_inputs(inputs, tag_bitmap)
    if ops.shape(filtered)[1] == 1:
        _check_transitions(transition_params, _num_tags(filtered))
        return ops.logsumexp(ops.reshape(filtered, (ops.shape(filtered)[0], -1)), axis=1)
    return crf_log_norm(filtered, sequence_lengths, transition_params)


def crf_decode_forward(inputs, state, transition_params, sequence_lengths):
    """The forward pass of Viterbi decoding: best scores so far and the backpointers of each step.

        score_t[j] = inputs[t, j] + max_i(score_{t-1}[i] + transition_params[i, j]),  backpointer_t[j] = argmax_i

    Args:
        inputs: (batch, steps, num_tags) unary potentials of the steps after the first.
        state: (batch, num_tags) scores of the first step (its potentials).
        transition_params: (num_tags, num_tags) transition matrix.
        sequence_lengths: (batch,) number of valid steps in `inputs` (one less than the full sequence length).

    Returns:
        A tuple `(backpointers, last_score)`: (batch, steps, num_tags) int32 backpointers (0 after each length)
        and the (batch, num_tags) scores at each sequence's last valid step.
    """
    inputs, state = ops.convert_to_tensor(inputs), ops.convert_to_tensor(state)
    transitions = ops.expand_dims(ops.cast(_check_transitions(transition_params, _num_tags(state)), inputs.dtype), 0)
    active = ops.expand_dims(_sequence_mask(sequence_lengths, ops.shape(inputs)[1]), -1)

    # The carry holds the last backpointers too: Keras's TensorFlow scan wants outputs shaped like the carry.
    def step(carry, xs):
        score, _ = carry
        unary, keep = xs
        candidates = ops.expand_dims(score, 2) + transitions
        new_score = ops.where(keep, unary + ops.max(candidates, axis=1), score)
        backpointers = ops.where(keep, ops.cast(ops.argmax(candidates, axis=1), "int32"), 0)
        return (new_score, backpointers), (new_score, backpointers)

    initial = (state, ops.zeros(ops.shape(state), "int32"))
    (last_score, _), (_, backpointers) = ops.scan(step, initial, (_time_major(inputs), _time_major(active)))
    return _time_major(backpointers), last_score


def crf_decode_backward(inputs, state):
    """The backward pass of Viterbi decoding: follow the backpointers from the last tag.

    Args:
        inputs: (batch, steps, num_tags) backpointers in reverse time order (the next step's first).
        state: (batch, 1) int32 tag of the step after the first one of `inputs`.

    Returns:
        (batch, steps, 1) int32 tags, in the order of `inputs`.
    """
    inputs = ops.cast(inputs, "int32")

    def step(tag, backpointers):
        previous = ops.take_along_axis(backpointers, tag, axis=1)
        return previous, previous

    _, tags = ops.scan(step, ops.cast(state, "int32"), _time_major(inputs))
    return _time_major(tags)


def crf_decode(potentials, transition_params, sequence_length):
    """The highest-scoring tag sequence (Viterbi) of a linear-chain CRF, and its score.

    Positions at or after a sequence's length decode as tag 0; a sequence of length 0 decodes as one of length 1
    (as Addons: its first tag is the argmax of its first potentials, with that maximum as its score).

    Args:
        potentials: (batch, max_seq_len, num_tags) unary potentials.
        transition_params: (num_tags, num_tags) transition matrix.
        sequence_length: (batch,) true sequence lengths.

    Returns:
        A tuple `(decode_tags, best_score)`: (batch, max_seq_len) int32 tags and the (batch,) scores of those paths.

    Example:

    >>> potentials = np.array([[[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]]], "float32")
    >>> transitions = np.array([[0.0, -5.0], [0.0, 0.0]], "float32")
    >>> tags, score = keras_dlx.ops.crf_decode(potentials, transitions, np.array([3]))
    >>> keras.ops.convert_to_numpy(tags), np.round(keras.ops.convert_to_numpy(score), 4)
    (array([[0, 0, 0]], dtype=int32), array([5.], dtype=float32))
    """
    potentials = ops.convert_to_tensor(potentials)
    transitions = ops.cast(_check_transitions(transition_params, _num_tags(potentials)), potentials.dtype)
    sequence_length = ops.cast(sequence_length, "int32")
    if ops.shape(potentials)[1] == 1:
        return (ops.cast(ops.argmax(potentials, axis=2), "int32"),
                ops.reshape(ops.max(potentials, axis=2), (-1,)))
    scores = _viterbi_scores(potentials, transitions)
    last_score = _at_last_step(scores, sequence_length)
    last_tag = ops.cast(ops.argmax(last_score, axis=1), "int32")
    return _viterbi_backtrack(_time_major(scores[:, :-1]), transitions, last_tag, sequence_length), ops.max(
        last_score, axis=1)


def _viterbi_scores(potentials, transitions):
    """(batch, steps, num_tags) best scores of the paths ending in each tag at each step (past every length)."""
    # incoming[j, i] = A[i, j]: the max runs over the last, contiguous axis.
    incoming = ops.expand_dims(ops.transpose(transitions), 0)

    def step(score, x):
        return x[0] + ops.max(ops.expand_dims(score, 1) + incoming, axis=2)

    later = _recurrence(step, potentials[:, 0], (_time_major(potentials[:, 1:]),))
    return ops.concatenate([potentials[:, :1], _time_major(later)], axis=1)


def _viterbi_backtrack(scores, transitions, last_tag, sequence_length):
    """Follow the best predecessors back from `last_tag`; tag 0 after each length (length 0 decodes as 1).

    The backpointer of a step is recomputed for the chosen tag only, `argmax_i(score[i] + A[i, tag])`: the same
    numbers as the forward argmax, so the same path, for a (batch, tags) instead of a (batch, tags, tags) argmax.
    """
    last_position = ops.maximum(sequence_length, 1) - 1
    steps = ops.shape(scores)[0] + 1
    incoming = ops.transpose(transitions)  # incoming[j] = scores of every tag i -> j

    def step(tag, xs):
        previous_scores, position = xs
        current = ops.where(position >= last_position, last_tag, tag)
        output = ops.where(position <= last_position, current, ops.zeros_like(current))
        previous = ops.argmax(previous_scores + ops.take(incoming, current, axis=0), axis=1)
        return ops.cast(previous, "int32"), output

    positions = ops.arange(1, steps, dtype="int32")
    first, later = _blocked_scan(step, last_tag, (scores, positions), reverse=True)
    first = ops.where(last_position <= 0, last_tag, first)
    return ops.concatenate([ops.expand_dims(first, 1), ops.transpose(later)], axis=1)


def crf_constrained_decode(potentials, tag_bitmap, transition_params, sequence_length):
    """`crf_decode` restricted to the tags allowed by `tag_bitmap` at each step.

    Args:
        potentials: (batch, max_seq_len, num_tags) unary potentials.
        tag_bitmap: boolean (batch, max_seq_len, num_tags), True for each tag allowed at each step.
        transition_params: (num_tags, num_tags) transition matrix.
        sequence_length: (batch,) true sequence lengths.

    Returns:
        A tuple `(decode_tags, best_score)` as `crf_decode`.
    """
    return crf_decode(crf_filtered_inputs(potentials, tag_bitmap), transition_params, sequence_length)


def viterbi_decode(score, transition_params):
    """Viterbi decoding of one sequence in NumPy, outside any graph (for evaluation scripts).

    Args:
        score: (seq_len, num_tags) NumPy array of unary potentials.
        transition_params: (num_tags, num_tags) NumPy transition matrix.

    Returns:
        A tuple `(viterbi, viterbi_score)`: the best tags as a list of Python ints and the path's score.

    Example:

    >>> path, path_score = keras_dlx.ops.viterbi_decode(np.array([[1.0, 0.0], [0.0, 2.0]]), np.zeros((2, 2)))
    >>> path, float(path_score)
    ([0, 1], 3.0)
    """
    score, transition_params = np.asarray(score), np.asarray(transition_params)
    _check_transitions(transition_params, score.shape[-1])
    trellis = np.zeros_like(score)
    backpointers = np.zeros(score.shape, "int32")
    trellis[0] = score[0]
    for t in range(1, score.shape[0]):
        candidates = trellis[t - 1][:, None] + transition_params
        backpointers[t] = np.argmax(candidates, axis=0)
        trellis[t] = score[t] + candidates[backpointers[t], np.arange(score.shape[1])]
    viterbi = [int(np.argmax(trellis[-1]))]
    for pointers in backpointers[:0:-1]:
        viterbi.append(int(pointers[viterbi[-1]]))
    viterbi.reverse()
    return viterbi, np.max(trellis[-1])
