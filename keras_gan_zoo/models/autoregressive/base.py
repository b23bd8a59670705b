"""`AutoregressiveModel`: the base of the zoo's pixel-by-pixel image models.

PixelCNN, Gated PixelCNN and PixelRNN factor an image into a product of
conditionals, one per sub-pixel in raster order (rows, columns, then R, G, B):

    log p(x) = sum_i log p(x_i | x_<i)

An architecture supplies one network mapping the (discretised) image to logits of
every conditional at once, with masks that keep each output causal; this base owns
everything else:

- the discrete targets, from images in [-1, 1] (what every zoo dataset yields):
  `output="categorical"`: 256 levels per channel, a 256-way softmax each;
  `output="bernoulli"`: pixels binarised at 0 (intensity 0.5), one sigmoid each;
  `output="palette"`: each pixel is its nearest colour of a K-colour palette fitted
  by k-means (`keras_gan_zoo.datasets.palette`), one K-way softmax per pixel;
- `train_step`: the mean negative log-likelihood, reported as `nll` (nats per
  image) and `bits_per_dim` (per modelled variable); `test_step` for `evaluate`;
- one optimizer (`compile()` defaults to RMSProp, the PixelRNN paper's rule);
  `GenerativeModel` owns its loss scaling, the cross-replica overflow decision and
  the global-batch weighting;
- sampling in ONE compiled TF loop (`tf.while_loop` over the positions inside a
  `tf.function`): `generate`, `complete` (keep the top rows, sample the rest) and
  the exported SavedModel's `serve(noise)` all run the same graph. Each sub-pixel is
  drawn by inverting its CDF at a uniform noise value, so a seed (or a noise
  array) fixes the images;
- `log_likelihood(images)` in nats, `export_generator(path)`, configs.

A pixel is sampled by running the whole network on the canvas so far (the naive
O(H * W * C) passes of the papers): simple, exact and the same for every
architecture.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.base import GenerativeModel, Unsaved

OUTPUTS = ("categorical", "bernoulli", "palette")
LEVELS = 256


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class AutoregressiveModel(GenerativeModel):
    """Base class of autoregressive image models: a causal network, one optimizer.

    Subclasses build `self.network` after calling this constructor, from
    `self.input_channels`, `self.groups` (sub-pixels modelled one after the other
    per pixel) and `self.units` (logits per sub-pixel): a `keras.Model` mapping
    inputs (B, H, W, input_channels) in [-1, 1] (and int labels (B,) for a
    conditional model) to logits (B, H, W, groups * units), float32, causal.

    Args:
        image_shape: (height, width, channels) of the images.
        output: "categorical" (256-way softmax per channel), "bernoulli"
            (binarised at 0, i.e. intensity 0.5; a sigmoid per channel) or
            "palette" (a K-way softmax per pixel over a k-means palette).
        palette: "palette" output only: (K, channels) colours in [-1, 1]; `None`
            fits `palette_size` colours by k-means on the training pixels at the
            start of the first `fit` (or call `fit_palette`). Stored in the config.
        palette_size: K when the palette is fitted from data.
        num_classes: `None`, or the number of classes of a class-conditional model.
        seed: seed of the palette's k-means (stored in the config).
        **kwargs: `keras.Model` arguments (`name`).
    """

    family = "autoregressive"

    def __init__(self, image_shape, output="categorical", palette=None, palette_size=16,
                 num_classes=None, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, num_classes=num_classes, seed=seed, **kwargs)
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}.")
        channels = self.image_shape[-1]
        if output == "palette":
            if palette is not None:
                from keras_gan_zoo.datasets import palette as palette_lib

                palette = palette_lib.check_palette(palette, channels)
                palette_size = len(palette)
            if (not isinstance(palette_size, (int, np.integer)) or isinstance(palette_size, bool)
                    or palette_size < 2):
                raise ValueError(f"palette_size must be an int >= 2; got {palette_size!r}.")
            groups, units = 1, int(palette_size)
        else:
            if palette is not None:
                raise ValueError(f"palette= needs output='palette'; got output={output!r}.")
            groups, units = channels, (1 if output == "bernoulli" else LEVELS)
        self.output_mode = output
        self.palette = palette
        self.palette_size = int(palette_size)
        self.input_channels = channels
        self.groups = groups
        self.units = units
        self.nll_tracker = self.add_tracker("nll")
        self.bits_tracker = self.add_tracker("bits_per_dim")
        self.network = None
        self._functions = Unsaved(sampler=None, nll=None, crop=True)

    # ---------------------------------------------------------------- sizes
    @property
    def num_dims(self):
        """Modelled variables per image: sub-pixels (H*W*C), or pixels for a palette."""
        h, w, _ = self.image_shape
        return h * w * self.groups

    # -------------------------------------------------- discretisation (TF)
    def _require_palette(self):
        if self.output_mode == "palette" and self.palette is None:
            raise ValueError(
                f"{type(self).__name__}(output='palette') has no palette yet: pass palette= "
                "or call fit() / fit_palette(images) first (k-means on the training pixels)."
            )

    def to_targets(self, images):
        """Images in [-1, 1] (B, H, W, C) -> int32 targets (B, H, W, groups)."""
        images = tf.cast(images, "float32")
        if self.output_mode == "categorical":
            levels = tf.round((images + 1.0) * (LEVELS - 1) / 2.0)
            return tf.cast(tf.clip_by_value(levels, 0, LEVELS - 1), "int32")
        if self.output_mode == "bernoulli":
            return tf.cast(images > 0.0, "int32")
        self._require_palette()
        colours = tf.constant(self.palette)
        distances = tf.reduce_sum(
            tf.square(images[..., None, :] - colours), axis=-1)  # (B, H, W, K)
        return tf.argmin(distances, axis=-1, output_type=tf.int32)[..., None]

    def from_targets(self, targets):
        """int32 targets (B, H, W, groups) -> float32 images (B, H, W, C) in [-1, 1]."""
        targets = tf.cast(targets, "int32")
        if self.output_mode == "categorical":
            return tf.cast(targets, "float32") / ((LEVELS - 1) / 2.0) - 1.0  # = x / 127.5 - 1
        if self.output_mode == "bernoulli":
            return tf.cast(targets, "float32") * 2.0 - 1.0
        self._require_palette()
        return tf.gather(tf.constant(self.palette), targets[..., 0])

    # ------------------------------------------------------------------ call
    def logits(self, inputs, labels=None, training=False):
        """Logits (B, H, W, groups, units), float32, of network inputs in [-1, 1]."""
        inputs = tf.convert_to_tensor(inputs, "float32")
        if labels is not None:
            labels = tf.convert_to_tensor(labels, "int32")
        out = self.network([inputs, labels] if self.conditional else inputs, training=training)
        out = tf.cast(out, "float32")
        shape = tf.shape(out)
        return tf.reshape(out, [shape[0], shape[1], self.image_shape[1], self.groups, self.units])

    # Rows above a pixel that its conditional can depend on (None: all of them, as
    # in an LSTM). Convolutional models set it; sampling then runs the network on
    # that band of rows only, which gives the same logits (tests check it).
    receptive_rows = None

    def call(self, images, labels=None, training=False):
        """Logits of every conditional for images in [-1, 1] (discretised first)."""
        return self.logits(self.from_targets(self.to_targets(images)), labels, training)

    def nll_per_image(self, targets, labels=None, training=False):
        """-log p(x) in nats for int targets (B, H, W, groups): float32 (B,)."""
        logits = self.logits(self.from_targets(targets), labels, training=training)
        if self.output_mode == "bernoulli":
            terms = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.cast(targets, "float32"), logits=tf.squeeze(logits, -1))
        else:
            terms = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
        return tf.reduce_sum(terms, axis=[1, 2, 3])

    # --------------------------------------------------------------- compile
    def default_optimizers(self):
        """The optimizer of a bare `compile()`: RMSProp, the PixelRNN paper's rule
        (section 5.2; the learning rate is not given there)."""
        return {"optimizer": keras.optimizers.RMSprop(learning_rate=1e-3)}

    def get_config(self):
        return {
            "name": self.name,
            "image_shape": list(self.image_shape),
            "output": self.output_mode,
            "palette": None if self.palette is None else self.palette.tolist(),
            "palette_size": self.palette_size,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ------------------------------------------------------------- training
    def _nll_and_check(self, data, training):
        batch = self.unpack_batch(data)
        self.check_batch(batch, "train_step" if training else "test_step")
        return self.to_targets(batch["images"]), batch.get("labels")

    def _logs(self, nll):
        mean = tf.reduce_mean(nll)
        return {"nll": mean, "bits_per_dim": mean / (self.num_dims * math.log(2.0))}

    def train_step(self, data):
        targets, labels = self._nll_and_check(data, training=True)
        with tf.GradientTape() as tape:
            nll = self.nll_per_image(targets, labels, training=True)
            # Nats per modelled variable: the scale of bits/dim, not of the image size.
            loss = tf.reduce_mean(nll) / self.num_dims
        self.minimize(tape, {"optimizer": loss}, tf.shape(targets)[0])
        return self.finish_step(self._logs(nll))

    def test_step(self, data):
        targets, labels = self._nll_and_check(data, training=False)
        return self.report(self._logs(self.nll_per_image(targets, labels, training=False)))

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`; a palette model without a palette fits one on `x` first."""
        self._require_compiled()
        if self.output_mode == "palette" and self.palette is None:
            self.fit_palette(x)
        return super().fit(x, y, *args, **kwargs)

    def fit_palette(self, data, max_pixels=200_000):
        """Fits the K-colour palette by k-means on the pixels of `data`.

        Args:
            data: images (N, H, W, C) in [-1, 1] or a `tf.data.Dataset` of batches
                (images, or (images, labels)); batches are read until `max_pixels`.
            max_pixels: pixels given to k-means.

        Returns:
            The (K, C) palette, now part of the model (and of its config).
        """
        if self.output_mode != "palette":
            raise ValueError(
                f"fit_palette needs output='palette'; this model has {self.output_mode!r}.")
        if self.palette is not None:
            raise ValueError("The palette is fixed once set (the network is trained on it).")
        if isinstance(data, tf.data.Dataset):
            chunks, count = [], 0
            for batch in data:
                images = self.unpack_batch(batch)["images"]
                self._check_images(images, "fit_palette")
                chunks.append(np.asarray(images, "float32"))
                count += chunks[-1][..., 0].size
                if count >= max_pixels:
                    break
            images = np.concatenate(chunks)
        else:
            images = np.asarray(data)
            self._check_images(images, "fit_palette")
        from keras_gan_zoo.datasets import palette as palette_lib

        self.palette = palette_lib.fit_palette(images, self.palette_size, seed=self.seed,
                                               max_pixels=max_pixels)
        return self.palette

    # ------------------------------------------------------------- sampling
    def _draw(self, logits, uniform):
        """Inverse-CDF draw of one sub-pixel per row of logits (B, units)."""
        if self.output_mode == "bernoulli":
            return tf.cast(uniform < tf.sigmoid(logits[:, 0]), "int32")
        cdf = tf.cumsum(tf.nn.softmax(logits, axis=-1), axis=-1)
        below = tf.cast(cdf <= uniform[:, None] * cdf[:, -1:], "int32")
        return tf.minimum(tf.reduce_sum(below, axis=-1), self.units - 1)

    def _sample_targets(self, canvas, noise, start, labels=None):
        """Samples positions start.. of int targets (B, H, W, groups) in one TF loop."""
        h, w, groups = self.image_shape[0], self.image_shape[1], self.groups
        total = h * w * groups

        band = self.receptive_rows if self._functions.crop else None

        def body(position, canvas):
            row = position // (w * groups)
            col = (position // groups) % w
            channel = position % groups
            if band is None:
                top, window = 0, canvas
            else:  # rows row - band .. row: all that position's logits depend on
                top = tf.maximum(row - band, 0)
                window = canvas[:, top : row + 1]
            logits = self.logits(self.from_targets(window), labels)
            value = self._draw(logits[:, row - top, col, channel], noise[:, row, col, channel])
            onehot = tf.reshape(tf.one_hot(position, total, dtype="int32"), [1, h, w, groups])
            return position + 1, canvas + onehot * (value[:, None, None, None] - canvas)

        _, canvas = tf.while_loop(lambda position, _: position < total, body,
                                  (tf.cast(start, "int32"), canvas), parallel_iterations=1)
        return canvas

    def _sampler(self):
        """The compiled sampling function (canvas, noise, start[, labels]) -> targets."""
        if self._functions.sampler is None:
            self._require_palette()
            h, w, groups = self.image_shape[0], self.image_shape[1], self.groups
            signature = [tf.TensorSpec((None, h, w, groups), tf.int32),
                         tf.TensorSpec((None, h, w, groups), tf.float32),
                         tf.TensorSpec((), tf.int32)]
            if self.conditional:
                signature.append(tf.TensorSpec((None,), tf.int32))
            self._functions.sampler = tf.function(self._sample_targets,
                                                  input_signature=signature)
        return self._functions.sampler

    def _noise(self, n, seed, noise):
        shape = (n, self.image_shape[0], self.image_shape[1], self.groups)
        if noise is None:
            return np.random.default_rng(seed).uniform(size=shape).astype("float32")
        noise = np.asarray(noise, "float32")
        if noise.shape != shape:
            raise ValueError(
                f"noise must have shape {shape} (uniform in [0, 1)); got {noise.shape}.")
        return noise

    def _run_sampler(self, canvas, noise, start, labels, batch_size):
        sampler, chunks = self._sampler(), []
        for i in range(0, len(canvas), batch_size):
            args = [tf.constant(canvas[i : i + batch_size]), tf.constant(noise[i : i + batch_size]),
                    tf.constant(start, tf.int32)]
            if labels is not None:
                args.append(tf.constant(labels[i : i + batch_size]))
            chunks.append(self.from_targets(sampler(*args)).numpy())
        return np.concatenate(chunks).astype("float32")

    def generate(self, n, seed=None, noise=None, labels=None, batch_size=64):
        """Samples `n` images in [-1, 1] (float32 numpy), one sub-pixel at a time.

        Args:
            n: number of images.
            seed: seed of the sampling noise; the same seed gives the same images.
            noise: explicit uniform noise (n, H, W, groups) in [0, 1) instead of a
                seed (the exported `serve(noise)` takes the same).
            labels: conditional models: one class for all samples or n classes.
            batch_size: images per compiled sampling call.

        Example:
            >>> images = model.generate(16, seed=0)
        """
        n = self._check_count(n)
        labels = self._labels_numpy(n, labels)
        noise = self._noise(n, seed, noise)
        canvas = np.zeros(noise.shape, "int32")
        return self._run_sampler(canvas, noise, 0, labels, batch_size)

    def complete(self, images, visible_rows, seed=None, noise=None, labels=None, batch_size=64):
        """Keeps the top `visible_rows` rows of `images` and samples the rest.

        Args:
            images: (N, H, W, C) in [-1, 1]; the kept rows are returned discretised
                (exactly as the model sees them: 256 levels, binarised or palette).
            visible_rows: rows kept, 0..H (e.g. H // 2 for the top half).
            seed, noise, labels, batch_size: as in `generate`.

        Example:
            >>> completed = model.complete(test_images[:8], visible_rows=14, seed=0)
        """
        images = np.asarray(images)
        self._check_images(images, "complete")
        h = self.image_shape[0]
        if (not isinstance(visible_rows, (int, np.integer)) or isinstance(visible_rows, bool)
                or not 0 <= visible_rows <= h):
            raise ValueError(f"visible_rows must be an int in [0, {h}]; got {visible_rows!r}.")
        n = len(images)
        labels = self._labels_numpy(n, labels)
        noise = self._noise(n, seed, noise)
        canvas = self.to_targets(images).numpy()
        canvas[:, visible_rows:] = 0  # unseen: the same blank canvas generate starts from
        start = int(visible_rows) * self.image_shape[1] * self.groups
        return self._run_sampler(canvas, noise, start, labels, batch_size)

    # ---------------------------------------------------------- likelihood
    def log_likelihood(self, images, labels=None, batch_size=256):
        """log p(x) in nats of each image (discretised as the model sees it): (N,) float64.

        Example:
            >>> nats = -model.log_likelihood(test_images).mean()   # test NLL
        """
        images = np.asarray(images)
        self._check_images(images, "log_likelihood")
        if images.size and (images.min() < -1.001 or images.max() > 1.001):
            raise ValueError(
                f"log_likelihood: expected images in [-1, 1]; got values in "
                f"[{images.min():.3g}, {images.max():.3g}].")
        labels = self._labels_numpy(len(images), labels)
        if self._functions.nll is None:
            self._require_palette()
            self._functions.nll = tf.function(
                lambda x, y: self.nll_per_image(self.to_targets(x), y), reduce_retracing=True)
        out = []
        for i in range(0, len(images), batch_size):
            part = None if labels is None else tf.constant(labels[i : i + batch_size])
            out.append(self._functions.nll(tf.constant(images[i : i + batch_size], "float32"),
                                           part).numpy())
        return -np.concatenate(out).astype("float64")

    # --------------------------------------------------------------- export
    #: export_generator(format=...) that cannot be written (keras_gan_zoo.export).
    #: TFLite runs the sampling loop (a WHILE op) and gives `generate(noise=)`'s images.
    export_unsupported = {
        "onnx": "tf2onnx does not convert the sampling loop: it one-hot encodes the "
                "scalar position counter inside the while loop and tf2onnx's OneHot "
                "handles rank-1 indices only. Use format='tflite' or 'saved_model'.",
    }

    def export_generator(self, path, format="saved_model", quantize=None):
        """Writes a TF SavedModel whose `serve(noise[, labels])` samples images.

        `noise` is uniform (N, H, W, groups) float32 in [0, 1); `serve` runs the same
        compiled loop as `generate(noise=...)` and returns float32 images in [-1, 1].
        Loading needs neither keras_gan_zoo nor Keras.

        Args:
            path: target directory (replaced if it exists).
            format: "saved_model" (default), "tflite" or "onnx" (keras_gan_zoo.export;
                for the last two `path` is the file, or a directory that receives
                `generator[.quantize].tflite|onnx`).
            quantize: None, "float16" or "int8" (dynamic range), tflite / onnx only.

        Example:
            >>> model.export_generator("pixelcnn_sampler")
            >>> images = tf.saved_model.load("pixelcnn_sampler").serve(
            ...     tf.random.uniform([4, 28, 28, 1]))
        """
        self._check_export(format, quantize)
        self._require_palette()
        h, w, groups = self.image_shape[0], self.image_shape[1], self.groups
        signature = [tf.TensorSpec((None, h, w, groups), tf.float32, name="noise")]

        def images_from(noise, labels=None):
            canvas = tf.zeros(tf.shape(noise), "int32")
            return self.from_targets(self._sample_targets(canvas, noise, 0, labels))

        if self.conditional:
            signature.append(tf.TensorSpec((None,), tf.int32, name="labels"))

            def serve(noise, labels):
                return images_from(noise, labels)
        else:

            def serve(noise):
                return images_from(noise)

        archive = keras.export.ExportArchive()
        archive.track(self.network)
        archive.add_endpoint("serve", serve, input_signature=signature)
        return self._write_export(archive, path, format, quantize)
