"""The pooling family: layers that pool or undo a pooling (TensorFlow Addons' MaxUnpooling2D(V2), NetVLAD)."""

from keras_dlx.layers.pooling.max_unpooling_2d import MaxUnpooling2D, MaxUnpooling2DV2
from keras_dlx.layers.pooling.net_vlad import NetVLAD

__all__ = ["MaxUnpooling2D", "MaxUnpooling2DV2", "NetVLAD"]
