"""A timing task in the spirit of Gers, Schraudolph & Schmidhuber (2002), "measuring and generating delays".

Two input spikes `delta` steps apart (delta in 5..15, random start in a 50-step sequence); the network must fire
`delta` steps after the second spike. One logit per step, softmax over time: the label is the firing step.
"""

import keras
import numpy as np
import pytest

from keras_dlx import layers

STEPS = 50


def interval_task(n, seed):
    rng = np.random.default_rng(seed)
    delta = rng.integers(5, 16, n)
    start = rng.integers(0, STEPS - 2 * delta)
    x = np.zeros((n, STEPS, 1), "float32")
    x[np.arange(n), start, 0] = 1
    x[np.arange(n), start + delta, 0] = 1
    return x, start + 2 * delta


@pytest.mark.slow
def test_peephole_lstm_learns_to_reproduce_an_interval():
    """32 units, Adam with a cosine decay from 1e-2 over the 10-epoch budget; stops at validation accuracy 0.95.

    Measured 2026-11-25 on the shared 2-core machine over 10 seeds (weights seed s, data seeds 2s and 2s + 1, s in
    0..9; s = 0 is the one below): every seed reached 1.0 by epoch 5 and stayed at 1.0 up to epoch 10; the worst
    seeds (0, 2, 7) first passed 0.95 at epoch 5 (0.61 to 0.84 at epoch 4). So the bar is 0.95 within 10 epochs,
    twice the epochs the worst seed needed. About 1 s per epoch here. (The previous setting, 16 units and a
    constant 1e-2, oscillated and missed 0.99 within 10 epochs for 1 seed of 10.)
    """
    keras.utils.set_random_seed(0)
    x_train, y_train = interval_task(4096, 0)
    x_val, y_val = interval_task(1024, 1)
    inputs = keras.Input((STEPS, 1))
    hidden = layers.PeepholeLSTM(32, return_sequences=True)(inputs)
    logits = keras.layers.Reshape((STEPS,))(keras.layers.Dense(1)(hidden))
    model = keras.Model(inputs, logits)
    epochs, batch_size = 10, 64
    schedule = keras.optimizers.schedules.CosineDecay(1e-2, decay_steps=epochs * len(x_train) // batch_size)
    model.compile(keras.optimizers.Adam(schedule), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    curve = []
    for _ in range(epochs):
        model.fit(x_train, y_train, batch_size=batch_size, epochs=1, verbose=0)
        curve.append(model.evaluate(x_val, y_val, verbose=0)[1])
        if curve[-1] >= 0.95:
            break
    assert curve[-1] >= 0.95, f"validation accuracy per epoch: {curve}"
