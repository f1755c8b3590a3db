"""The pooling family: layers that pool or undo a pooling (TensorFlow Addons' MaxUnpooling2D, NetVLAD)."""

from keras_dlx.layers.pooling.max_unpooling_2d import MaxUnpooling2D
from keras_dlx.layers.pooling.net_vlad import NetVLAD

__all__ = ["MaxUnpooling2D", "NetVLAD"]
