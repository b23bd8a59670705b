"""Autoregressive image family: `AutoregressiveModel` and the pixel models, one file each."""

from keras_gan_zoo.models.autoregressive.base import AutoregressiveModel
from keras_gan_zoo.models.autoregressive.pixelcnn import PixelCNN, pixelcnn_network
from keras_gan_zoo.models.autoregressive.gated_pixelcnn import (GatedPixelCNN,
                                                                gated_pixelcnn_network)
from keras_gan_zoo.models.autoregressive.pixelrnn import PixelRNN, pixelrnn_network

__all__ = ["AutoregressiveModel", "PixelCNN", "pixelcnn_network", "GatedPixelCNN",
           "gated_pixelcnn_network", "PixelRNN", "pixelrnn_network"]
