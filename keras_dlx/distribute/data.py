"""Input pipelines for (distributed) training on in-memory images."""

import tensorflow as tf


def image_dataset(images, labels, batch_size, size=None, shuffle_seed=None, drop_remainder=False):
    """A batched, prefetched `tf.data.Dataset` of `(images, labels)`.

    Args:
        images, labels: arrays, images shaped (N, rows, cols, channels).
        batch_size: the *global* batch size (per-replica batch x replicas) under a strategy.
        size: resize the images to `size x size` (bilinear) when it differs from theirs; None keeps them.
        shuffle_seed: shuffle the whole set every epoch with this seed; None keeps the order.
        drop_remainder: drop a last, smaller batch (training under several workers needs equal steps).
    """
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(images), seed=shuffle_seed)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if size is not None and size != images.shape[1]:
        dataset = dataset.map(lambda x, y: (tf.image.resize(x, (size, size)), y))
    return dataset.prefetch(tf.data.AUTOTUNE)
