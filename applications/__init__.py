"""Ready-made networks built from keras_dlx layers (image classifiers, and training wrappers such as
`CRFModelWrapper`): `from keras_dlx import applications`.

Every constructor takes the keras.applications arguments (`include_top`, `weights`, `input_tensor`,
`input_shape`, `pooling`, `classes`, `classifier_activation`, `name`) plus `features_only`. `list_models()`
names the registered classifiers, `list_models("detection")` the detectors (`Detector` subclasses);
`get_model(name, **kwargs)` builds one by name.
"""

from keras_dlx.applications.alexnet import AlexNet
from keras_dlx.applications.batch_norm_statistics import update_batch_norm_statistics
from keras_dlx.applications.crf_model_wrapper import CRFModelWrapper
from keras_dlx.applications.dcgan import *  # noqa: F401,F403
from keras_dlx.applications.dcgan import __all__ as _dcgan
from keras_dlx.applications.detector import Detector
from keras_dlx.applications.faster_rcnn import *  # noqa: F401,F403
from keras_dlx.applications.faster_rcnn import __all__ as _faster_rcnn
from keras_dlx.applications.fully_convolutional import to_fully_convolutional
from keras_dlx.applications.gan import *  # noqa: F401,F403
from keras_dlx.applications.gan import __all__ as _gan
from keras_dlx.applications.googlenet import GoogLeNet
from keras_dlx.applications.inception_v3 import InceptionV3
from keras_dlx.applications.lenet import LeNet5
from keras_dlx.applications.mobilenet import MobileNet
from keras_dlx.applications.registry import get_model, list_models, model_task
from keras_dlx.applications.resnet import (
                                           ResNet,
                                           ResNet18,
                                           ResNet34,
                                           ResNet50,
                                           ResNet50V2,
                                           ResNet101,
                                           ResNet101V2,
                                           ResNet152,
                                           ResNet152V2,
                                           ResNeXt50_32x4d,
                                           ResNeXt101_32x8d,
)
from keras_dlx.applications.shufflenet import ShuffleNet, ShuffleNet_G1, ShuffleNet_G3, ShuffleNet_G8
from keras_dlx.applications.ssd import SSD300, SSDLite
from keras_dlx.applications.style_transfer import StyleTransfer, style_transfer
from keras_dlx.applications.vae import VAE, ConvVAE, conv_autoencoder, conv_decoder, conv_encoder
from keras_dlx.applications.vgg import VGG, VGG11, VGG13, VGG16, VGG16_BN, VGG19
from keras_dlx.applications.yolo import *  # noqa: F401,F403
from keras_dlx.applications.yolo import __all__ as _yolo

__all__ = [
    "CRFModelWrapper", "get_model", "list_models", "model_task", "to_fully_convolutional",
    "update_batch_norm_statistics",
    "AlexNet", "GoogLeNet", "InceptionV3", "LeNet5", "MobileNet",
    "ResNet", "ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2",
    "ResNet152V2", "ResNeXt50_32x4d", "ResNeXt101_32x8d",
    "ShuffleNet", "ShuffleNet_G1", "ShuffleNet_G3", "ShuffleNet_G8",
    "VGG", "VGG11", "VGG13", "VGG16", "VGG16_BN", "VGG19",
    "Detector", "SSD300", "SSDLite", *_faster_rcnn, *_yolo,
    "StyleTransfer", "style_transfer", *_gan, *_dcgan,
    "VAE", "ConvVAE", "conv_autoencoder", "conv_decoder", "conv_encoder",
]
