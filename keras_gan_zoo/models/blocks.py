"""Network blocks that several models of the zoo build with.

Model files import these instead of each other's private helpers, so an
architecture file holds one architecture and these rules live once:

- `square_image_stages`: the stride-2 stages of a square image whose side halves
  to a small base (DCGAN, the autoencoders, VAE-GAN);
- `dcgan_init` / `dcgan_batch_norm`: DCGAN's N(0, 0.02) weights and its batch norm
  (synchronized across replicas, so N replicas normalize as one device);
- `one_hot`: int labels to one-hot rows inside a functional network (ACGAN, CGAN);
- `reference_dense` / `reference_maxout`: the pylearn2 layers of Goodfellow's GAN
  and Mirza's CGAN (uniform init, max-norm of every unit's weights);
- `check_minibatch_discrimination` and its kernel size (GAN, DCGAN);
- `instance_norm` (CycleGAN, its PatchGAN) and `pad_to_multiple` (the translators
  whose networks halve the image: an odd side is reflect-padded and cropped back);
- `resolution_log2` / `feature_maps` / `check_feature_maps`: the power-of-two
  resolutions and the official `nf(stage)` channel rule of the networks that start at
  4x4 (ProGAN, StyleGAN, StyleGAN2), and `check_minibatch_stddev_batch`, their
  batch-size rule.
"""

import math
import numbers

import keras
import numpy as np

from keras_gan_zoo.layers import Maxout, ReflectionPadding2D

MINIBATCH_KERNEL_DIM = 5  # C of minibatch discrimination, as in Salimans et al.'s code
MAX_COLUMN_NORM = 1.9365  # the pylearn2 configurations' max_col_norm


def square_image_stages(image_shape, model_name):
    """`(stages, base side, channels)` of a square image whose side halves to >= 4.

    Args:
        image_shape: (side, side, channels) of positive ints.
        model_name: named in the errors (`"DCGAN needs square images ..."`).

    Example:
        >>> square_image_stages((28, 28, 1), "DCGAN")   # 28 -> 14 -> 7
        (2, 7, 1)
    """
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3
            or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
                       for d in image_shape)):
        raise ValueError(
            f"image_shape must be (height, width, channels) positive ints; got {image_shape!r}."
        )
    height, width, channels = (int(d) for d in image_shape)
    if height != width:
        raise ValueError(f"{model_name} needs square images; got {height}x{width}.")
    side, stages = height, 0
    while side % 2 == 0 and side // 2 >= 4:
        side, stages = side // 2, stages + 1
    if stages < 1:
        raise ValueError(
            f"{model_name} needs an image side that halves at least once to >= 4 "
            f"(e.g. 16, 28, 32, 64); got {height}."
        )
    return stages, side, channels


def dcgan_init():
    """DCGAN's weight initialization, N(0, 0.02)."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def dcgan_batch_norm(name):
    """DCGAN's batch norm (momentum 0.9, eps 1e-5, gamma ~ N(1, 0.02)), synchronized
    across replicas: ordinary batch norm on one device, global-batch statistics under
    `tf.distribute`."""
    return keras.layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        synchronized=True, name=name)


def one_hot(num_classes, name="one_hot"):
    """A layer mapping int labels (B,) to float one-hot rows (B, num_classes)."""
    return keras.layers.Lambda(lambda y: keras.ops.one_hot(y, num_classes),
                               output_shape=(num_classes,), name=name)


def reference_dense(units, init_range, name, activation=None, dtype=None):
    """Dense layer as in the pylearn2 GAN code: U(-r, r) init, max-norm of each unit."""
    return keras.layers.Dense(
        units, activation=activation,
        kernel_initializer=keras.initializers.RandomUniform(-init_range, init_range),
        kernel_constraint=keras.constraints.MaxNorm(MAX_COLUMN_NORM, axis=0),
        name=name, dtype=dtype)


def reference_maxout(units, pieces, name):
    """Discriminator maxout layer of the pylearn2 code: U(-0.005, 0.005) init, max-norm."""
    return Maxout(units, pieces, name=name,
                  kernel_initializer=keras.initializers.RandomUniform(-0.005, 0.005),
                  kernel_constraint=keras.constraints.MaxNorm(MAX_COLUMN_NORM, axis=0))


def check_minibatch_discrimination(value):
    """The number of minibatch-discrimination kernels: an int >= 0 (0 = off)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            "minibatch_discrimination must be an int >= 0 (number of kernels, 0 = off); "
            f"got {value!r}."
        )
    return value


def instance_norm(name):
    """Instance normalization (Ulyanov et al. 2016, arXiv:1607.08022): each image's
    channels normalized over height and width, without the affine terms (PyTorch's
    default `InstanceNorm2d`, as in the CycleGAN authors' code).

    Keras's `GroupNormalization` with one group per channel; it needs no batch
    statistics, so N replicas compute what one device computes.
    """
    return keras.layers.GroupNormalization(groups=-1, center=False, scale=False,
                                           epsilon=1e-5, name=name)


NORMS = ("batch", "instance")


def check_norm(norm):
    """`norm` if it names a normalization of the translators ("batch" / "instance")."""
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}; got {norm!r}.")
    return norm


def norm_layer(norm, name):
    """`dcgan_batch_norm` (synchronized) for "batch", `instance_norm` for "instance"."""
    return (dcgan_batch_norm if check_norm(norm) == "batch" else instance_norm)(name)


def pad_to_multiple(inputs, image_shape, multiple, name="pad"):
    """`(padded, crop)`: `inputs` reflect-padded so that height and width are
    multiples of `multiple`, and a function that crops an output of the padded size
    back to `image_shape` (both identity when no padding is needed).

    Example:
        >>> h, crop = pad_to_multiple(inputs, (28, 28, 1), 32)   # 28 -> 32 -> ... -> 28
        >>> outputs = crop(network_body(h))
    """
    height, width = image_shape[:2]
    pad_h, pad_w = (-height) % multiple, (-width) % multiple
    if not (pad_h or pad_w):
        return inputs, lambda outputs: outputs
    top, left = pad_h // 2, pad_w // 2
    padded = ReflectionPadding2D(((top, pad_h - top), (left, pad_w - left)), name=name)(inputs)

    def crop(outputs):
        return keras.layers.Cropping2D(((top, pad_h - top), (left, pad_w - left)),
                                       dtype="float32", name=f"{name}_crop")(outputs)

    return padded, crop


def check_minibatch_stddev_batch(batch_size, d_steps, group_size, where):
    """Raises a ValueError when a discriminator minibatch of a batch of `batch_size`
    (split over `d_steps` updates, example j -> update j mod d_steps) does not split
    into minibatch-stddev groups of `group_size` (ProGAN, StyleGAN, StyleGAN2)."""
    if not group_size:
        return
    for i in range(min(d_steps, batch_size)):
        size = len(range(i, batch_size, d_steps))
        if size > group_size and size % group_size:
            raise ValueError(
                f"{where}: a discriminator batch of {size} images does not split into "
                f"minibatch-stddev groups of {group_size} (mbstd_group_size); use a batch "
                f"size that is a multiple of {group_size * d_steps} (per replica) or at most "
                f"{group_size}, and drop_remainder=True for a dataset whose last batch is "
                "smaller.")


def resolution_log2(image_shape, owner, channels=None):
    """log2 of the side of a square power-of-two `image_shape` with side >= 8 (the
    networks start at 4x4 and double); a `ValueError` naming `owner` otherwise, or when
    the channels are not one of `channels` (None: any)."""
    shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else image_shape
    if (not isinstance(shape, tuple) or len(shape) != 3
            or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0
                       for d in shape)):
        raise ValueError(f"{owner}: image_shape must be (side, side, channels) of positive "
                         f"ints; got {image_shape!r}.")
    h, w, c = shape
    if h != w or h < 8 or h & (h - 1):
        raise ValueError(
            f"{owner}: image_shape must be square with a power-of-two side >= 8 (8, 16, 32, "
            f"..., 1024): the networks start at 4x4 and double; got {image_shape!r}. Pad "
            "28x28 (Fashion-)MNIST by 2 pixels to 32x32: kgz.datasets.load(\"fashion_mnist_32\").")
    if channels is not None and c not in channels:
        raise ValueError(f"{owner}: images must have "
                         f"{' or '.join(map(str, channels))} channels; got {image_shape!r}.")
    return int(math.log2(h))


def feature_maps(stage, base_filters, max_filters):
    """The official `nf(stage) = min(base_filters / 2**stage, max_filters)` (fmap_base,
    fmap_max; fmap_decay 1): the maps of the block at resolution 2**(stage + 1)."""
    return min(int(base_filters) // 2 ** int(stage), int(max_filters))


def check_feature_maps(image_shape, base_filters, max_filters, owner, channels=None):
    """`resolution_log2(image_shape, owner, channels)` after checking that `base_filters`
    and `max_filters` (the official fmap_base / fmap_max) are positive ints that leave
    feature maps at the full resolution; a `ValueError` otherwise."""
    r_max = resolution_log2(image_shape, owner, channels)
    for name, value in (("base_filters", base_filters), ("max_filters", max_filters)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive int (the official fmap_base / "
                             f"fmap_max); got {value!r}.")
    if feature_maps(r_max - 1, base_filters, max_filters) < 1:
        side = tuple(image_shape)[0]
        raise ValueError(
            f"base_filters={base_filters} leaves no feature maps at {side}x{side} (nf = "
            f"base_filters / 2**{r_max - 1}); use base_filters >= {2 ** (r_max - 1)}.")
    return r_max
