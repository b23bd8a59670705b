"""Feature extractors for sample-quality metrics (FID, KID, IS, precision/recall).

An extractor maps a batch of images in [-1, 1] (any size, 1 or 3 channels) to
``(features, logits)``: the embedding that FID/KID/precision-recall compare and,
when it has a classifier head, the class logits that IS and the mode count use.

Example:
    >>> ext = get_extractor("inception_v3")            # ImageNet weights (download)
    >>> features, logits = ext(images)                   # (B, 2048), (B, 1000)

Reference:
    FID: Heusel et al. 2017, arXiv:1706.08500.
"""

import numpy as np
import tensorflow as tf

__all__ = [
    "CroppedExtractor",
    "FeatureExtractor",
    "InceptionV3Extractor",
    "get_extractor",
    "list_extractors",
]

# ITU-R BT.601 luma weights; they sum to 1, so [-1, 1] maps to [-1, 1].
_LUMA = (0.299, 0.587, 0.114)


class FeatureExtractor:
    """Base class: input conversion plus a compiled forward pass.

    Subclasses set ``name``, ``input_shape`` (H, W, C the network expects),
    ``feature_dim`` and ``num_classes`` (None without a classifier head), and
    implement ``_forward(prepared_images) -> (features, logits)`` on tensors
    (``logits`` may be None). The base converts the input: channels (gray -> RGB by
    tiling, RGB -> gray by BT.601 luma), size (bilinear ``tf.image.resize`` to
    ``input_shape[:2]``; no antialiasing when upsampling, as the reference FID code,
    antialiasing when downsampling) and checks that values lie in [-1, 1].

    Args:
        name: short name of the extractor.
        input_shape: (H, W, C) the network expects, C in {1, 3}.
        feature_dim: length of the feature vector.
        num_classes: number of logits, or None if there is no classifier head.
        max_batch_size: images per forward call (larger inputs are chunked).
        range_tolerance: values may exceed [-1, 1] by this much before
            ``__call__`` raises.

    Example:
        >>> class Flatten(FeatureExtractor):
        ...     def __init__(self):
        ...         super().__init__("flat", (8, 8, 1), feature_dim=64)
        ...     def _forward(self, x):
        ...         return tf.reshape(x, (-1, 64)), None
        >>> features, logits = Flatten()(images)
    """

    name = "feature_extractor"
    input_shape = None
    feature_dim = None
    num_classes = None
    max_batch_size = 64
    range_tolerance = 0.05

    def __init__(self, name=None, input_shape=None, feature_dim=None, num_classes=None,
                 max_batch_size=None, range_tolerance=None):
        if name is not None:
            self.name = name
        if input_shape is not None:
            self.input_shape = tuple(int(s) for s in input_shape)
        if feature_dim is not None:
            self.feature_dim = int(feature_dim)
        if num_classes is not None:
            self.num_classes = int(num_classes)
        if max_batch_size is not None:
            self.max_batch_size = int(max_batch_size)
        if range_tolerance is not None:
            self.range_tolerance = float(range_tolerance)
        self._compiled = None

    # -------------------------------------------------------------- subclass API
    def _forward(self, images):
        """Maps prepared images (B, *input_shape) to (features, logits) tensors."""
        raise NotImplementedError(f"{type(self).__name__} must implement _forward().")

    # ------------------------------------------------------------------- public
    def __repr__(self):
        return (f"{type(self).__name__}(name={self.name!r}, input_shape={self.input_shape}, "
                f"feature_dim={self.feature_dim}, num_classes={self.num_classes})")

    def __call__(self, images):
        """Features and logits of a batch of images.

        Args:
            images: (B, H, W, C) numpy array or tensor, C in {1, 3}, values in [-1, 1].

        Returns:
            ``(features, logits)``: float32 numpy arrays of shape (B, feature_dim)
            and (B, num_classes), or ``logits=None`` without a classifier head.
        """
        images = self._check(images)
        if self._compiled is None:
            self._compiled = tf.function(self._forward, reduce_retracing=True)
        feats, logits = [], []
        n = int(images.shape[0])
        step = max(1, int(self.max_batch_size))
        for start in range(0, n, step):
            chunk = self.prepare(images[start:start + step])
            f, lg = self._compiled(chunk)
            feats.append(np.asarray(f, dtype=np.float32).reshape(int(chunk.shape[0]), -1))
            if lg is not None:
                logits.append(np.asarray(lg, dtype=np.float32))
        features = np.concatenate(feats, axis=0)
        if self.feature_dim is not None and features.shape[1] != self.feature_dim:
            raise ValueError(
                f"{self.name}: _forward returned features of dimension {features.shape[1]}, "
                f"expected feature_dim={self.feature_dim}."
            )
        return features, (np.concatenate(logits, axis=0) if logits else None)

    def prepare(self, images):
        """Converts checked float32 images to ``input_shape`` (channels, then size)."""
        images = tf.convert_to_tensor(images, dtype=tf.float32)
        if self.input_shape is None:
            return images
        height, width, channels = self.input_shape
        c = int(images.shape[-1])
        if c != channels:
            if c == 1 and channels == 3:
                images = tf.tile(images, [1, 1, 1, 3])
            elif c == 3 and channels == 1:
                images = tf.reduce_sum(images * tf.constant(_LUMA, tf.float32), -1, keepdims=True)
            else:  # pragma: no cover - _check restricts c to {1, 3}
                raise ValueError(f"{self.name}: cannot convert {c} channels to {channels}.")
        h, w = int(images.shape[1]), int(images.shape[2])
        if (h, w) != (height, width):
            downsampling = h > height or w > width
            images = tf.image.resize(images, (height, width), method="bilinear",
                                     antialias=downsampling)
        return images

    def _check(self, images):
        dtype = getattr(images, "dtype", None)
        if isinstance(images, tf.Tensor):
            is_int = images.dtype.is_integer or images.dtype == tf.bool
        else:
            images = np.asarray(images)
            dtype = images.dtype
            is_int = not np.issubdtype(dtype, np.floating)
        if is_int:
            raise ValueError(
                f"{self.name}: expected float images in [-1, 1]; got dtype {dtype} "
                "(for uint8 images in 0..255 pass images / 127.5 - 1)."
            )
        if len(images.shape) != 4 or int(images.shape[-1]) not in (1, 3):
            raise ValueError(
                f"{self.name}: expected a batch of images of shape (B, H, W, C) with C 1 or 3; "
                f"got shape {tuple(images.shape)}."
            )
        if int(images.shape[0]) == 0:
            raise ValueError(f"{self.name}: got an empty batch of images.")
        images = tf.cast(tf.convert_to_tensor(images), tf.float32)
        lo = float(tf.reduce_min(images))
        hi = float(tf.reduce_max(images))
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"{self.name}: images contain NaN or infinite values.")
        tol = self.range_tolerance
        if lo < -1.0 - tol or hi > 1.0 + tol:
            hint = (" They look like 0..255 pixels: pass images / 127.5 - 1."
                    if hi > 2.0 else "")
            raise ValueError(
                f"{self.name}: expected images with values in [-1, 1]; got values in "
                f"[{lo:.4g}, {hi:.4g}].{hint}"
            )
        return images


class InceptionV3Extractor(FeatureExtractor):
    """Inception-v3 features (2048-d pool) and ImageNet logits (1000), the FID standard.

    Images are resized bilinearly to 299x299 (no antialiasing when upsampling) and
    gray images tiled to RGB; values stay in [-1, 1], which is what Keras'
    InceptionV3 expects.

    FID from this extractor is comparable to published tables only with the
    ImageNet weights and the standard 299 bilinear resize, and even then not
    bit-identical: Keras' InceptionV3 is not the TF1 graph (``pool_3``) of the
    original FID code, so numbers are close, not identical. With ``weights=None``
    the network is random: shapes are right, numbers mean nothing.

    Args:
        weights: ``"imagenet"`` (downloaded by Keras on first use), ``None``
            (random init, for tests), or the path of a local ``.h5`` weights file
            of the full model (``include_top=True``).
        max_batch_size: images per forward call.

    Example:
        >>> ext = InceptionV3Extractor()
        >>> features, logits = ext(images)      # (B, 2048), (B, 1000)

    Reference:
        Szegedy et al. 2015, arXiv:1512.00567; FID: Heusel et al. 2017, arXiv:1706.08500.
    """

    def __init__(self, weights="imagenet", max_batch_size=32, name="inception_v3"):
        super().__init__(name=name, input_shape=(299, 299, 3), feature_dim=2048,
                         num_classes=1000, max_batch_size=max_batch_size)
        import keras

        self.weights = weights
        try:
            base = keras.applications.InceptionV3(include_top=True, weights=weights)
        except Exception as err:  # no internet, bad file, ...
            raise RuntimeError(
                f"Could not load the InceptionV3 weights {weights!r} ({type(err).__name__}: "
                f"{err}). The ImageNet weights are downloaded on first use and need internet "
                "access (they are cached in ~/.keras/models afterwards). Pass the path of a "
                "local .h5 weights file (include_top=True), or weights=None for a randomly "
                "initialized network (right shapes only; its numbers are NOT comparable to "
                "anything)."
            ) from err
        pool = base.get_layer("avg_pool")
        self._predictions = base.get_layer("predictions")
        self._pool_model = keras.Model(base.inputs, pool.output, name="inception_v3_pool")

    def _forward(self, images):
        features = self._pool_model(images, training=False)
        kernel, bias = self._predictions.kernel, self._predictions.bias
        logits = tf.matmul(features, tf.cast(kernel, features.dtype)) + tf.cast(
            bias, features.dtype)
        return tf.cast(features, tf.float32), tf.cast(logits, tf.float32)


class CroppedExtractor(FeatureExtractor):
    """Another extractor's features and logits of a fixed box of the images.

    What a padded dataset is measured with (:func:`keras_gan_zoo.metrics.default_extractor`
    of ``"fashion_mnist_32"``, Fashion-MNIST padded 28 -> 32): the center 28x28 of every
    32x32 image, generated or real, goes to the Fashion-MNIST domain classifier. The
    padding is cut off, not resized into the classifier's input, so a model trained on the
    padded images is compared with the Fashion-MNIST images themselves (the content of the
    padded real images *is* those images).

    Args:
        extractor: the extractor of the content: a :class:`FeatureExtractor` or a name of
            :func:`get_extractor` (built on first use, once per process).
        box: ``(top, left, height, width)`` of the content
            (:func:`keras_gan_zoo.datasets.content_box`).
        image_size: ``(height, width)`` of the images it measures; a batch of another
            size is a ``ValueError``.
        name: its name (default: the inner extractor's and the crop, e.g.
            ``"fashion_mnist, center 28x28 of 32x32"``).

    Example:
        >>> ext = CroppedExtractor("fashion_mnist", (2, 2, 28, 28), (32, 32))
        >>> features, logits = ext(padded_images)     # of padded_images[:, 2:30, 2:30]
    """

    def __init__(self, extractor, box, image_size, name=None):
        top, left, height, width = (int(v) for v in box)
        full_height, full_width = (int(v) for v in image_size)
        if (min(top, left) < 0 or min(height, width) < 1 or top + height > full_height
                or left + width > full_width):
            raise ValueError(f"CroppedExtractor: box {tuple(box)} (top, left, height, width) "
                             f"does not fit in {full_height}x{full_width} images.")
        self.box = (top, left, height, width)
        self.image_size = (full_height, full_width)
        self._extractor = extractor
        inner = extractor if isinstance(extractor, str) else extractor.name
        centered = (full_height - height == 2 * top and full_width - width == 2 * left)
        where = "center" if centered else f"box {self.box} (top, left, height, width)"
        super().__init__(name=name or f"{inner}, {where} {height}x{width} of "
                         f"{full_height}x{full_width}")

    @property
    def extractor(self):
        """The inner extractor (built on first use)."""
        if isinstance(self._extractor, str):
            self._extractor = resolve_extractor(self._extractor)
        return self._extractor

    @property
    def feature_dim(self):
        return self.extractor.feature_dim

    @property
    def num_classes(self):
        return self.extractor.num_classes

    def __repr__(self):
        return (f"CroppedExtractor({self._extractor!r}, box={self.box}, "
                f"image_size={self.image_size})")

    def __str__(self):
        return self.name

    def __call__(self, images):
        """Features and logits of the box of each image (see :meth:`FeatureExtractor.__call__`)."""
        shape = tuple(images.shape)
        if len(shape) != 4 or tuple(int(s) for s in shape[1:3]) != self.image_size:
            raise ValueError(
                f"{self.name}: measures the {self.box[2]}x{self.box[3]} content of "
                f"{self.image_size[0]}x{self.image_size[1]} images (B, H, W, C); got shape "
                f"{shape}.")
        top, left, height, width = self.box
        return self.extractor(images[:, top:top + height, left:left + width])


_NAMES = ("fashion_mnist", "inception_v3", "mnist")


def list_extractors():
    """Names accepted by :func:`get_extractor`."""
    return sorted(_NAMES)


def get_extractor(name, **kwargs):
    """Returns a feature extractor by name (an instance passes through).

    Args:
        name: ``"inception_v3"``, ``"mnist"``, ``"fashion_mnist"`` or a
            :class:`FeatureExtractor` instance.
        **kwargs: constructor arguments of the extractor.

    Returns:
        A :class:`FeatureExtractor`.

    Example:
        >>> ext = get_extractor("inception_v3", weights=None)
    """
    if isinstance(name, FeatureExtractor):
        if kwargs:
            raise ValueError("get_extractor: keyword arguments given with an extractor instance.")
        return name
    if name == "inception_v3":
        return InceptionV3Extractor(**kwargs)
    if name in ("mnist", "fashion_mnist"):
        from keras_gan_zoo.metrics.domain import DomainClassifierExtractor

        return DomainClassifierExtractor(name, **kwargs)
    raise ValueError(
        f"Unknown feature extractor {name!r}; expected a FeatureExtractor instance or one of "
        f"{list_extractors()}."
    )


#: name (or ("content", dataset)) -> FeatureExtractor, built once per process.
_EXTRACTORS = {}


def resolve_extractor(extractor):
    """`extractor` itself, or the process-wide cached extractor of that name."""
    if isinstance(extractor, FeatureExtractor):
        return extractor
    if isinstance(extractor, str):
        if extractor not in _EXTRACTORS:
            _EXTRACTORS[extractor] = get_extractor(extractor)
        return _EXTRACTORS[extractor]
    raise ValueError(
        f"extractor must be a FeatureExtractor or a name; got {type(extractor).__name__}."
    )
