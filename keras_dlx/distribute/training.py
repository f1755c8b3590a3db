"""A `fit` that works under every tf.distribute strategy, MultiWorkerMirroredStrategy included.

Keras 3.15's `Model.fit` cannot run under `MultiWorkerMirroredStrategy`, for two reasons: before training it
all-reduces one distributed batch to build the model (`_maybe_symbolic_build`), and that reduction of a nested
(x, y) batch fails with "Attempt to convert a value (PerReplica...) to a Tensor"; and its compiled step reduces
the scalar step logs across workers along axis 0, which fails too. This loop builds the model, its loss,
metrics and optimizer from one *local* batch outside replica context, then runs Keras's own
`model.train_step` under `strategy.run` in one `tf.function` (the optimizer all-reduces the gradients, as in
`fit`), with Keras callbacks and progress bar — without patching Keras. Step logs are this worker's running
values; epoch logs are read in cross-replica context, where Keras's metric variables are summed over every
replica: global values.

Fault tolerance: with `backup_dir`, the chief writes the model and optimizer state at the end of every epoch,
atomically (a temporary file renamed into place, then a small JSON naming the last complete epoch). A restarted
cluster reloads it and goes on with the next epoch: no completed epoch is redone or lost.
"""

import json
import os

import keras
import tensorflow as tf

from keras_dlx.distribute.strategy import is_chief, logger
from keras_dlx.utils import arguments as args


def distribute_dataset(dataset, strategy, auto_shard=tf.data.experimental.AutoShardPolicy.DATA):
    """`dataset` (batched with the *global* batch size) with the sharding policy set, distributed.

    The default policy `DATA` gives each worker every `num_workers`-th element; use `FILE` for datasets read
    from at least as many files as workers (each worker then reads its own files).
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = auto_shard
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def check_batch_size(global_batch_size, strategy, name="batch_size"):
    """The per-replica batch; a `ValueError` naming `name` when the replicas cannot share the batch equally."""
    replicas = strategy.num_replicas_in_sync
    if not isinstance(global_batch_size, int) or global_batch_size <= 0 or global_batch_size % replicas:
        args.invalid(name, global_batch_size, f"a positive multiple of the {replicas} replicas in sync")
    return global_batch_size // replicas


class Backup:
    """The training loop's own checkpoint: `<dir>/epoch-<n>.weights.h5` and `<dir>/state.json`."""

    def __init__(self, directory, chief):
        self.directory = directory
        self.chief = chief
        self.state_path = os.path.join(directory, "state.json")

    def last_epoch(self):
        """The last completed epoch (0-based) recorded, or None."""
        if not os.path.exists(self.state_path):
            return None
        with open(self.state_path) as f:
            return json.load(f)["epoch"]

    def restore(self, model):
        """Load the last backup into `model`; return the epoch to start from."""
        epoch = self.last_epoch()
        if epoch is None:
            return 0
        model.load_weights(os.path.join(self.directory, f"epoch-{epoch}.weights.h5"))
        return epoch + 1

    def save(self, model, epoch):
        if not self.chief:
            return
        os.makedirs(self.directory, exist_ok=True)
        final = os.path.join(self.directory, f"epoch-{epoch}.weights.h5")
        temporary = final + ".tmp.weights.h5"
        model.save_weights(temporary)
        os.replace(temporary, final)
        with open(self.state_path + ".tmp", "w") as f:
            json.dump({"epoch": epoch}, f)
        os.replace(self.state_path + ".tmp", self.state_path)
        previous = os.path.join(self.directory, f"epoch-{epoch - 1}.weights.h5")
        if os.path.exists(previous):
            os.remove(previous)


def _build(model, dataset):
    """Build the model, loss, metrics and optimizer from one local batch, outside replica context."""
    batch = next(iter(dataset))
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
    with model.distribute_strategy.scope():
        # Public calls only: the forward pass builds the layers, compute_loss/compute_metrics the compiled
        # loss and metrics (their state is reset below).
        y_pred = model(x, training=False)
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.compute_loss(x, y, y_pred, sample_weight)
        model.compute_metrics(x, y, y_pred, sample_weight)
    model.reset_metrics()


def _step_function(model, step):
    """One compiled step: `step` (Keras's train_step or test_step) on every replica; this worker's logs."""
    strategy = model.distribute_strategy
    xla = bool(model.jit_compile)
    devices = strategy.extended.worker_devices if strategy.num_replicas_in_sync > 1 else ()
    if xla and devices and (len(devices) > 1 or "GPU" not in devices[0].upper()):
        # TensorFlow compiles one XLA computation per device, so a step spanning this worker's replicas cannot
        # be one (Keras's own fit fails the same way; its jit_compile="auto" turns XLA off under tf.distribute),
        # and XLA has no cross-worker collectives on CPU ("not yet implemented for CPU devices").
        logger.warning("keras_dlx: jit_compile ignored: XLA needs one device per worker and, across workers, "
                       "GPUs (here %d local device(s): %s)", len(devices), ", ".join(devices))
        xla = False

    @tf.function(jit_compile=xla)  # as Keras does: XLA around strategy.run, the input pipeline outside
    def one_step(data):
        outputs = strategy.run(step, args=(data,))
        return tf.nest.map_structure(lambda v: strategy.experimental_local_results(v)[0], outputs)

    @tf.function
    def run(iterator):
        return one_step(next(iterator))

    return run


def _run_epoch(model, function, distributed, steps, callbacks, train):
    iterator = iter(distributed)
    for step in range(steps):
        (callbacks.on_train_batch_begin if train else callbacks.on_test_batch_begin)(step)
        logs = function(iterator)
        (callbacks.on_train_batch_end if train else callbacks.on_test_batch_end)(step, logs)
        if train and model.stop_training:
            break


def _steps(dataset, steps):
    """Steps per epoch: given, or the dataset's length. Every worker must run the same number of steps (a
    worker that runs out of data while the others wait in an all-reduce would hang the cluster)."""
    if steps is not None:
        return args.positive_int("steps_per_epoch", steps)
    cardinality = int(dataset.cardinality())
    if cardinality <= 0:
        args.invalid("steps_per_epoch", steps, "a positive integer for a dataset of unknown or infinite length")
    return cardinality


def _train_epochs(model, train_function, distributed, steps, callbacks, epochs, *, validation_data, auto_shard,
                  backup):
    """The epoch loop of `fit`: callbacks, metrics, validation and backups around each epoch."""
    callbacks.on_train_begin()
    logs = {}
    for epoch in epochs:
        model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        _run_epoch(model, train_function, distributed, steps, callbacks, train=True)
        logs = {k: float(v) for k, v in model.get_metrics_result().items()}
        if validation_data is not None:
            val_logs = evaluate(model, validation_data, verbose=0, auto_shard=auto_shard)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        callbacks.on_epoch_end(epoch, logs)
        if backup is not None:
            backup.save(model, epoch)
        if model.stop_training:
            break
    callbacks.on_train_end(logs)


def fit(model, dataset, epochs=1, callbacks=None, verbose=1, validation_data=None, steps_per_epoch=None,
        backup_dir=None, initial_epoch=0, auto_shard=tf.data.experimental.AutoShardPolicy.DATA):
    """Train a compiled `model` on a `tf.data.Dataset` under the model's strategy, like `model.fit`.

    Create and compile the model inside `strategy.scope()`. `dataset` yields `(x, y)` or `(x, y, weights)`
    batches of the *global* batch size (per-replica batch x replicas); under multi-worker training every
    worker passes the same pipeline and each trains on its shard (`auto_shard`, see `distribute_dataset`).
    Progress bar and `callbacks` as in `fit`; give chief-only callbacks (TensorBoard, checkpoints) only to the
    chief (`keras_dlx.distribute.is_chief()`).

    Args:
        model: a compiled `keras.Model`.
        dataset: a batched `tf.data.Dataset`.
        epochs, callbacks, verbose, validation_data, steps_per_epoch, initial_epoch: as in `Model.fit`
            (`validation_data`: a batched dataset).
        backup_dir: a directory for fault-tolerant training (shared by all workers), or None.
        auto_shard: `tf.data.experimental.AutoShardPolicy` for multi-worker sharding. Defaults to `DATA`.

    Returns:
        The `keras.callbacks.History`.
    """
    args.positive_int("epochs", epochs)
    if not isinstance(dataset, tf.data.Dataset):
        args.invalid("dataset", dataset, "a batched tf.data.Dataset")
    strategy = model.distribute_strategy
    chief = is_chief(strategy)
    steps = _steps(dataset, steps_per_epoch)
    _build(model, dataset)
    backup = Backup(backup_dir, chief) if backup_dir else None
    if backup is not None:
        initial_epoch = max(initial_epoch, backup.restore(model))
    train_function = _step_function(model, model.train_step)
    distributed = distribute_dataset(dataset, strategy, auto_shard)
    callbacks = keras.callbacks.CallbackList(callbacks, add_history=True, add_progbar=bool(verbose) and chief,
                                             verbose=verbose, epochs=epochs, steps=steps, model=model)
    model.stop_training = False
    # Keras's TensorBoard callback writes the graph of `model.train_function`: let it see this loop's step.
    keras_train_function, model.train_function = model.train_function, train_function
    try:
        _train_epochs(model, train_function, distributed, steps, callbacks, range(initial_epoch, epochs),
                      validation_data=validation_data, auto_shard=auto_shard, backup=backup)
    finally:  # an interrupted or failing run must not leave our step function on the model
        model.train_function = keras_train_function
    return model.history


def evaluate(model, dataset, verbose=0, callbacks=None, auto_shard=tf.data.experimental.AutoShardPolicy.DATA):
    """Evaluate a compiled `model` on a batched dataset under its strategy; returns `{metric: value}`."""
    _build(model, dataset)
    test_function = _step_function(model, model.test_step)
    distributed = distribute_dataset(dataset, model.distribute_strategy, auto_shard)
    steps = _steps(dataset, None)
    callbacks = keras.callbacks.CallbackList(callbacks, add_progbar=bool(verbose) and is_chief(
        model.distribute_strategy), verbose=verbose, epochs=1, steps=steps, model=model)
    model.reset_metrics()
    callbacks.on_test_begin()
    _run_epoch(model, test_function, distributed, steps, callbacks, train=False)
    logs = {k: float(v) for k, v in model.get_metrics_result().items()}
    callbacks.on_test_end(logs)
    return logs
