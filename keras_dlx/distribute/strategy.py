"""Choosing a tf.distribute strategy, and who is the chief."""

import json
import logging
import os

import tensorflow as tf

from keras_dlx.utils import arguments as args

logger = logging.getLogger("keras_dlx.distribute")

KINDS = ("auto", "one_device", "mirrored", "multi_worker")


def parse_tf_config(text=None):
    """`TF_CONFIG` (the environment variable when `text` is None) as a dict, or None when it is unset.

    Raises `ValueError` naming `TF_CONFIG` when it is not JSON, names no cluster, or names no task of it.
    """
    text = os.environ.get("TF_CONFIG") if text is None else text
    if not text:
        return None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"Invalid `TF_CONFIG`: expected JSON ({error}). Received: TF_CONFIG={text!r}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster or not all(isinstance(v, list) and v for v in cluster.values()):
        raise ValueError("Invalid `TF_CONFIG`: expected a 'cluster' mapping job names to lists of host:port. "
                         f"Received: TF_CONFIG={text!r}")
    task = config.get("task")
    if not isinstance(task, dict) or task.get("type") not in cluster or not isinstance(task.get("index"), int) \
            or not 0 <= task["index"] < len(cluster[task["type"]]):
        raise ValueError("Invalid `TF_CONFIG`: expected a 'task' with a 'type' among the cluster's jobs "
                         f"({', '.join(cluster)}) and a valid 'index'. Received: TF_CONFIG={text!r}")
    return config


def cluster_size(config):
    return sum(len(tasks) for job, tasks in config["cluster"].items() if job in ("chief", "worker"))


def _check_devices_exist(devices):
    """A ValueError naming `devices` when one of them is not a device of this process (TensorFlow would place
    work elsewhere, or fail later with a less clear message)."""
    local = {(d.device_type.upper(), d.device_index)
             for d in map(tf.DeviceSpec.from_string, (device.name for device in tf.config.list_logical_devices()))}
    for name in devices:
        try:
            spec = tf.DeviceSpec.from_string(name)
        except ValueError:
            spec = None
        if spec is None or spec.device_type is None:
            args.invalid("devices", list(devices), "device names such as '/gpu:0' or '/cpu:0'")
        if spec.job not in (None, "localhost"):
            continue  # a remote task's device: not ours to list
        if (spec.device_type.upper(), spec.device_index or 0) not in local:
            have = ", ".join(sorted(f"/{kind.lower()}:{index}" for kind, index in local))
            args.invalid("devices", list(devices), f"devices of this machine ({have}); {name!r} is not one")


def get_strategy(kind="auto", devices=None):
    """A `tf.distribute.Strategy`, chosen as `kind` says; logs what it chose and why.

    - `"auto"`: `MultiWorkerMirroredStrategy` when `TF_CONFIG` names a cluster of more than one task,
      `MirroredStrategy` when more than one GPU is visible, otherwise the default strategy (one device).
    - `"one_device"`: `OneDeviceStrategy` on `devices[0]` (default: the first GPU, else the CPU).
    - `"mirrored"`: `MirroredStrategy` on `devices` (default: every GPU, else the CPU).
    - `"multi_worker"`: `MultiWorkerMirroredStrategy` (the cluster comes from `TF_CONFIG`; without it, one worker).

    Args:
        kind: one of `"auto"`, `"one_device"`, `"mirrored"`, `"multi_worker"`.
        devices: list of device names (`"/gpu:0"`, `"/cpu:1"`), for `one_device` and `mirrored`.
    """
    kind = args.one_of("kind", kind, KINDS)
    if devices is not None and (not isinstance(devices, (list, tuple)) or not devices
                                or not all(isinstance(d, str) for d in devices)):
        args.invalid("devices", devices, "None or a non-empty list of device names such as '/gpu:0'")
    config = parse_tf_config()
    why = "requested"
    if kind == "auto" and config is not None and cluster_size(config) > 1:
        kind, why = "multi_worker", f"TF_CONFIG names a cluster of {cluster_size(config)} tasks"
    if kind == "multi_worker":  # before anything initializes TensorFlow's runtime (collectives need that)
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        logger.info("keras_dlx: strategy: MultiWorkerMirroredStrategy with %d replica(s) because %s",
                    strategy.num_replicas_in_sync, why)
        return strategy
    if devices is not None and kind in ("one_device", "mirrored"):
        _check_devices_exist(devices)
    gpus = tf.config.list_logical_devices("GPU")
    if kind == "auto":
        if len(gpus) > 1:
            kind, why = "mirrored", f"{len(gpus)} GPUs are visible"
        else:
            why = f"no TF_CONFIG cluster and {len(gpus)} GPU(s) visible"
            logger.info("keras_dlx: strategy: default (one device) because %s", why)
            return tf.distribute.get_strategy()
    if kind == "mirrored":
        strategy = tf.distribute.MirroredStrategy(devices)
    else:
        device = devices[0] if devices else (gpus[0].name if gpus else "/cpu:0")
        strategy = tf.distribute.OneDeviceStrategy(device)
    logger.info("keras_dlx: strategy: %s with %d replica(s) because %s", type(strategy).__name__,
                strategy.num_replicas_in_sync, why)
    return strategy


def is_chief(strategy=None):
    """Whether this process writes logs, checkpoints and models: the `chief` task, or worker 0 of a cluster
    without one, or the only process when not multi-worker."""
    strategy = strategy or tf.distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def logical_cpus(count):
    """Split the CPU into `count` logical devices (`/cpu:0` ... ) so `MirroredStrategy` can run on a machine
    without GPUs. Must run before TensorFlow initializes its devices (before any op)."""
    count = args.positive_int("count", count)
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    return [f"/cpu:{i}" for i in range(count)]
