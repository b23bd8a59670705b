"""`AutoencodingModel`: the base of the zoo's encoder/decoder models.

An autoencoding model maps images to codes with an encoder and codes back to
images with a decoder, and samples by decoding codes drawn from a prior (the VAE's
N(0, I)) or from a density fitted on the training codes (the autoencoder's
Gaussian mixture). This base owns what they share:

- one optimizer training the encoder and the decoder (`compile(optimizer=)`, the
  paper's by default; `GenerativeModel` owns it, its loss scaling and resume);
- `train_step`: the subclass's `objective(images, noise)` returns the per-replica
  mean loss and its named terms, which `GenerativeModel.minimize` applies;
- training noise: stateless, seeded by (seed, step, draw, replica), so a
  resumed run draws what the uninterrupted run would. A dict batch
  `{"images": ..., "noise": ...}` fixes it per example instead;
- `encode`, `decode`, `reconstruct`, `interpolate`, `interpolation_strip` (walks
  between two real images through `keras_gan_zoo.latent`; shared with VAE-GAN via
  `AutoencoderMethods`), `generate(n, seed=, latents=)` and `export_generator`.

The conv networks of the three models (`conv_encoder`, `conv_decoder`) live here.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import latent as latent_tools
from keras_gan_zoo.models.base import GenerativeModel
from keras_gan_zoo.models.blocks import square_image_stages


# ---------------------------------------------------------------- networks
def _norm(batch_norm, name):
    if not batch_norm:
        return lambda x: x
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True,
                                           name=name)


def conv_encoder(image_shape, heads, base_filters=32, kernel_size=4, hidden=None,
                 batch_norm=False, activation="leaky_relu", name="encoder"):
    """Stride-2 convolutions, optionally a dense layer, then float32 dense heads.

    Args:
        image_shape: (side, side, channels).
        heads: list of (name, size) of the outputs, e.g. [("code", 16)] or
            [("mean", 32), ("log_var", 32)]; one head gives one tensor, several a list.
        base_filters: channels of the first convolution, doubling per stage.
        kernel_size: convolution size (4 as DCGAN, 5 as VAE-GAN).
        hidden: units of a dense layer before the heads (None: none).
        batch_norm: synchronized batch norm after every convolution but the first.
        activation: `"leaky_relu"` (slope 0.2) or `"relu"`.
    """
    stages, _, _ = square_image_stages(image_shape, name)
    act = (lambda: keras.layers.LeakyReLU(0.2)) if activation == "leaky_relu" else keras.layers.ReLU
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    for stage in range(stages):
        x = keras.layers.Conv2D(base_filters * 2**stage, kernel_size, 2, padding="same",
                                use_bias=not (batch_norm and stage), name=f"down{stage}")(x)
        if stage:
            x = _norm(batch_norm, f"down{stage}_bn")(x)
        x = act()(x)
    x = keras.layers.Flatten()(x)
    if hidden:
        x = keras.layers.Dense(hidden, use_bias=not batch_norm, name="hidden")(x)
        x = act()(_norm(batch_norm, "hidden_bn")(x))
    outputs = [keras.layers.Dense(size, dtype="float32", name=head)(x) for head, size in heads]
    return keras.Model(images, outputs if len(outputs) > 1 else outputs[0], name=name)


def conv_decoder(latent_dim, image_shape, out_channels, base_filters=32, kernel_size=4,
                 batch_norm=False, activation=None, name="decoder"):
    """Dense projection, stride-2 transposed convolutions, a float32 output.

    Mirrors `conv_encoder`: the projection has `base_filters * 2**(stages - 1)`
    channels at the base side; each stage halves the channels and doubles the side;
    the last maps to `out_channels` (image channels times the parameters per pixel of
    the decoder's distribution), followed by `activation` (e.g. `"tanh"`) in float32.
    """
    stages, base, _ = square_image_stages(image_shape, name)
    width = base_filters * 2 ** (stages - 1)
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(base * base * width, use_bias=not batch_norm, name="project")(z)
    x = keras.layers.Reshape((base, base, width))(x)
    x = keras.layers.ReLU()(_norm(batch_norm, "project_bn")(x))
    for stage in range(1, stages):
        width //= 2
        x = keras.layers.Conv2DTranspose(width, kernel_size, 2, padding="same",
                                         use_bias=not batch_norm, name=f"up{stage}")(x)
        x = keras.layers.ReLU()(_norm(batch_norm, f"up{stage}_bn")(x))
    x = keras.layers.Conv2DTranspose(out_channels, kernel_size, 2, padding="same",
                                     dtype="float32", name="to_image")(x)
    if activation:
        x = keras.layers.Activation(activation, dtype="float32", name=activation)(x)
    return keras.Model(z, x, name=name)


# ------------------------------------------------------------ shared methods
class AutoencoderMethods:
    """Encode / decode / reconstruct / interpolate, for models with an `encoder`
    (images -> code, or [mean, log_var]) and a decoder (`_decode_images`)."""

    def _codes(self, images, training=False):
        """Codes of images (the posterior mean for a VAE), float32 tensor."""
        outputs = self.encoder(images, training=training)
        if isinstance(outputs, (list, tuple)):
            outputs = outputs[0]
        return tf.cast(outputs, "float32")

    def _decode_images(self, latents, training=False):
        """Images in [-1, 1] (float32) for latents: the decoder's mean."""
        outputs = tf.cast(self.decoder(latents, training=training), "float32")
        return self._images_from_outputs(outputs)

    @property
    def _images_from_outputs(self):
        """A function (closing over no model state) from the decoder's float32
        outputs to images in [-1, 1]: identity unless a model overrides it."""
        return lambda outputs: outputs

    def _latents_array(self, latents, where):
        latents = np.asarray(latents, dtype="float32")
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim:
            raise ValueError(
                f"{where}: latents must have shape (n, {self.latent_dim}); got {latents.shape}."
            )
        return latents

    def encode(self, images, batch_size=256):
        """Codes of images in [-1, 1]: float32 numpy (n, latent_dim).

        The autoencoder's code; for a VAE / VAE-GAN the mean of q(z|x).
        """
        images = self._images_numpy(images, "encode")
        return self._batched(lambda x: self._codes(x), images, batch_size)

    def decode(self, latents, batch_size=256):
        """Images in [-1, 1] (float32 numpy) decoded from latents (n, latent_dim)."""
        latents = self._latents_array(latents, "decode")
        return self._batched(lambda z: self._decode_images(z), latents, batch_size)

    def reconstruct(self, images, batch_size=256):
        """`decode(encode(images))`: reconstructions in [-1, 1]."""
        return self.decode(self.encode(images, batch_size), batch_size)

    def interpolate(self, image_a, image_b, steps=8, method="lerp"):
        """Decoded walk between the codes of two real images (the encoding space).

        Args:
            image_a, image_b: images (H, W, C) in [-1, 1].
            steps: images in the walk, both ends included (>= 2).
            method: `"lerp"` or `"slerp"` (`keras_gan_zoo.latent.interpolate`).

        Returns:
            `(latents, images)`: (steps, latent_dim) and (steps, H, W, C).
        """
        codes = self.encode(np.stack([np.asarray(image_a), np.asarray(image_b)]))
        path = latent_tools.interpolate(codes[0], codes[1], steps, method=method)
        return path, self.decode(path)

    def interpolation_strip(self, image_a, image_b, path, steps=8, method="lerp"):
        """Writes the walk of `interpolate` as a one-row PNG (`latent.walk_strip`)."""
        walk, _ = self.interpolate(image_a, image_b, steps, method)
        return latent_tools.walk_strip(self, walk, path)


# --------------------------------------------------------------------- base
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class AutoencodingModel(AutoencoderMethods, GenerativeModel):
    """Base class of the autoencoding models: an encoder, a decoder, one optimizer.

    Subclasses build the networks, pass them here and implement
    `objective(images, noise)` -> `(loss, terms)`: per-replica means, `terms` a dict
    of named values reported by trackers declared with `add_tracker`. Models that
    sample training noise set `noise_shape` (per example) and read `noise`.

    Args:
        encoder: `keras.Model` from images to codes (or to `[mean, log_var]`).
        decoder: `keras.Model` from codes (B, latent_dim) to the decoder's outputs.
        latent_dim: size of the code.
        seed: integer seed of the training noise; `None` draws one. In the config.
        **kwargs: `keras.Model` arguments (`name`).

    Example:
        >>> model = kgz.create_model("vae", image_shape=(28, 28, 1))
        >>> model.compile()                      # the paper's optimizer
        >>> model.fit(kgz.datasets.load("mnist"), epochs=10)
        >>> codes = model.encode(images); recon = model.reconstruct(images)

    Reference:
        Kingma & Welling, Auto-Encoding Variational Bayes, arXiv:1312.6114.
    """

    family = "autoencoding"
    optimizer_networks = {"optimizer": ("encoder", "decoder")}
    batch_extras = ("noise",)  # dict batches may fix the training noise per example
    noise_shape = None  # per-example shape of the training noise; None: no noise

    def __init__(self, encoder, decoder, latent_dim, seed=None, **kwargs):
        super().__init__(image_shape=encoder.input_shape[1:], seed=seed, **kwargs)
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive int; got {latent_dim!r}.")
        self.encoder, self.decoder, self.latent_dim = encoder, decoder, latent_dim
        self.loss_tracker = self.add_tracker("loss")
        self.built = True

    @property
    def generator(self):
        """The decoder (the network that generates; named as in the adversarial family)."""
        return self.decoder

    # ----------------------------------------------------------------- config
    def get_config(self):
        return {"name": self.name, "latent_dim": self.latent_dim, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def call(self, images, training=False):  # reconstructions, through the codes
        return self._decode_images(self._codes(images, training), training)

    # ------------------------------------------------------------- training
    def sample_noise(self, batch_size, draw=0):
        """N(0, 1) training noise (batch, *noise_shape), stateless.

        Seeded by (seed, step, draw, replica); the step counter is saved with the
        model, so a resumed run draws exactly what an uninterrupted run would.
        """
        shape = tf.concat([[tf.cast(batch_size, "int32")],
                           tf.constant(self.noise_shape, "int32")], axis=0)
        return tf.random.stateless_normal(shape, self.noise_seed(draw))

    def objective(self, images, noise):
        """`(loss, terms)` of one step: per-replica means. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must define objective().")

    def train_step(self, data):
        batch = self.unpack_batch(data)
        self.check_batch(batch, "train_step")
        images, noise = batch["images"], batch.get("noise")
        if self.noise_shape is None:
            noise = None
        elif noise is None:
            noise = self.sample_noise(tf.shape(images)[0])
        elif tuple(noise.shape[1:]) != tuple(self.noise_shape):
            raise ValueError(
                f"noise must have shape (batch, {', '.join(map(str, self.noise_shape))}); "
                f"got {tuple(noise.shape)}."
            )
        with tf.GradientTape() as tape:
            loss, terms = self.objective(tf.cast(images, "float32"),
                                         None if noise is None else tf.cast(noise, "float32"))
        self.minimize(tape, {"optimizer": loss}, tf.shape(images)[0])
        return self.finish_step({"loss": loss, **terms})

    # ------------------------------------------------------------- sampling
    def sample_prior(self, n, seed=None):
        """Latents to decode for `generate`: N(0, I) unless a model overrides it."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")

    def generate(self, n, seed=None, latents=None, labels=None, batch_size=256):
        """Samples `n` images in [-1, 1] as a float32 numpy array.

        Args:
            n: number of images.
            seed: seed of the latents; the same seed gives the same images.
            latents: explicit latents (n, latent_dim) instead of sampling them.
            labels: not supported (the autoencoding models are unconditional).
            batch_size: images per decoder call.
        """
        n = self._check_count(n)
        self._labels_numpy(n, labels)
        if latents is None:
            latents = self.sample_prior(n, seed)
        latents = np.asarray(latents, dtype="float32")
        if latents.shape != (n, self.latent_dim):
            raise ValueError(
                f"latents must have shape ({n}, {self.latent_dim}); got {latents.shape}."
            )
        return self.decode(latents, batch_size)

    def export_generator(self, path, format="saved_model", quantize=None):
        """Writes the decoder as a TF SavedModel with a `serve(z)` signature.

        `tf.saved_model.load(path).serve(z)` returns float32 images in [-1, 1] (what
        `generate(n, latents=z)` returns) in a process that needs nothing from
        keras_gan_zoo. Written next to `path` and moved into place.

        Args:
            path: target directory (replaced if it exists).
            format: "saved_model" (default), "tflite" or "onnx" (keras_gan_zoo.export;
                for the last two `path` is the file, or a directory that receives
                `generator[.quantize].tflite|onnx`).
            quantize: None, "float16" or "int8" (dynamic range), tflite / onnx only.

        Example:
            >>> model.export_generator("vae_decoder")
            >>> images = tf.saved_model.load("vae_decoder").serve(tf.random.normal([8, 32]))
        """
        self._check_export(format, quantize)
        signature = [tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")]

        decoder, to_images = self.decoder, self._images_from_outputs

        def serve(latents):
            return to_images(tf.cast(decoder(latents, training=False), tf.float32))

        archive = keras.export.ExportArchive()
        archive.track(decoder)
        archive.add_endpoint("serve", serve, input_signature=signature)
        return self._write_export(archive, path, format, quantize)
