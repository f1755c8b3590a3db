"""TensorFlow distribution support: the only place in keras_dlx with tf.distribute code.

- `get_strategy(kind)`: one device, MirroredStrategy or MultiWorkerMirroredStrategy, chosen and logged.
- `fit(model, dataset, ...)` / `evaluate(model, dataset)`: Keras's training step and callbacks under any
  strategy, MultiWorkerMirroredStrategy included (where Keras 3's `Model.fit` fails), with fault-tolerant
  backups (`backup_dir`).
- `image_dataset`: a batched tf.data pipeline of in-memory images (global batch, optional resize).
- `cross_replica_sum`: synchronized statistics for layers (defined in `keras_dlx.utils.replicas`, which layers
  import without importing TensorFlow).
"""

from keras_dlx.distribute.data import image_dataset
from keras_dlx.distribute.strategy import get_strategy, is_chief, logical_cpus, parse_tf_config
from keras_dlx.distribute.training import Backup, check_batch_size, distribute_dataset, evaluate, fit
from keras_dlx.utils.replicas import cross_replica_sum

__all__ = ["Backup", "check_batch_size", "cross_replica_sum", "distribute_dataset", "evaluate", "fit",
           "get_strategy", "image_dataset", "is_chief", "logical_cpus", "parse_tf_config"]
