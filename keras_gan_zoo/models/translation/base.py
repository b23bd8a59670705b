"""`TranslationModel`: the base of the image-to-image translators (pix2pix, ...).

A translator maps an image of one domain to an image of another: an edge map to a
photo (paired training data, pix2pix), a sneaker to an ankle boot (unpaired,
CycleGAN), a low-resolution image to a high-resolution one (SRGAN). On top of the
training core (`GenerativeModel`: optimizers, `minimize`, step counter, checks) this
base owns what every translator shares:

- the shapes: `image_shape` is the input (source) shape, `target_shape` the output's
  (the same except for super-resolution); batches are `(source, target)` pairs by
  default, checked field by field (both range-checked as images);
- `domains == ("a", "b")` and their human names (`domain_names`, in the config);
  `directions`: `("a_to_b",)` for a one-way model, both ways for two-domain models;
- `translate(images, direction="a_to_b")`: numpy float32 in [-1, 1], checked input;
- `export_generator(path)`: a SavedModel with `serve(images)` (a -> b) and, for
  two-domain models, `serve_b_to_a`, loadable without this package.

A subclass builds its networks, sets `optimizer_networks`, implements
`translator(direction)` (the network that translates that way) and `train_step`.
Unpaired two-domain models (CycleGAN, DiscoGAN) start from
`UnpairedTranslationModel`: two generators, two discriminators, `(a, b)` batches.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.base import GenerativeModel, Unsaved

DIRECTIONS = ("a_to_b", "b_to_a")


def check_int(value, what, minimum=1):
    """`value` as an int >= `minimum`, or a ValueError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}; got {value!r}.")
    return int(value)


def check_non_negative(value, what):
    """`value` as a float >= 0 (a loss weight), or a ValueError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{what} must be a number >= 0; got {value!r}.")
    return float(value)


def check_domain_names(domain_names):
    """`domain_names` as a tuple of two distinct non-empty strings (default a, b)."""
    if domain_names is None:
        return ("a", "b")
    names = tuple(domain_names) if isinstance(domain_names, (list, tuple)) else None
    if (names is None or len(names) != 2 or not all(isinstance(n, str) and n for n in names)
            or names[0] == names[1]):
        raise ValueError("domain_names must be two distinct non-empty strings, e.g. "
                         f"('sneaker', 'ankle_boot'); got {domain_names!r}.")
    return names


def _serving_function(network):
    """`images -> network(images)` in inference mode, float32, clipped to [-1, 1]."""

    def serve(images):
        return tf.clip_by_value(tf.cast(network(images, training=False), tf.float32),
                                -1.0, 1.0)

    return serve


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class TranslationModel(GenerativeModel):
    """Base class of image-to-image translators.

    Args:
        image_shape: (height, width, channels) of the source images.
        target_shape: shape of the translated images; default `image_shape`.
        domain_names: human names of domains a and b, e.g. `("edges", "fashion")`.
        seed: integer seed of the training noise; `None` draws one.
        **kwargs: `keras.Model` arguments (`name`).

    Example:
        >>> model = kgz.create_model("pix2pix", image_shape=(28, 28, 1))
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("fashion_mnist_edges", batch_size=16), epochs=5)
        >>> photos = model.translate(edge_maps)        # (N, 28, 28, 1) float32 in [-1, 1]
    """

    family = "translation"
    directions = ("a_to_b",)

    def __init__(self, image_shape=(256, 256, 3), target_shape=None, domain_names=None,
                 seed=None, **kwargs):
        super().__init__(image_shape=image_shape, seed=seed, **kwargs)
        if target_shape is None:
            self.target_shape = self.image_shape
        else:
            target = tuple(target_shape)
            if len(target) != 3 or not all(isinstance(d, (int, np.integer)) and d > 0
                                           for d in target):
                raise ValueError("target_shape must be (height, width, channels) of "
                                 f"positive ints; got {target_shape!r}.")
            self.target_shape = tuple(int(d) for d in target)
        self.domain_names = check_domain_names(domain_names)
        self._translation = Unsaved(functions={})  # traced translate functions, not saved

    @property
    def domains(self):
        """The two domains, `("a", "b")`; their human names are `domain_names`."""
        return ("a", "b")

    # ---------------------------------------------------------------- batches
    def batch_fields(self):
        """`(source, target)` pairs: source images of `image_shape`, targets of
        `target_shape`."""
        return (("source", "images"), ("target", "target_images"))

    def check_field(self, kind, value, where):
        if kind == "target_images":
            self._check_images(value, where, self.target_shape)
        else:
            super().check_field(kind, value, where)

    def check_field_values(self, kind, array, where):
        super().check_field_values("images" if kind == "target_images" else kind, array, where)

    def training_images(self, data):
        """The start of every translator's `train_step`: the batch unpacked and
        checked, its fields as float32 tensors in `batch_fields` order, and this
        replica's batch size.

        Example:
            >>> source, target, n = self.training_images(data)
        """
        batch = self.unpack_batch(data)
        self.check_batch(batch, "train_step")
        images = [tf.cast(batch[name], "float32") for name, _ in self.batch_fields()]
        return (*images, tf.shape(images[0])[0])

    # ------------------------------------------------------------ translation
    def translator(self, direction):
        """The network that translates `direction` ("a_to_b" or "b_to_a")."""
        raise NotImplementedError(f"{type(self).__name__} must implement translator().")

    def check_direction(self, direction):
        if direction not in self.directions:
            if direction in DIRECTIONS:
                raise ValueError(f"{type(self).__name__} translates one way only "
                                 f"(direction='a_to_b'); got direction={direction!r}.")
            raise ValueError(f"direction must be one of {self.directions}; got {direction!r}.")
        return direction

    def input_shape_for(self, direction):
        """The shape of the images `direction` takes."""
        return self.image_shape if direction == "a_to_b" else self.target_shape

    def _translate_function(self, direction):
        functions = self._translation.functions
        if direction not in functions:
            network = self.translator(direction)

            @tf.function(reduce_retracing=True)
            def run(images):
                return tf.cast(network(images, training=False), "float32")

            functions[direction] = run
        return functions[direction]

    def translate(self, images, direction="a_to_b", batch_size=64):
        """Translates images: numpy float32 in [-1, 1], one output per input.

        Args:
            images: numpy array or tensor (N, H, W, C) (or one image (H, W, C)) in
                [-1, 1], of `image_shape` (a -> b) or `target_shape` (b -> a).
            direction: `"a_to_b"` (default) or, for two-domain models, `"b_to_a"`.
            batch_size: images per forward pass.
        """
        direction = self.check_direction(direction)
        images = self._images_numpy(images, f"translate({direction})",
                                    self.input_shape_for(direction))
        if len(images) == 0:
            return np.zeros((0, *self.input_shape_for(direction)), "float32")
        run = self._translate_function(direction)
        return np.clip(self._batched(run, images, self._check_count(batch_size)),
                       -1.0, 1.0).astype("float32")

    # ----------------------------------------------------------------- export
    def export_generator(self, path, format="saved_model", quantize=None):
        """Writes the translator(s) as a TF SavedModel: `serve(images)` translates
        a -> b and, for two-domain models, `serve_b_to_a(images)` b -> a.

        The SavedModel needs nothing from this package (or Keras) to load. Written
        next to `path` and moved into place.

        Args:
            path: target directory (replaced if it exists).
            format: "saved_model" (default), "tflite" or "onnx" (keras_gan_zoo.export;
                for the last two `path` is the file, or a directory that receives
                `generator[.quantize].tflite|onnx`).
            quantize: None, "float16" or "int8" (dynamic range), tflite / onnx only.

        Example:
            >>> model.export_generator("pix2pix_edges")
            >>> out = tf.saved_model.load("pix2pix_edges").serve(edge_maps)
        """
        self._check_export(format, quantize)
        archive = keras.export.ExportArchive()
        for direction in self.directions:
            network = self.translator(direction)
            archive.track(network)
            spec = [tf.TensorSpec((None, *self.input_shape_for(direction)), tf.float32,
                                  name="images")]

            name = "serve" if direction == "a_to_b" else "serve_b_to_a"
            archive.add_endpoint(name, _serving_function(network), input_signature=spec)
        return self._write_export(archive, path, format, quantize)

    # ----------------------------------------------------------------- config
    def get_config(self):
        return {
            "name": self.name,
            "image_shape": list(self.image_shape),
            "target_shape": None if self.target_shape == self.image_shape
            else list(self.target_shape),
            "domain_names": list(self.domain_names),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SameSizeTranslationModel(TranslationModel):
    """A translator whose outputs have its inputs' height and width (pix2pix,
    BiCycleGAN, the two-domain models): the config holds `target_channels`, the
    output's channels, rather than a `target_shape`.

    Args:
        image_shape: (height, width, channels) of the source images.
        target_channels: channels of the target images; default the source's.
        domain_names: human names of the source and target domains.
        seed: integer seed of the model's random draws; `None` draws one.
    """

    def __init__(self, image_shape=(256, 256, 3), target_channels=None, domain_names=None,
                 seed=None, **kwargs):
        image_shape = tuple(image_shape)
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (height, width, channels); got {image_shape!r}.")
        target_channels = check_int(image_shape[-1] if target_channels is None
                                    else target_channels, "target_channels")
        super().__init__(image_shape=image_shape,
                         target_shape=(*image_shape[:2], target_channels),
                         domain_names=domain_names, seed=seed, **kwargs)
        self.target_channels = target_channels

    def get_config(self):
        config = super().get_config()
        config.pop("target_shape")
        return {**config, "target_channels": self.target_channels}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class UnpairedTranslationModel(SameSizeTranslationModel):
    """Base of the unpaired two-domain translators (CycleGAN, DiscoGAN).

    Owns what they share: two generators (`generator_a_to_b`, `generator_b_to_a`)
    under one optimizer and two discriminators (`discriminator_a` judges domain a,
    `discriminator_b` domain b) under another, as in both papers' code; batches of
    unaligned `(a, b)` images; both directions of `translate` and of the export;
    `target_channels` (domain b's channels) in the config.

    A subclass builds the four networks in its `__init__` and writes `train_step`.

    Args:
        image_shape: (height, width, channels) of domain a's images.
        target_channels: channels of domain b's images; default a's.
        domain_names: human names of domains a and b, e.g. `("sneaker", "ankle_boot")`.
        seed: integer seed of the model's random draws; `None` draws one.
    """

    directions = ("a_to_b", "b_to_a")
    optimizer_networks = {
        "generator_optimizer": ("generator_a_to_b", "generator_b_to_a"),
        "discriminator_optimizer": ("discriminator_a", "discriminator_b"),
    }

    def translator(self, direction):
        return self.generator_a_to_b if direction == "a_to_b" else self.generator_b_to_a

    def batch_fields(self):
        """`(a, b)`: unaligned images of domain a (`image_shape`) and of domain b."""
        return (("a", "images"), ("b", "target_images"))

    def default_optimizers(self):
        """Adam(2e-4, beta_1=0.5) for the generators and for the discriminators."""
        return {arg: keras.optimizers.Adam(2e-4, beta_1=0.5) for arg in self.optimizer_networks}

    def call(self, images, training=False):
        return self.generator_a_to_b(images, training=training)

    def round_trip(self, real_a, real_b):
        """Both translations and both reconstructions of one training step (inside
        the tape): `(fake_b, fake_a, cycled_a, cycled_b)` with fake_b = G(a),
        fake_a = F(b), cycled_a = F(G(a)), cycled_b = G(F(b))."""
        fake_b = self.generator_a_to_b(real_a, training=True)
        fake_a = self.generator_b_to_a(real_b, training=True)
        return (fake_b, fake_a, self.generator_b_to_a(fake_b, training=True),
                self.generator_a_to_b(fake_a, training=True))
