"""Input pipelines for (distributed) training on in-memory images."""

import tensorflow as tf


def image_dataset(images, labels, batch_size, size=None, shuffle_seed=None, drop_remainder=False):
    """A batched, prefetched `tf.data.Dataset` of `(images, labels)`.

    Detection targets work too: `labels` a dict of arrays, e.g. the padded ground truth `{"boxes" (N, max_boxes,
    4) xyxy pixels, "classes" (N, max_boxes)}` that `keras_dlx.applications.Detector.fit` takes; each batch then
    holds a dict of the same keys, and a resize scales `"boxes"` with the images (padding boxes stay zero).

    Args:
        images: an array shaped (N, rows, cols, channels), square images when `size` resizes them.
        labels: an array, or a dict of arrays, with N rows.
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
        factor = size / images.shape[1]

        def resize(x, y):
            if isinstance(y, dict) and "boxes" in y:  # pixel coordinates follow the pixels
                y = {**y, "boxes": tf.cast(y["boxes"], tf.float32) * factor}
            return tf.image.resize(x, (size, size)), y

        dataset = dataset.map(resize)
    return dataset.prefetch(tf.data.AUTOTUNE)
