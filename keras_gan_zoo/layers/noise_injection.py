"""Per-pixel noise inputs of the style-based generators (StyleGAN section 2).

After each convolution of the synthesis network, a single-channel image of
uncorrelated Gaussian noise is added to every feature map, scaled by learned
strengths ("B" in StyleGAN's figure 1): one per channel in StyleGAN, one scalar per
layer in StyleGAN2 (section 2.1). The strengths start at 0, so at initialization
the layer is the identity.

Where the noise comes from, in order:

1. `noise_mode="none"` (constructor or call): no noise, the layer is the identity.
2. An explicit `noise` tensor, (B, H, W, 1) or (1, H, W, 1) (shared by the batch):
   used as given (style mixing and noise-resampling figures; a model that draws its
   own noise).
3. `noise_mode="const"`: one fixed (1, H, W, 1) map shared by the whole batch, drawn
   statelessly from this layer's `stream`: the same at every call, like StyleGAN2's
   registered `noise_const` buffers, for deterministic inference.
4. `noise_mode="random"` with a `seed`: `tf.random.stateless_normal` of shape
   (B, H, W, 1) from the seed folded with `stream`. This is how the zoo trains: the
   model passes its `noise_seed(draw)` (seed, step counter, draw, replica) and the
   same step replays the same noise after a resume, on any number of replicas.
5. `noise_mode="random"` without a seed: Keras's stateful `keras.random.normal`
   with the layer's `SeedGenerator` (convenient, but not replayable on resume).

A functional generator (whose inputs all have a batch axis) takes its noise as
inputs instead: the model draws the (B, H, W, 1) images in `train_step` from
`noise_seed(draw)` and passes them as `noise=`; a subclassed network can pass the
seed itself.

`stream` separates the layers of one network that share a seed (two layers folding
the same seed would get correlated noise). `None` (the default) derives it from the
layer's name (crc32), which is saved in the model's config, so a loaded model draws
the same noise for the same seed; set it explicitly to be independent of names.

The noise is drawn in float32 and added in the compute dtype; the strength is a
float32 variable.
"""

import zlib

import keras
import tensorflow as tf

from keras_gan_zoo.layers._args import check_bool, check_choice, check_int

__all__ = ["NOISE_MODES", "NoiseInjection"]

NOISE_MODES = ("random", "const", "none")


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class NoiseInjection(keras.layers.Layer):
    """Adds per-pixel Gaussian noise scaled by learned, zero-initialized strengths.

    Args:
        per_channel: one strength per channel (StyleGAN, True) or one scalar (StyleGAN2,
            False).
        noise_mode: default source of the noise: "random", "const" or "none" (see the
            module docstring); `call(..., noise_mode=)` overrides it per call.
        stream: integer folded into seeds to give this layer its own noise stream;
            None derives it from the layer name.

    Call:
        `layer(x, noise=None, seed=None, noise_mode=None)`: x (B, H, W, C); noise an
        explicit (B or 1, H, W, 1) tensor; seed a stateless seed, an int64/int32 tensor
        of shape (2,) (e.g. `model.noise_seed(draw)`) or a Python int.

    Example:
        >>> x = ModulatedConv2D(512, 3)([x, w])
        >>> x = NoiseInjection(per_channel=False)(x, seed=seed)   # StyleGAN2
        >>> x = keras.layers.LeakyReLU(0.2)(x)

    Reference:
        Karras et al., A Style-Based Generator Architecture for Generative Adversarial
        Networks, arXiv:1812.04948, section 2 and 3.2; Karras et al., Analyzing and
        Improving the Image Quality of StyleGAN, arXiv:1912.04958, section 2.1.
    """

    def __init__(self, per_channel=True, noise_mode="random", stream=None, **kwargs):
        super().__init__(**kwargs)
        self.per_channel = check_bool("NoiseInjection", "per_channel", per_channel)
        self.noise_mode = check_choice("NoiseInjection", "noise_mode", noise_mode, NOISE_MODES)
        self.stream = check_int("NoiseInjection", "stream", stream, minimum=0, allow_none=True)
        self.seed_generator = keras.random.SeedGenerator()
        self.strength = None

    @property
    def stream_id(self):
        """The integer folded into seeds: `stream`, or crc32 of the layer name."""
        if self.stream is not None:
            return self.stream
        return zlib.crc32(self.name.encode("utf-8")) & 0x7FFFFFFF

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError("NoiseInjection expects images (batch, height, width, channels) "
                             f"with known channels; got shape {tuple(input_shape)}.")
        shape = (int(input_shape[-1]),) if self.per_channel else ()
        self.strength = self.add_weight(name="strength", shape=shape, initializer="zeros")

    def _seed(self, seed):
        if isinstance(seed, int) and not isinstance(seed, bool):
            seed = tf.constant([seed, 0], "int64")
        seed = tf.convert_to_tensor(seed)
        if seed.dtype not in (tf.int32, tf.int64) or seed.shape.rank != 1 \
                or seed.shape[0] not in (None, 2):
            raise ValueError("NoiseInjection: seed must be an int or an integer tensor of shape "
                             f"(2,) (a stateless seed); got {seed.dtype.name} {tuple(seed.shape)}.")
        return tf.random.experimental.stateless_fold_in(tf.cast(seed, "int64"), self.stream_id)

    def _check_noise(self, x, noise):
        noise = tf.convert_to_tensor(noise)
        if noise.shape.rank != 4 or noise.shape[-1] not in (1, None):
            raise ValueError("NoiseInjection: noise must have shape (batch or 1, height, width, "
                             f"1); got {tuple(noise.shape)} for inputs {tuple(x.shape)}.")
        for axis in (1, 2):
            if None not in (noise.shape[axis], x.shape[axis]) \
                    and noise.shape[axis] != x.shape[axis]:
                raise ValueError(f"NoiseInjection: noise of shape {tuple(noise.shape)} does not "
                                 f"match the spatial size of inputs {tuple(x.shape)}.")
        return noise

    def call(self, inputs, noise=None, seed=None, noise_mode=None):
        mode = self.noise_mode if noise_mode is None else check_choice(
            "NoiseInjection", "noise_mode", noise_mode, NOISE_MODES)
        if mode == "none":
            return inputs
        shape = tf.shape(inputs)
        if noise is not None:
            noise = self._check_noise(inputs, noise)
        elif mode == "const":
            const_seed = tf.constant([0x5EED, self.stream_id], "int64")
            noise = tf.random.stateless_normal(
                tf.stack([1, shape[1], shape[2], 1]), const_seed, dtype="float32")
        elif seed is not None:
            noise = tf.random.stateless_normal(
                tf.stack([shape[0], shape[1], shape[2], 1]), self._seed(seed), dtype="float32")
        else:
            noise = keras.random.normal(tf.stack([shape[0], shape[1], shape[2], 1]),
                                        dtype="float32", seed=self.seed_generator)
        strength = keras.ops.cast(self.strength, inputs.dtype)
        return inputs + keras.ops.cast(noise, inputs.dtype) * strength

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "per_channel": self.per_channel,
                "noise_mode": self.noise_mode, "stream": self.stream}
