"""GRAN: generative recurrent adversarial networks (Im, Kim, Jiang & Memisevic 2016).

The generator draws on a canvas in T steps. With h_z = tanh(BN(W z)) and the empty
canvas's code h_0 = 0, step t = 1 .. T runs

    delta_t = f([h_z, h_{t-1}])        the decoder draws an increment (linear output)
    h_t     = g(delta_t)               the encoder reads it (t < T)

and the image is tanh(delta_1 + ... + delta_T). `f` is a DCGAN generator without its
tanh, `g` mirrors it like a DCGAN discriminator ending in a tanh code of `latent_dim`
numbers, the same z (its projection h_z) feeds every step, and f, g are shared by all
steps. The discriminator is DCGAN's. The canvas after step t is
tanh(delta_1 + ... + delta_t); `generate(..., return_steps=True)` returns all T.

Faithful to the paper and the authors' code: the recurrence above (the encoder reads
the step's increment, the code of the empty canvas is zero, one z for all steps),
a DCGAN-style decoder, encoder and discriminator, the sum of increments squashed at
the end, the non-saturating GAN loss.

Different on purpose (docs/models/gran.md): tanh instead of the paper's sigmoid of
the sum (images in [-1, 1]; tanh(x) = 2 sigmoid(2x) - 1);
`read="canvas"` lets the encoder read the canvas drawn so far instead (the DRAW-like
variant); DCGAN's Adam(2e-4, beta_1=0.5) and no weight decay instead of the authors'
Adam(1e-4 / 4e-5, beta_1=0.9) and L2 decay of D, so GRAN and DCGAN differ only in
the generator; latents ~ N(0, 1); batch norm synchronized across replicas.

The generator is one functional Keras network (`model.generator`, z -> image) holding
the sub-networks `project` (z -> h_z), `decoder` (f) and `encoder` (g) and the running
sums `canvas_sum_1 .. canvas_sum_T`, so `generate`, `export_generator`, the generator
EMA and the published generator files work as for every adversarial model.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.adversarial.dcgan import (dcgan_discriminator, dcgan_down_stages,
                                                    dcgan_up_stages)
from keras_gan_zoo.models.blocks import dcgan_batch_norm, dcgan_init, square_image_stages
from keras_gan_zoo.registry import register_model

READS = ("increment", "canvas")


def _positive_int(value, name, meaning):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int ({meaning}); got {value!r}.")
    return int(value)


def check_num_steps(num_steps):
    """`num_steps` (T, the drawing steps) as an int, or a ValueError."""
    return _positive_int(num_steps, "num_steps", "the number of drawing steps T")


def check_read(read):
    """`read` if it is one of `READS`, else a ValueError."""
    if read not in READS:
        raise ValueError(f"read must be one of {READS} (what the encoder reads after each "
                         f"step); got {read!r}.")
    return read


def gran_decoder(latent_dim, image_shape, base_filters=64):
    """f: `[h_z, h_c]` (2 * latent_dim) -> a canvas increment, linear, float32.

    A DCGAN generator without the tanh: project and reshape to the base side, then
    stride-2 transposed convolutions with batch norm and ReLU.

    Args:
        latent_dim: size of h_z and of the canvas code h_c.
        image_shape: (side, side, channels).
        base_filters: channels of the last hidden stage, doubling towards the input.
    """
    stages, base, channels = square_image_stages(image_shape, "GRAN")
    width = base_filters * 2 ** (stages - 1)
    inputs = keras.Input((2 * latent_dim,), name="noise_and_code")
    x = keras.layers.Dense(base * base * width, use_bias=False, kernel_initializer=dcgan_init(),
                           name="project")(inputs)
    x = keras.layers.Reshape((base, base, width))(x)
    x = dcgan_batch_norm("project_bn")(x)
    x = keras.layers.ReLU()(x)
    x = dcgan_up_stages(x, stages, width)
    increment = keras.layers.Conv2DTranspose(channels, 4, 2, padding="same",
                                             kernel_initializer=dcgan_init(), dtype="float32",
                                             name="to_increment")(x)
    return keras.Model(inputs, increment, name="decoder")


def gran_encoder(latent_dim, image_shape, base_filters=64):
    """g: an increment (or canvas) -> its code h_c in (-1, 1)^latent_dim.

    DCGAN discriminator convolutions (stride 2, batch norm after all but the first,
    LeakyReLU(0.2)), then a dense layer with batch norm and tanh, as the authors' code
    ends its encoder.

    Args:
        latent_dim: size of the code.
        image_shape: (side, side, channels).
        base_filters: channels of the first convolution, doubling per stage.
    """
    stages, _, _ = square_image_stages(image_shape, "GRAN")
    inputs = keras.Input(tuple(image_shape), name="drawing")
    x = keras.layers.Flatten()(dcgan_down_stages(inputs, stages, base_filters))
    x = keras.layers.Dense(latent_dim, use_bias=False, kernel_initializer=dcgan_init(),
                           name="code")(x)
    x = dcgan_batch_norm("code_bn")(x)
    code = keras.layers.Activation("tanh", name="code_tanh")(x)
    return keras.Model(inputs, code, name="encoder")


def gran_projection(latent_dim):
    """z -> h_z = tanh(BN(W z)), the noise as every step sees it."""
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(latent_dim, use_bias=False, kernel_initializer=dcgan_init(),
                           name="dense")(z)
    x = dcgan_batch_norm("bn")(x)
    return keras.Model(z, keras.layers.Activation("tanh", name="tanh")(x), name="project")


def gran_generator(latent_dim, image_shape, base_filters=64, num_steps=3, read="increment"):
    """The recurrent generator unrolled over `num_steps` steps: z -> image in [-1, 1].

    Holds the sub-networks `project`, `decoder` and (for T > 1) `encoder`, each shared
    by every step, and the float32 running sums `canvas_sum_1 .. canvas_sum_T`
    (`generator.get_layer(...)`); the image is tanh of the last sum.

    Args:
        latent_dim: size of z.
        image_shape: (side, side, channels).
        base_filters: ngf of the decoder = ndf of the encoder.
        num_steps: T, the drawing steps (1: a one-step generator, `f([h_z, 0])`).
        read: what the encoder reads after step t: `"increment"` (delta_t, the paper)
            or `"canvas"` (tanh of the sum so far).

    Example:
        >>> g = gran_generator(100, (28, 28, 1), num_steps=3)
        >>> images = g(tf.random.normal([4, 100]))             # (4, 28, 28, 1)
    """
    num_steps, read = check_num_steps(num_steps), check_read(read)
    project = gran_projection(latent_dim)
    decoder = gran_decoder(latent_dim, image_shape, base_filters)
    encoder = gran_encoder(latent_dim, image_shape, base_filters) if num_steps > 1 else None
    z = keras.Input((latent_dim,), name="z")
    h_z = project(z)
    # The empty canvas's code is zero (the authors' h_c,0): h_z * 0, a serializable layer.
    code = keras.layers.Rescaling(0.0, name="empty_canvas_code")(h_z)
    total = None
    for t in range(1, num_steps + 1):
        increment = decoder(keras.layers.Concatenate(name=f"noise_and_code_{t}")([h_z, code]))
        if total is None:
            total = keras.layers.Identity(dtype="float32", name="canvas_sum_1")(increment)
        else:
            total = keras.layers.Add(dtype="float32", name=f"canvas_sum_{t}")([total, increment])
        if t < num_steps:
            seen = increment if read == "increment" else keras.layers.Activation(
                "tanh", dtype="float32", name=f"canvas_{t}")(total)
            code = encoder(seen)
    images = keras.layers.Activation("tanh", dtype="float32", name="tanh")(total)
    return keras.Model(z, images, name="generator")


@register_model("gran", tiny=dict(image_shape=(16, 16, 1), base_filters=4, latent_dim=8,
                                  num_steps=3))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class GRAN(AdversarialModel):
    """Generative recurrent adversarial network: a generator that draws in T steps.

    Args:
        latent_dim: size of z (100 in the authors' code).
        image_shape: (side, side, channels), a side that halves to >= 4 as DCGAN's
            (16, 28, 32, 64, ...).
        base_filters: ngf of the decoder = ndf of the encoder and the discriminator.
        num_steps: T, the drawing steps (3 in the authors' CIFAR-10 script; 1 is a
            one-step generator).
        read: what the encoder reads after each step: `"increment"` (the paper's
            h_t = g(delta_t)) or `"canvas"` (tanh of the sum drawn so far).
        **kwargs: `AdversarialModel` arguments (`d_steps`, `latent_distribution`,
            `seed`, `label_smoothing`, `ema_beta`, `diff_augment`, ...).

    Example:
        >>> model = keras_gan_zoo.create_model("gran", image_shape=(28, 28, 1), num_steps=3)
        >>> model.compile()
        >>> model.fit(keras_gan_zoo.datasets.load("fashion_mnist"), epochs=10)
        >>> images, steps = model.generate(8, seed=0, return_steps=True)  # steps: (3, 8, 28, 28, 1)

    Reference:
        Im, Kim, Jiang & Memisevic, Generating images with recurrent adversarial
        networks, arXiv:1602.05110.
    """

    supports_label_smoothing = True

    def __init__(self, latent_dim=100, image_shape=(64, 64, 3), base_filters=64, num_steps=3,
                 read="increment", **kwargs):
        image_shape = tuple(image_shape)
        latent_dim = _positive_int(latent_dim, "latent_dim", "the size of z")
        num_steps, read = check_num_steps(num_steps), check_read(read)
        base_filters = _positive_int(base_filters, "base_filters", "ngf = ndf")
        super().__init__(
            generator=gran_generator(latent_dim, image_shape, base_filters, num_steps, read),
            discriminator=dcgan_discriminator(image_shape, base_filters),
            latent_dim=latent_dim,
            **kwargs,
        )
        self.base_filters = base_filters
        self.num_steps = num_steps
        self.read = read

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.nonsaturating_d_loss(real_logits, fake_logits, real_label=self.real_label)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    # --------------------------------------------------------------- drawing
    def drawing_network(self, network=None):
        """A network z -> the T running sums `[canvas_sum_1, ..., canvas_sum_T]`
        (pre-tanh, float32), sharing the layers of `network` (default: the trained
        generator; `generate` passes the EMA generator when there is one)."""
        network = self.generator if network is None else network
        cache = self._zoo.__dict__.setdefault("drawing_networks", {})
        if id(network) not in cache or cache[id(network)][0] is not network:
            sums = [network.get_layer(f"canvas_sum_{t}").output
                    for t in range(1, self.num_steps + 1)]
            cache[id(network)] = (network, keras.Model(network.input, sums,
                                                       name="drawing"))
        return cache[id(network)][1]

    def _drawing(self, network, latents):
        """The T canvases tanh(sum_t) of `latents`, stacked: (T, n, H, W, C) float32."""
        sums = self.drawing_network(network)(latents, training=False)
        sums = sums if isinstance(sums, (list, tuple)) else [sums]
        return tf.tanh(tf.stack([tf.cast(s, tf.float32) for s in sums]))

    def generate(self, n, seed=None, latents=None, labels=None, batch_size=256,
                 use_ema=True, return_steps=False):
        """Samples `n` images in [-1, 1]; with `return_steps`, also the drawing.

        Args:
            n, seed, latents, labels, batch_size, use_ema: as
                `AdversarialModel.generate` (GRAN is unconditional: no labels).
            return_steps: False (default) returns the images (n, H, W, C); True returns
                `(images, steps)`, `steps` of shape (T, n, H, W, C): the canvas after
                each step, tanh of the sum of the increments so far; `steps[-1]` is
                `images`.

        Example:
            >>> images, steps = model.generate(10, seed=0, return_steps=True)
            >>> steps.shape                       # (num_steps, 10, H, W, C)
        """
        if not isinstance(return_steps, bool):
            raise ValueError(f"return_steps must be True or False; got {return_steps!r}.")
        if not return_steps:
            return super().generate(n, seed=seed, latents=latents, labels=labels,
                                    batch_size=batch_size, use_ema=use_ema)
        n = self._check_count(n)
        batch_size = _positive_int(batch_size, "batch_size", "images per generator call")
        self._labels_numpy(n, labels)
        latents = self._latents_for(n, latents, seed)
        network = self._sampling_generator(use_ema)
        steps = np.concatenate(
            [self._drawing(network, latents[i : i + batch_size]).numpy()
             for i in range(0, n, batch_size)], axis=1)
        return steps[-1].copy(), steps

    def export_generator(self, path, use_ema=True, format="saved_model", quantize=None):
        """Writes the generator as a TF SavedModel: `serve(z)` -> images and
        `serve_steps(z)` -> the canvases after every step, (T, n, H, W, C).

        Both load without this package (nor Keras), float32 in [-1, 1].

        Args:
            path: target directory (replaced if it exists).
            use_ema: for a model with a generator EMA, export the EMA weights
                (default) or, with False, the trained generator's.
            format: "saved_model" (default), "tflite" or "onnx" (see
                `AdversarialModel.export_generator`; `serve_steps` is written beside
                `serve` as `generator.serve_steps.<ext>`).
            quantize: None, "float16" or "int8" (dynamic range), tflite / onnx only.

        Example:
            >>> model.export_generator("gran_generator")
            >>> g = tf.saved_model.load("gran_generator")
            >>> images, steps = g.serve(z), g.serve_steps(z)
        """
        self._check_export(format, quantize)
        generator = self._sampling_generator(use_ema)
        spec = [tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")]
        archive = keras.export.ExportArchive()
        archive.track(generator)
        archive.add_endpoint(
            "serve", lambda z: tf.cast(generator(z, training=False), tf.float32),
            input_signature=spec)
        archive.add_endpoint("serve_steps", lambda z: self._drawing(generator, z),
                             input_signature=spec)
        return self._write_export(archive, path, format, quantize)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "num_steps": self.num_steps,
            "read": self.read,
        }
