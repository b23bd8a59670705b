"""`StyleBasedGAN`: what StyleGAN and StyleGAN2 share (Karras et al. 2019, 2020).

A style-based generator is two networks in one `keras.Model` (`model.generator`):

    z --mapping--> w --broadcast--> ws (B, num_ws, w_dim) --synthesis(ws, noise)--> images

- the **mapping network** (`mapping_network`): z normalized to unit mean square
  (`PixelNorm`), then `mapping_layers` equalized dense layers with a learning-rate
  multiplier of 0.01 and LeakyReLU(0.2); its output is w. It runs in float32 under any
  policy (as StyleGAN2-ADA keeps it: a few dense layers, and `w_avg` is float32).
- `num_ws`: one w per style input of the synthesis network (StyleGAN: two per
  resolution, 2 log2(side) - 2); w is broadcast to all of them, and style mixing and
  the truncation trick then edit them layer by layer.
- the **synthesis network**, built by each model: a functional `keras.Model` taking
  `[ws, noise_0, ..., noise_{k-1}]` -- ws (B, num_ws, w_dim) and one single-channel
  noise image (B or 1, h, w, 1) per `NoiseInjection` layer -- to linear float32
  images. The noise images are inputs rather than drawn inside the network, so the
  network is plain functional Keras (`keras.models.clone_model` copies it for the
  generator EMA, `.keras` files and SavedModels hold it) and the model decides where
  the noise comes from:

  - training (`training_fakes`): drawn statelessly from `noise_seed(draw=
    _SYNTHESIS_NOISE_STREAM + i, per_replica=False)` for the GLOBAL batch, each replica
    keeping its rows (`replicas.global_rows`): N replicas draw what one device draws, a
    resumed run what the uninterrupted run would;
  - path-length regularization: the same, from draw `_SYNTHESIS_NOISE_STREAM + 0x800`;
  - `generate` / `synthesize` with `noise_mode="const"` (default): one fixed map per
    layer, the same for every image and every call (`const_noise()`, numpy from a fixed
    seed): deterministic, like the official `noise_const` buffers;
  - `noise_mode="random"`: per image, from `seed` and the image's index (numpy):
    deterministic for a seed; image i does not depend on `n`;
  - `noise_mode="none"`: zeros (the networks without noise).

What the base owns, beside the networks:

- **`w_avg`**, the running mean of w (a non-trainable float32 variable of the model,
  saved in `.keras` files: exact resume). After every applied generator update,
  `w_avg = lerp(mean(w), w_avg, w_avg_beta)` (0.995), the mean over the GLOBAL batch of
  the w the generator update trained on (all-reduced: N replicas == one device). A
  skipped float16 step leaves it alone, like the EMA.
- **style mixing regularization** (`style_mixing_prob`, 0.9): with that probability
  per example, a second latent's w replaces the ws from a crossover layer drawn
  uniformly in [1, num_ws - 1]. The second latents, the coin flips and the crossovers
  are drawn for the global batch (`noise_seed(draw=_STYLE_MIX_STREAM + i,
  per_replica=False)`) and sliced at each replica's rows.
- **the truncation trick**: `ws = w_avg + psi (ws - w_avg)` on the layers below
  `truncation_cutoff` (all by default); `psi=1` is no truncation (exactly).
- **W-space access**: `map(z, psi=...)` -> ws, `synthesize(ws)` -> images,
  `generate(..., psi=, truncation_cutoff=, noise_mode=)`, all on the EMA generator by
  default; `keras_gan_zoo.latent.style_mixing_grid` / `truncation_sweep` /
  `interpolate_w` stand on them.
- **path length in W** (`pl_weight=`): `path_length_inputs` returns the (mixed) ws
  of the mapping network, `path_length_images` synthesizes them.
- **export**: `export_generator(path, psi=...)` writes a SavedModel with `serve(z)`
  (truncation baked in), `mapping(z)` -> ws and `serve_ws(ws)`.

A subclass builds the synthesis network (inputs `[ws, *noise_inputs(sizes)]`) and the
discriminator and passes them to `StyleBasedGAN.__init__`; it adds its losses and
config. See `stylegan.py`, and docs/design.md, "Style-based models".
"""

import math
import numbers
import threading

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.layers import EqualizedDense, PixelNorm
from keras_gan_zoo.models import blocks
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.base import Unsaved
from keras_gan_zoo.models.blocks import check_minibatch_stddev_batch, feature_maps
from keras_gan_zoo.models.replicas import global_batch_mean, global_rows

__all__ = ["ConstantInput", "NOISE_MODES", "SelectStyle", "StyleBasedGAN", "feature_maps",
           "mapping_network", "mix_styles", "noise_inputs", "resolution_log2",
           "truncate_styles"]

NOISE_MODES = ("const", "random", "none")

# Stateless draws of a training step (`noise_seed(draw=..., per_replica=False)`), above
# the base's (latents 0 .. d_steps - 1, WGAN-GP 0x6770 + i, DiffAugment 0x0D1FA000 + j,
# path-length images 0x0D1FB000): style mixing of discriminator update i at
# _STYLE_MIX_STREAM + i, its synthesis noise at _SYNTHESIS_NOISE_STREAM + i; the
# path-length pass uses offset _PATH_LENGTH_DRAW in both, `call_generator(training=
# True)` outside a training step offset _DIRECT_DRAW.
_STYLE_MIX_STREAM = 0x0D1FC000
_SYNTHESIS_NOISE_STREAM = 0x0D1FD000
_PATH_LENGTH_DRAW = 0x800
_DIRECT_DRAW = 0xFFF

# numpy seeds of the inference noise: const maps from (_CONST_NOISE_KEY, layer); random
# noise of image i from (seed, _RANDOM_NOISE_KEY, i).
_CONST_NOISE_KEY = 0x5EED
_RANDOM_NOISE_KEY = 0x401


# ----------------------------------------------------------------------- helpers
def resolution_log2(image_shape, owner="StyleGAN"):
    """`blocks.resolution_log2` for a style-based model: 1 or 3 channels."""
    return blocks.resolution_log2(image_shape, owner, channels=(1, 3))


def mapping_network(latent_dim, w_dim=512, num_layers=8, width=None, lr_multiplier=0.01,
                    name="mapping"):
    """StyleGAN's mapping network f: Z -> W (official `G_mapping`).

    z -> PixelNorm -> `num_layers` x [EqualizedDense(width, gain sqrt(2), lr_multiplier)
    -> LeakyReLU(0.2)], the last one `w_dim` wide. Every layer computes in float32.

    Args:
        latent_dim: size of z (512).
        w_dim: size of w (512).
        num_layers: dense layers (8).
        width: units of the hidden layers; None is `w_dim` (the paper's 512).
        lr_multiplier: learning-rate multiplier of every layer (0.01: the mapping
            learns 100x slower than the synthesis network, appendix C).

    Returns:
        A functional `keras.Model` named `name`, (B, latent_dim) -> (B, w_dim).
    """
    width = w_dim if width is None else width
    z = keras.Input((latent_dim,), name="z")
    x = PixelNorm(dtype="float32", name="mapping_pixel_norm")(z)
    for i in range(num_layers):
        units = w_dim if i == num_layers - 1 else width
        x = EqualizedDense(units, lr_multiplier=lr_multiplier, dtype="float32",
                           name=f"mapping_dense_{i}")(x)
        x = keras.layers.LeakyReLU(0.2, dtype="float32", name=f"mapping_lrelu_{i}")(x)
    return keras.Model(z, x, name=name)


def noise_inputs(sizes):
    """One `keras.Input((h, w, 1), name="noise_<i>")` per noise layer of a synthesis
    network, `sizes` a list of sides (or (h, w) pairs) in the order of the layers."""
    shapes = [(s, s) if isinstance(s, numbers.Integral) else tuple(s) for s in sizes]
    return [keras.Input((h, w, 1), name=f"noise_{i}") for i, (h, w) in enumerate(shapes)]


def mix_styles(ws, ws2, crossover):
    """Style mixing: layer l of example b from `ws` if `l < crossover[b]`, else from `ws2`.

    Args:
        ws, ws2: (B, L, D) tensors or arrays.
        crossover: (B,) ints in [0, L]; L keeps `ws` whole, 0 takes `ws2` whole.
    """
    ws = tf.convert_to_tensor(ws)
    layers = tf.range(tf.shape(ws)[1])[None, :, None]
    keep = layers < tf.cast(tf.convert_to_tensor(crossover), "int32")[:, None, None]
    return tf.where(keep, ws, tf.cast(ws2, ws.dtype))


def truncate_styles(ws, w_avg, psi=1.0, cutoff=None):
    """The truncation trick (StyleGAN section 3.1; official `Truncation`):
    `w_avg + psi (ws - w_avg)` on the layers `l < cutoff` (all when None), the others
    unchanged (exactly). `psi=1` returns `ws` itself. ws (B, L, D), w_avg (D,)."""
    ws = tf.convert_to_tensor(ws, "float32")
    if float(psi) == 1.0:
        return ws
    w_avg = tf.cast(tf.reshape(tf.convert_to_tensor(w_avg), [1, 1, -1]), "float32")
    truncated = w_avg + float(psi) * (ws - w_avg)
    if cutoff is None:
        return truncated
    layers = tf.range(tf.shape(ws)[1])[None, :, None]
    return tf.where(layers < int(cutoff), truncated, ws)


# ------------------------------------------------------------------------ layers
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ConstantInput(keras.layers.Layer):
    """The learned constant a style-based synthesis network starts from (StyleGAN's
    4x4x512 `const`, initialized to ones), repeated for every example.

    Args:
        channels: channels of the constant.
        size: its side (4).
        initializer: of the constant: `"ones"` (StyleGAN) or a Keras initializer
            (StyleGAN2: `RandomNormal(0, 1)`).

    Input: any tensor whose first axis is the batch (the synthesis network's ws).
    Output: (B, size, size, channels) in the compute dtype.
    """

    def __init__(self, channels, size=4, initializer="ones", **kwargs):
        super().__init__(**kwargs)
        for name, value in (("channels", channels), ("size", size)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"ConstantInput: {name} must be a positive int; got {value!r}.")
        self.channels = int(channels)
        self.size = int(size)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.const = self.add_weight(name="const", shape=(1, self.size, self.size,
                                                          self.channels),
                                     initializer=self.initializer)

    def call(self, inputs):
        # Broadcast against a (B, 1, 1, 1) zero rather than tf.tile with a computed
        # multiple: XLA cannot compile Tile's gradient when a lazy regularizer's
        # tf.cond passes the multiple across the branch boundary (path length).
        zero = tf.zeros_like(tf.reshape(inputs, [tf.shape(inputs)[0], -1])[:, :1])  # (B, 1)
        # A reshape, not [:, :, None, None]: TFLite has no builtin for new-axis slices.
        zero = tf.reshape(tf.cast(zero, self.compute_dtype), [-1, 1, 1, 1])     # (B, 1, 1, 1)
        return tf.cast(self.const, self.compute_dtype) + zero

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size,
                "initializer": keras.initializers.serialize(self.initializer)}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SelectStyle(keras.layers.Layer):
    """`ws[:, index]`: the w of one synthesis layer, (B, L, D) -> (B, D)."""

    def __init__(self, index, **kwargs):
        super().__init__(**kwargs)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or index < 0:
            raise ValueError(f"SelectStyle: index must be an int >= 0; got {index!r}.")
        self.index = int(index)

    def build(self, input_shape):
        if len(input_shape) != 3 or (input_shape[1] is not None
                                     and self.index >= input_shape[1]):
            raise ValueError(f"SelectStyle: index {self.index} is not a layer of ws of shape "
                             f"{tuple(input_shape)} (batch, num_ws, w_dim).")

    def call(self, inputs):
        return inputs[:, self.index]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "index": self.index}


def _check_number(name, value, low, high, hint):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or not low <= value <= high):
        raise ValueError(f"{name} must be a number in [{low}, {high}] ({hint}); got {value!r}.")
    return float(value)


def _check_int(name, value, minimum, hint):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum} ({hint}); got {value!r}.")
    return int(value)


# ------------------------------------------------------------------------- model
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class StyleBasedGAN(AdversarialModel):
    """Base of the style-based GANs: mapping network, w_avg, style mixing, truncation,
    noise inputs, W-space sampling and export (see the module docstring).

    A subclass builds its synthesis network and discriminator and passes them here,
    sets `mbstd_group_size` (its discriminator's minibatch-stddev groups, which
    `check_batch_size` checks batches against) and extends `get_config` with its own
    arguments. The loss is the non-saturating logistic loss of both papers.

    Args:
        synthesis: functional `keras.Model`, `[ws, noise_0, ...] -> images`: ws of
            shape (B, num_ws, w_dim), one (B or 1, h, w, 1) noise image per noise
            layer (`noise_inputs(sizes)`), float32 linear images out.
        discriminator: `keras.Model`, images -> logits (B, 1).
        latent_dim: size of z (512).
        w_dim: size of w (512); must be the synthesis network's.
        mapping_layers: dense layers of the mapping network (8).
        mapping_width: hidden units of the mapping network; None is `w_dim`.
        mapping_lr_multiplier: learning-rate multiplier of the mapping network (0.01).
        style_mixing_prob: probability, per example, that a training image mixes the
            ws of two latents at a random crossover layer (0.9; 0 is off).
        w_avg_beta: decay of the running mean `w_avg` of w (0.995); 1 freezes it.
        **kwargs: `AdversarialModel` arguments (`seed`, `d_steps`, EMA, `r1_gamma`,
            `pl_weight`, `diff_augment`, ...). Unconditional: no `num_classes`.
    """

    def __init__(self, synthesis, discriminator, latent_dim=512, w_dim=512, mapping_layers=8,
                 mapping_width=None, mapping_lr_multiplier=0.01, style_mixing_prob=0.9,
                 w_avg_beta=0.995, **kwargs):
        owner = type(self).__name__
        if kwargs.get("num_classes") is not None:
            raise ValueError(f"{owner} is unconditional here (the official label embedding "
                             f"is not implemented); got num_classes={kwargs['num_classes']!r}.")
        latent_dim = _check_int("latent_dim", latent_dim, 1, "512 in the paper")
        w_dim = _check_int("w_dim", w_dim, 1, "512 in the paper")
        mapping_layers = _check_int("mapping_layers", mapping_layers, 1, "8 in the paper")
        if mapping_width is not None:
            mapping_width = _check_int("mapping_width", mapping_width, 1, "None is w_dim")
        mapping_lr_multiplier = _check_number("mapping_lr_multiplier", mapping_lr_multiplier,
                                              1e-8, 1e8, "0.01 in the paper")
        style_mixing_prob = _check_number("style_mixing_prob", style_mixing_prob, 0.0, 1.0,
                                          "0.9 in the paper; 0 is off")
        w_avg_beta = _check_number("w_avg_beta", w_avg_beta, 0.0, 1.0, "0.995 in the paper")
        inputs = list(getattr(synthesis, "inputs", None) or [])
        if not inputs or len(inputs[0].shape) != 3 or any(
                len(x.shape) != 4 or x.shape[-1] != 1 for x in inputs[1:]):
            raise ValueError(
                f"{owner}: the synthesis network must be a functional keras.Model with "
                "inputs [ws (batch, num_ws, w_dim), noise_0 (batch, h, w, 1), ...]; got "
                f"inputs {[tuple(x.shape) for x in inputs]}.")
        num_ws, synthesis_w_dim = inputs[0].shape[1], inputs[0].shape[2]
        if synthesis_w_dim != w_dim:
            raise ValueError(f"{owner}: the synthesis network takes ws of size "
                             f"{synthesis_w_dim}, but w_dim={w_dim}.")
        if style_mixing_prob > 0 and num_ws < 2:
            raise ValueError(f"{owner}: style mixing needs at least 2 ws; the synthesis "
                             f"network has {num_ws}. Use style_mixing_prob=0.")
        mapping = mapping_network(latent_dim, w_dim, mapping_layers, mapping_width,
                                  mapping_lr_multiplier)
        z = keras.Input((latent_dim,), name="z")
        noise = [keras.Input(tuple(x.shape[1:]), name=f"noise_{i}")
                 for i, x in enumerate(inputs[1:])]
        ws = keras.layers.RepeatVector(num_ws, dtype="float32", name="broadcast")(mapping(z))
        generator = keras.Model([z, *noise], synthesis([ws, *noise]), name="generator")
        super().__init__(generator=generator, discriminator=discriminator,
                         latent_dim=latent_dim, **kwargs)
        self.w_dim = w_dim
        self.num_ws = int(num_ws)
        self.noise_shapes = [tuple(int(d) for d in x.shape[1:3]) for x in inputs[1:]]
        self.mapping_layers = mapping_layers
        self.mapping_width = mapping_width
        self.mapping_lr_multiplier = mapping_lr_multiplier
        self.style_mixing_prob = style_mixing_prob
        self.w_avg_beta = w_avg_beta
        self.w_avg = self.add_weight(shape=(w_dim,), initializer="zeros", dtype="float32",
                                     trainable=False, aggregation="only_first_replica",
                                     name="w_avg")
        # Per replica thread (MirroredStrategy traces each replica in its own thread,
        # switching at every cross-replica op): the index of the step's fake batch and
        # the w the last one was mapped from.
        self._style = Unsaved(local=threading.local(), const_noise=None)

    # ---------------------------------------------------------------- networks
    def networks(self, network=None):
        """`(mapping, synthesis)` of `network` (a generator or its EMA copy; default
        the trained generator)."""
        network = self.generator if network is None else network
        return network.get_layer("mapping"), network.get_layer("synthesis")

    @property
    def mapping(self):
        """The trained mapping network, z (B, latent_dim) -> w (B, w_dim)."""
        return self.networks()[0]

    @property
    def synthesis(self):
        """The trained synthesis network, `[ws, *noise] -> images`."""
        return self.networks()[1]

    def broadcast(self, w):
        """(B, w_dim) -> (B, num_ws, w_dim): the same w for every synthesis layer."""
        return tf.tile(tf.cast(w, "float32")[:, None, :], [1, self.num_ws, 1])

    # -------------------------------------------------------------------- noise
    def const_noise(self):
        """The fixed noise maps of `noise_mode="const"`: one (1, h, w, 1) float32 array
        per noise layer, drawn once from a fixed numpy seed (the same for every model
        of this architecture, every image and every call)."""
        if self._style.const_noise is None:
            self._style.const_noise = [
                np.random.default_rng((_CONST_NOISE_KEY, i)).standard_normal(
                    (1, h, w, 1)).astype("float32")
                for i, (h, w) in enumerate(self.noise_shapes)]
        return self._style.const_noise

    def inference_noise(self, n, noise_mode="const", seed=None, start=0):
        """Noise images for `n` samples outside training, a list of arrays.

        `"const"`: `const_noise()` ((1, h, w, 1), shared); `"none"`: zeros (1, h, w,
        1); `"random"`: (n, h, w, 1), image `start + i` drawn from `(seed, i)` so a
        seed gives the same noise to the same image index whatever `n` (a random seed
        when `seed` is None).
        """
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {list(NOISE_MODES)}; "
                             f"got {noise_mode!r}.")
        if noise_mode == "const":
            return self.const_noise()
        if noise_mode == "none":
            return [np.zeros((1, h, w, 1), "float32") for h, w in self.noise_shapes]
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31 - 1))
        rngs = [np.random.default_rng((int(seed), _RANDOM_NOISE_KEY, start + i))
                for i in range(n)]
        return [np.stack([rng.standard_normal((h, w, 1)).astype("float32") for rng in rngs])
                for h, w in self.noise_shapes]

    def _rows(self, rows):
        """`(indices, total)`: this replica's examples' indices in the global batch."""
        indices, total = rows
        return tf.cast(indices, "int32"), tf.cast(total, "int32")

    def synthesis_noise(self, rows, draw):
        """Training noise: one (n, h, w, 1) float32 image per noise layer for the
        examples at global-batch `indices` of `rows = (indices, total)`, drawn for the
        whole global batch from `noise_seed(draw=draw, per_replica=False)` (layer j
        folded in) and gathered: every replica draws what one device draws."""
        indices, total = self._rows(rows)
        seed = self.noise_seed(draw=draw, per_replica=False)
        noise = []
        for j, (h, w) in enumerate(self.noise_shapes):
            layer_seed = tf.random.experimental.stateless_fold_in(seed, j)
            full = tf.random.stateless_normal(tf.stack([total, h, w, 1]), layer_seed)
            noise.append(tf.gather(full, indices))
        return noise

    # ------------------------------------------------------------- style mixing
    def _draw_latents(self, count, seed):
        shape = tf.stack([count, self.latent_dim])
        if self.latent_distribution == "uniform":
            return tf.random.stateless_uniform(shape, seed, minval=-1.0, maxval=1.0)
        return tf.random.stateless_normal(shape, seed)

    def mixing_draws(self, rows, draw):
        """`(latents2, crossover)` of style mixing for the examples at `rows =
        (indices, total)` of the global batch: second latents (n, latent_dim) and
        crossover layers (n,) int32, `num_ws` (no mixing) with probability `1 -
        style_mixing_prob`, else uniform in [1, num_ws - 1]. Drawn for the global
        batch from `noise_seed(draw=draw, per_replica=False)` and gathered."""
        indices, total = self._rows(rows)
        seed = self.noise_seed(draw=draw, per_replica=False)
        coin_seed, layer_seed, latent_seed = (
            tf.random.experimental.stateless_fold_in(seed, k) for k in range(3))
        mixed = tf.random.stateless_uniform(tf.reshape(total, [1]), coin_seed) \
            < self.style_mixing_prob
        layer = tf.random.stateless_uniform(tf.reshape(total, [1]), layer_seed, minval=1,
                                            maxval=self.num_ws, dtype="int32")
        crossover = tf.where(mixed, layer, self.num_ws)
        latents2 = self._draw_latents(total, latent_seed)
        return tf.gather(latents2, indices), tf.gather(crossover, indices)

    def training_styles(self, latents, rows, draw, mapping=None):
        """`(w, ws)` of a training batch: w = mapping(latents) (B, w_dim) and the ws
        after style mixing (B, num_ws, w_dim), both float32."""
        mapping = self.mapping if mapping is None else mapping
        w = tf.cast(mapping(tf.cast(latents, "float32"), training=True), "float32")
        ws = self.broadcast(w)
        if self.style_mixing_prob > 0:
            latents2, crossover = self.mixing_draws(rows, _STYLE_MIX_STREAM + draw)
            ws2 = self.broadcast(mapping(latents2, training=True))
            ws = mix_styles(ws, ws2, crossover)
        return w, ws

    # ----------------------------------------------------------------- training
    #: Examples per minibatch-stddev group of the discriminator (subclasses set it;
    #: None or 0: no such layer, no batch constraint).
    mbstd_group_size = None

    def discriminator_loss(self, real_logits, fake_logits):
        """The non-saturating logistic loss of StyleGAN and StyleGAN2."""
        return losses.nonsaturating_d_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    def check_batch_size(self, batch_size, where):
        super().check_batch_size(batch_size, where)
        check_minibatch_stddev_batch(batch_size, self.d_steps, self.mbstd_group_size, where)

    def train_step(self, data):
        self._style.local.fake_index = 0
        return super().train_step(data)

    def training_fakes(self, real_images, latents, labels):
        """The fakes of one discriminator update (the last one also trains G): map,
        mix styles, draw the noise images, synthesize. The i-th call of a step draws
        from `_STYLE_MIX_STREAM + i` and `_SYNTHESIS_NOISE_STREAM + i`, for the
        global minibatch (N replicas == one device)."""
        local = self._style.local
        index = getattr(local, "fake_index", 0)
        local.fake_index = index + 1
        count = tf.shape(latents)[0]
        offset, total = global_rows(count)
        rows = (offset + tf.range(count), total)
        w, ws = self.training_styles(latents, rows, index)
        local.step_w = w
        noise = self.synthesis_noise(rows, _SYNTHESIS_NOISE_STREAM + index)
        return self.synthesis([ws, *noise], training=True)

    def after_generator_update(self, applied):
        """The base's EMA, then `w_avg` from the w of the generator update's batch
        (a mean over the global batch), where the update was applied."""
        # The base's EMA first: it reads the batch size the step recorded before any
        # cross-replica op lets another replica thread record its own.
        super().after_generator_update(applied)
        w = getattr(self._style.local, "step_w", None)
        self._style.local.step_w = None
        if w is not None:
            mean = global_batch_mean(tf.stop_gradient(w))
            new = mean + self.w_avg_beta * (self.w_avg - mean)  # lerp(mean, w_avg, beta)
            self.w_avg.assign(new if applied is True else tf.where(applied, new, self.w_avg))

    def _path_length_rows(self, count):
        # The base measures every pl_batch_shrink-th example of the generator's batch
        # (`range(0, n, pl_batch_shrink)`): their indices in the global batch.
        offset, total = self.lazy_rows
        return offset + self.pl_batch_shrink * tf.range(count), total

    def path_length_inputs(self, latents, labels=None):
        """The ws the path length is measured in: mapped and style-mixed like the
        training batch (StyleGAN2's `return_dlatents`), so the penalty trains the
        mapping network too. (B, num_ws, w_dim) float32."""
        rows = self._path_length_rows(tf.shape(latents)[0])
        return self.training_styles(latents, rows, _PATH_LENGTH_DRAW)[1]

    def path_length_images(self, w, labels=None):
        """The synthesis network on `w` (the ws of `path_length_inputs`) with fresh
        training noise, in training mode."""
        rows = self._path_length_rows(tf.shape(w)[0])
        noise = self.synthesis_noise(rows, _SYNTHESIS_NOISE_STREAM + _PATH_LENGTH_DRAW)
        return self.synthesis([w, *noise], training=True)

    # ------------------------------------------------------------------- calls
    def call_generator(self, latents, labels=None, training=False, network=None):
        """z -> images with `network` (default the trained generator), no truncation.

        In training mode with freshly drawn noise (and no style mixing); otherwise
        with the const noise maps, clipped to [-1, 1] (the networks are linear, as
        the paper's).
        """
        if labels is not None:
            raise ValueError(f"{type(self).__name__} is unconditional; it takes no labels.")
        mapping, synthesis = self.networks(network)
        latents = tf.convert_to_tensor(latents, "float32")
        ws = self.broadcast(mapping(latents, training=training))
        if training:
            count = tf.shape(latents)[0]
            offset, total = global_rows(count)
            noise = self.synthesis_noise((offset + tf.range(count), total),
                                         _SYNTHESIS_NOISE_STREAM + _DIRECT_DRAW)
            return synthesis([ws, *noise], training=True)
        noise = [tf.constant(x) for x in self.const_noise()]
        return tf.clip_by_value(tf.cast(synthesis([ws, *noise], training=False), "float32"),
                                -1.0, 1.0)

    def _check_truncation(self, psi, truncation_cutoff):
        if (isinstance(psi, bool) or not isinstance(psi, numbers.Real)
                or not math.isfinite(psi)):
            raise ValueError(f"psi must be a finite number (1 = no truncation, 0 = every "
                             f"image at w_avg, the paper uses 0.7); got {psi!r}.")
        if truncation_cutoff is not None and (
                isinstance(truncation_cutoff, bool)
                or not isinstance(truncation_cutoff, numbers.Integral)
                or not 0 <= truncation_cutoff <= self.num_ws):
            raise ValueError(f"truncation_cutoff must be None (every layer) or an int in "
                             f"[0, {self.num_ws}] (the layers below it are truncated; the "
                             f"official code uses 8 of 18); got {truncation_cutoff!r}.")
        return float(psi), truncation_cutoff

    def map(self, latents, psi=1.0, truncation_cutoff=None, use_ema=True, batch_size=256):
        """The ws of latents: mapping network, broadcast, truncation trick.

        Args:
            latents: (n, latent_dim) array.
            psi: truncation strength: `ws = w_avg + psi (ws - w_avg)`; 1 (default)
                is no truncation, 0 maps every latent to `w_avg`.
            truncation_cutoff: truncate only the layers below it (coarse styles);
                None truncates every layer.
            use_ema: the EMA generator's mapping network (default) or the trained one.
            batch_size: latents per call.

        Returns:
            float32 numpy ws of shape (n, num_ws, w_dim).

        Example:
            >>> ws = model.map(model.random_latents(8, seed=0), psi=0.7)
            >>> images = model.synthesize(ws)
        """
        psi, truncation_cutoff = self._check_truncation(psi, truncation_cutoff)
        latents = np.asarray(latents, dtype="float32")
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim or len(latents) < 1:
            raise ValueError(f"latents must have shape (n, {self.latent_dim}) with n >= 1; "
                             f"got {latents.shape}.")
        mapping, _ = self.networks(self._sampling_generator(use_ema))
        w_avg = self.w_avg.numpy()
        chunks = []
        for i in range(0, len(latents), batch_size):
            ws = self.broadcast(mapping(latents[i:i + batch_size], training=False))
            ws = truncate_styles(ws, w_avg, psi, truncation_cutoff)
            chunks.append(keras.ops.convert_to_numpy(ws))
        return np.concatenate(chunks, axis=0).astype("float32")

    def synthesize(self, ws, noise_mode="const", seed=None, use_ema=True, batch_size=256):
        """Images of ws: the synthesis network, clipped to [-1, 1].

        Args:
            ws: (n, num_ws, w_dim), or (n, w_dim) used for every layer.
            noise_mode: `"const"` (fixed maps: deterministic, default), `"random"`
                (per image from `seed`) or `"none"`.
            seed: seed of the random noise.
            use_ema: the EMA generator's synthesis network (default) or the trained one.
            batch_size: images per call.

        Returns:
            float32 numpy images (n, H, W, C) in [-1, 1].
        """
        ws = np.asarray(ws, dtype="float32")
        if ws.ndim == 2 and ws.shape[1:] == (self.w_dim,):
            ws = np.repeat(ws[:, None], self.num_ws, axis=1)
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim) or len(ws) < 1:
            raise ValueError(f"ws must have shape (n, {self.num_ws}, {self.w_dim}) or (n, "
                             f"{self.w_dim}) with n >= 1; got {ws.shape}.")
        if not np.all(np.isfinite(ws)):
            raise ValueError("ws must be finite.")
        _, synthesis = self.networks(self._sampling_generator(use_ema))
        chunks = []
        for i in range(0, len(ws), batch_size):
            part = ws[i:i + batch_size]
            noise = self.inference_noise(len(part), noise_mode, seed, start=i)
            images = synthesis([part, *noise], training=False)
            chunks.append(np.clip(keras.ops.convert_to_numpy(
                keras.ops.cast(images, "float32")), -1.0, 1.0))
        return np.concatenate(chunks, axis=0)

    def generate(self, n, seed=None, latents=None, labels=None, batch_size=256, use_ema=True,
                 psi=1.0, truncation_cutoff=None, noise_mode="const"):
        """Samples `n` images in [-1, 1] as a float32 numpy array: `synthesize(map(z))`.

        Args:
            n: number of images.
            seed: seed of the latents (and of the noise with `noise_mode="random"`).
            latents: explicit (n, latent_dim) latents instead of a seed.
            labels: not accepted (unconditional).
            batch_size: images per call.
            use_ema: the EMA generator (default) or the trained one.
            psi, truncation_cutoff: the truncation trick (`map`); psi=1 is off.
            noise_mode: `"const"` (default: deterministic), `"random"` or `"none"`
                (`synthesize`).

        Example:
            >>> images = model.generate(16, seed=0)                 # no truncation
            >>> typical = model.generate(16, seed=0, psi=0.7)       # the paper's figures
            >>> coarse = model.generate(16, seed=0, psi=0.7, truncation_cutoff=8)
        """
        n = self._check_count(n)
        self._labels_numpy(n, labels)
        psi, truncation_cutoff = self._check_truncation(psi, truncation_cutoff)
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {list(NOISE_MODES)}; "
                             f"got {noise_mode!r}.")
        latents = self._latents_for(n, latents, seed)
        ws = self.map(latents, psi, truncation_cutoff, use_ema, batch_size)
        return self.synthesize(ws, noise_mode, seed, use_ema, batch_size)

    # ------------------------------------------------------------------ export
    def export_generator(self, path, use_ema=True, psi=1.0, truncation_cutoff=None,
                         format="saved_model", quantize=None):
        """Writes the generator as a TF SavedModel.

        Endpoints, each loading without this package (nor Keras):

        - `serve(z)`: (B, latent_dim) float32 -> images (B, H, W, C) float32 in
          [-1, 1], with the truncation `psi` / `truncation_cutoff` given here and the
          const noise (what `generate(latents=z, psi=psi, ...)` returns);
        - `mapping(z)`: -> ws (B, num_ws, w_dim), truncated likewise;
        - `serve_ws(ws)`: (B, num_ws, w_dim) -> images, for W-space edits.

        `w_avg` and the noise maps are baked in as constants at export time.

        Args:
            path: target directory (replaced if it exists).
            use_ema: export the EMA weights (default) or the trained generator's.
            psi, truncation_cutoff: the truncation trick of `serve` / `mapping`.
            format: "saved_model" (default), "tflite" or "onnx" (keras_gan_zoo.export;
                for the last two `path` is the file, or a directory that receives
                `generator[.quantize].tflite|onnx`).
            quantize: None, "float16" or "int8" (dynamic range), tflite / onnx only.

        Example:
            >>> model.export_generator("stylegan_generator", psi=0.7)
            >>> images = tf.saved_model.load("stylegan_generator").serve(z)
        """
        self._check_export(format, quantize)
        psi, truncation_cutoff = self._check_truncation(psi, truncation_cutoff)
        network = self._sampling_generator(use_ema)
        mapping, synthesis = self.networks(network)
        w_avg = self.w_avg.numpy()
        noise = self.const_noise()

        def to_ws(latents):
            ws = self.broadcast(mapping(latents, training=False))
            return truncate_styles(ws, tf.constant(w_avg), psi, truncation_cutoff)

        def images_of(ws):
            images = synthesis([ws, *[tf.constant(x) for x in noise]], training=False)
            return tf.clip_by_value(tf.cast(images, tf.float32), -1.0, 1.0)

        archive = keras.export.ExportArchive()
        archive.track(network)
        z_spec = [tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")]
        archive.add_endpoint("serve", lambda z: images_of(to_ws(z)), input_signature=z_spec)
        archive.add_endpoint("mapping", to_ws, input_signature=z_spec)
        archive.add_endpoint("serve_ws", images_of, input_signature=[
            tf.TensorSpec((None, self.num_ws, self.w_dim), tf.float32, name="ws")])
        return self._write_export(archive, path, format, quantize)

    # ------------------------------------------------------------------ config
    def get_config(self):
        return {
            **super().get_config(),
            "w_dim": self.w_dim,
            "mapping_layers": self.mapping_layers,
            "mapping_width": self.mapping_width,
            "mapping_lr_multiplier": self.mapping_lr_multiplier,
            "style_mixing_prob": self.style_mixing_prob,
            "w_avg_beta": self.w_avg_beta,
        }
