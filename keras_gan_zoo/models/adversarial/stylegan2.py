"""StyleGAN2: weight demodulation, skip generator, residual discriminator, lazy
regularization and path length (Karras et al. 2020, arXiv:1912.04958).

The generator keeps StyleGAN's mapping network (z -> w) and learned 4x4 constant but
replaces AdaIN by **weight demodulation** (section 2.2): every 3x3 convolution is a
`ModulatedConv2D` whose weights are scaled per example by a style from that layer's w
and renormalized to unit expected output variance; noise (one scalar strength per
layer), bias and LeakyReLU(0.2) times sqrt(2) follow. There is no progressive
growing (section 4.1): the **skip** generator turns the features of every resolution
into RGB (a modulated 1x1 convolution without demodulation) and sums them with the
FIR up-sampled RGB of the resolution below; the **residual** discriminator
down-samples with FIR filters and adds a 1x1 skip to every block, the sum scaled by
1 / sqrt(2). Training: non-saturating logistic loss, R1 (gamma 10) every 16 steps,
path-length regularization in W (weight 2) every 4 steps, Adam(0.002, beta_1=0,
beta_2=0.99, epsilon=1e-8) with the lazy-regularization correction of its learning
rate and betas, style mixing 0.9, and a generator EMA of 10k-image half-life.
`StyleBasedGAN` (style_base.py) holds the mapping network, `w_avg`, style mixing,
truncation, the noise inputs, W-space sampling, the path-length hooks and the export.

Faithful to the official code (NVlabs/stylegan2 `networks_stylegan2.py`:
`G_synthesis_stylegan2(architecture="skip")`, `D_stylegan2(architecture="resnet")`,
config F; the same networks as stylegan2-ada-pytorch `networks.py`): w index
`2 r - 5` and `2 r - 4` for the two convolutions at resolution 2**r (0 for the 4x4
one), `2 r - 3` for that resolution's toRGB (shared with the next resolution's first
convolution: `num_ws = 2 log2(side) - 2`, 18 at 1024, and one noise image fewer);
the constant N(0, 1) initialized; the style affine of every modulated layer with
bias 1; gain 1 in every weight and sqrt(2) after every LeakyReLU (with demodulation a
gain inside the weights would be normalized away); feature maps `min(16384 /
2**stage, 512)` (config F's doubled `fmap_base`); [1, 3, 3, 1] FIR resampling;
the discriminator's fromRGB only at the top, [3x3 conv, blurred stride-2 3x3 conv]
per block with a FIR-down-sampled 1x1 skip without bias, and at 4x4 minibatch stddev
(group 4), a 3x3 convolution, a dense layer and a linear logit.

Different on purpose (docs/models/stylegan2.md):

- **Lazy terms inside the step.** R1 and path length join the loss of the step they
  run on, multiplied by their interval (the base's lazy regularization), instead of
  an extra optimizer step; Adam's learning rate and betas still get the official
  correction (`lazy_adam`), so every update uses the official hyperparameters.
- **Up-sampling before the convolution**: `ModulatedConv2D(up=2)` FIR-up-samples,
  then convolves (the official code: a stride-2 transposed convolution, then the
  filter; the same family of functions, the kernel flipped).
- **Minibatch stddev over consecutive examples** (`MinibatchStdDev(grouping=
  "consecutive")`): N replicas form the groups one device forms.
- Style mixing per example and `w_avg` once per applied step (the base's choices,
  as for `stylegan`); no float16 clamping of activations (the zoo follows the global
  policy: bfloat16 on CPU; the official PyTorch port clamps at 256 in float16).
- The mapping network is the base's (StyleGAN's): its He gain sits in the weights,
  not after the LeakyReLU; the same function, its biases learn sqrt(2) slower.
- `preset="small"`: the official CIFAR-10 configuration (stylegan2-ada-pytorch
  `train.py`, `cfg_specs["cifar"]`) with CPU-sized widths (see `PRESETS`).
"""

import math
import numbers

import keras

from keras_gan_zoo.layers import Blur2D, Downsample2D, EqualizedConv2D, EqualizedDense, \
    MinibatchStdDev, ModulatedConv2D, NoiseInjection, Upsample2D
from keras_gan_zoo.models.adversarial.style_base import (ConstantInput, SelectStyle,
                                                         StyleBasedGAN, feature_maps,
                                                         noise_inputs, resolution_log2)
from keras_gan_zoo.models.blocks import check_feature_maps
from keras_gan_zoo.registry import register_model

#: StyleGAN2's low-pass filter of every resampling (official `resample_kernel`).
RESAMPLE_KERNEL = (1, 3, 3, 1)

#: Discriminator architectures: "resnet" (config F) and "orig" (no skips; the official
#: CIFAR-10 configuration).
D_ARCHITECTURES = ("resnet", "orig")

#: Named hyperparameter sets; explicit constructor arguments override them.
PRESETS = {
    # Config F (NVlabs/stylegan2 run_training.py, FFHQ; stylegan2-ada-pytorch
    # cfg_specs["stylegan2"]): 512-d z and w, 8 mapping layers, fmap_base 16384
    # (ada-pytorch's channel_base 32768), fmap_max 512, mbstd group 4, resnet D,
    # lr 0.002, R1 gamma 10, path length 2, style mixing 0.9, EMA 10 kimg, no ramp-up.
    "paper": dict(latent_dim=512, w_dim=512, mapping_layers=8, base_filters=16384,
                  max_filters=512, mbstd_group_size=4, d_architecture="resnet",
                  learning_rate=0.002, style_mixing_prob=0.9, r1_gamma=10.0, pl_weight=2.0,
                  ema_half_life_images=10_000, ema_rampup=None),
    # stylegan2-ada-pytorch cfg_specs["cifar"] (the paper's CIFAR-10 configuration:
    # map=2, mbstd=32, lrate=0.0025, gamma=0.01, ema=500 kimg, ramp=0.05, and in
    # train.py pl_weight=0, style_mixing_prob=0, D architecture "orig"), with the
    # widths scaled for a 2-core CPU: z and w of 128 instead of 512, fmaps
    # min(512 / 2**stage, 64) instead of min(16384 / 2**stage, 512): 64 maps at 4x4 to
    # 16x16 and 32 at 32x32, where cifar has 512 everywhere (a constant 64 ran 2.4x
    # slower per step here, 0.96 s vs 0.40 s at batch 64).
    "small": dict(latent_dim=128, w_dim=128, mapping_layers=2, base_filters=512,
                  max_filters=64, mbstd_group_size=32, d_architecture="orig",
                  learning_rate=0.0025, style_mixing_prob=0.0, r1_gamma=0.01, pl_weight=0.0,
                  ema_half_life_images=500_000, ema_rampup=0.05),
}

#: Named configurations: `create_model("stylegan2", **CONFIGS[name])`.
CONFIGS = {
    # The paper's FFHQ networks, config F (30.4M generator parameters, 29.0M D).
    "ffhq_1024": dict(image_shape=(1024, 1024, 3), preset="paper"),
    # Fashion-MNIST padded by 2 pixels to 32x32 with -1 (its background), the small
    # preset (what benchmarks/time_to_quality.py trains).
    "fashion_mnist_32": dict(image_shape=(32, 32, 1), preset="small"),
}

# The arguments of `StyleBasedGAN` / `AdversarialModel` a preset sets (the others
# are StyleGAN2's own constructor arguments).
_BASE_PRESET_KEYS = ("style_mixing_prob", "r1_gamma", "pl_weight")


def lazy_adam(learning_rate, interval, beta_1=0.0, beta_2=0.99, epsilon=1e-8):
    """Adam for a network regularized every `interval` steps, with StyleGAN2's lazy
    correction (official `training_loop.py`): `ratio = interval / (interval + 1)`,
    the learning rate times `ratio`, each beta to the power `ratio`; `interval` 1 (a
    non-lazy term) leaves them alone.

    Example:
        >>> float(lazy_adam(0.002, 16).learning_rate)   # 0.002 * 16 / 17
        0.00188...
    """
    ratio = interval / (interval + 1) if interval > 1 else 1.0
    return keras.optimizers.Adam(learning_rate * ratio, beta_1=beta_1 ** ratio,
                                 beta_2=beta_2 ** ratio, epsilon=epsilon)


def _tag(res):
    return f"{2 ** res}x{2 ** res}"


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ScaledLeakyReLU(keras.layers.Layer):
    """`gain * LeakyReLU(negative_slope)(x)`: StyleGAN2's `lrelu` activation (official
    `fused_bias_act`: slope 0.2, gain sqrt(2), the He gain applied after the
    nonlinearity instead of inside the weights)."""

    def __init__(self, negative_slope=0.2, gain=math.sqrt(2.0), **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)
        self.gain = float(gain)

    def call(self, inputs):
        return keras.ops.leaky_relu(inputs, self.negative_slope) * self.gain

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope,
                "gain": self.gain}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ScaledSum(keras.layers.Layer):
    """`scale * sum(inputs)`: the residual sum of StyleGAN2's discriminator blocks,
    `(x + skip) / sqrt(2)` (keeps the variance of two unit-variance branches)."""

    def __init__(self, scale=1.0 / math.sqrt(2.0), **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return total * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def stylegan2_synthesis(image_shape, w_dim=512, base_filters=16384, max_filters=512,
                        resample_kernel=RESAMPLE_KERNEL):
    """StyleGAN2's skip synthesis network (official `G_synthesis_stylegan2`,
    `architecture="skip"`).

    Inputs `[ws, noise_0, ..., noise_{L-2}]`: ws (B, L, w_dim) with L = 2 log2(side)
    - 2, and one (B or 1, s, s, 1) noise image per convolution (s = 4, 8, 8, 16, 16,
    ...). Output: (B, side, side, channels) float32, linear: the sum of every
    resolution's toRGB, each up-sampled to the next.

    Args:
        image_shape: (side, side, channels), side a power of two >= 8.
        w_dim: size of w.
        base_filters, max_filters: fmap_base (16384, config F) and fmap_max (512):
            the layers at resolution 2**r have `feature_maps(r - 1)` channels.
        resample_kernel: the FIR filter of every up-sampling.
    """
    r_max = resolution_log2(image_shape, "StyleGAN2")

    def nf(stage):
        return feature_maps(stage, base_filters, max_filters)

    num_ws = 2 * r_max - 2
    ws = keras.Input((num_ws, w_dim), name="ws")
    noise = noise_inputs([2 ** ((layer + 5) // 2) for layer in range(num_ws - 1)])

    def layer(x, index, filters, up, name):
        # modulated conv (+ bias) -> noise -> lrelu * sqrt(2); the official adds the
        # bias after the noise: the same sum.
        style = SelectStyle(index, name=f"{name}_w")(ws)
        x = ModulatedConv2D(filters, 3, up=up, resample_kernel=resample_kernel,
                            name=name)([x, style])
        x = NoiseInjection(per_channel=False, name=f"{name}_noise")(x, noise=noise[index])
        return ScaledLeakyReLU(name=f"{name}_lrelu")(x)

    def to_rgb(x, res):
        # The RGB path is float32 under any policy (as StyleGAN2-ADA keeps `img`).
        style = SelectStyle(2 * res - 3, dtype="float32", name=f"to_rgb_{_tag(res)}_w")(ws)
        return ModulatedConv2D(image_shape[-1], 1, demodulate=False, dtype="float32",
                               name=f"to_rgb_{_tag(res)}")([x, style])

    x = ConstantInput(nf(1), 4, initializer=keras.initializers.RandomNormal(0.0, 1.0),
                      name="const_4x4")(ws)
    x = layer(x, 0, nf(1), 1, "conv_4x4")
    rgb = to_rgb(x, 2)
    for res in range(3, r_max + 1):
        tag = _tag(res)
        x = layer(x, 2 * res - 5, nf(res - 1), 2, f"conv0_up_{tag}")
        x = layer(x, 2 * res - 4, nf(res - 1), 1, f"conv1_{tag}")
        rgb = Upsample2D(2, resample_kernel, dtype="float32", name=f"upsample_rgb_{tag}")(rgb)
        rgb = keras.layers.Add(dtype="float32", name=f"rgb_{tag}")([rgb, to_rgb(x, res)])
    return keras.Model([ws, *noise], rgb, name="synthesis")


def stylegan2_discriminator(image_shape, base_filters=16384, max_filters=512,
                            mbstd_group_size=4, architecture="resnet",
                            resample_kernel=RESAMPLE_KERNEL):
    """StyleGAN2's discriminator (official `D_stylegan2`, `architecture="resnet"` or
    `"orig"`).

    fromRGB (1x1) at the top; per resolution 2**r > 4: conv 3x3 (`nf(r - 1)`), a
    blurred stride-2 conv 3x3 (`nf(r - 2)`), each with bias and lrelu * sqrt(2), and
    for "resnet" a skip (FIR down-sampling, 1x1 conv without bias) added with
    `(x + skip) / sqrt(2)`; at 4x4 minibatch stddev, conv 3x3, dense `nf(0)`, linear
    logit. Output: float32 logits (B, 1).

    Args:
        image_shape: (side, side, channels), side a power of two >= 8.
        base_filters, max_filters: fmap_base / fmap_max, as for the generator.
        mbstd_group_size: group size of the minibatch-stddev layer (4); 0 disables it.
            Groups are consecutive examples (`MinibatchStdDev(grouping="consecutive")`).
        architecture: "resnet" (config F) or "orig" (no skip connections).
        resample_kernel: the FIR filter of every down-sampling.
    """
    r_max = resolution_log2(image_shape, "StyleGAN2")
    if architecture not in D_ARCHITECTURES:
        raise ValueError(f"d_architecture must be one of {list(D_ARCHITECTURES)} ('resnet' "
                         f"in config F, 'orig' in the CIFAR-10 one); got {architecture!r}.")

    def nf(stage):
        return feature_maps(stage, base_filters, max_filters)

    def conv(x, filters, kernel, name, **kwargs):
        x = EqualizedConv2D(filters, kernel, gain=1.0, name=name, **kwargs)(x)
        return ScaledLeakyReLU(name=f"{name}_lrelu")(x)

    images = keras.Input(tuple(image_shape), name="images")
    x = conv(images, nf(r_max - 1), 1, "from_rgb")
    for res in range(r_max, 2, -1):
        tag = _tag(res)
        skip = x
        x = conv(x, nf(res - 1), 3, f"conv0_{tag}")
        # The official down-sampling convolution: the FIR filter padded by 2, then a
        # stride-2 "valid" convolution.
        x = Blur2D(resample_kernel, padding=(2, 2), name=f"blur_{tag}")(x)
        x = conv(x, nf(res - 2), 3, f"conv1_down_{tag}", strides=2, padding="valid")
        if architecture == "resnet":
            skip = Downsample2D(2, resample_kernel, name=f"skip_downsample_{tag}")(skip)
            skip = EqualizedConv2D(nf(res - 2), 1, gain=1.0, use_bias=False,
                                   name=f"skip_{tag}")(skip)
            x = ScaledSum(name=f"residual_{tag}")([x, skip])
    if mbstd_group_size:
        x = MinibatchStdDev(mbstd_group_size, grouping="consecutive",
                            name="minibatch_stddev_4x4")(x)
    x = conv(x, nf(1), 3, "conv_4x4")
    x = keras.layers.Flatten(name="flatten_4x4")(x)
    x = ScaledLeakyReLU(name="dense_4x4_lrelu")(
        EqualizedDense(nf(0), gain=1.0, name="dense_4x4")(x))
    logits = EqualizedDense(1, gain=1.0, dtype="float32", name="logit")(x)
    return keras.Model(images, logits, name="discriminator")


@register_model(
    "stylegan2",
    tiny=dict(image_shape=(16, 16, 1), latent_dim=8, w_dim=8, mapping_layers=2,
              base_filters=32, max_filters=8),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class StyleGAN2(StyleBasedGAN):
    """StyleGAN2 (config F): demodulated skip generator, residual discriminator,
    non-saturating loss with lazy R1 and path-length regularization.

    Every argument left at None takes the value of `preset`; explicit values
    override it (`create_model("stylegan2", preset="small", r1_gamma=1.0)`).

    Args:
        latent_dim: size of z (paper 512, small 128).
        image_shape: (side, side, channels), side a power of two >= 8, 1 or 3
            channels ((32, 32, 1) for Fashion-MNIST padded by 2 pixels).
        w_dim: size of w (512 / 128).
        mapping_layers: dense layers of the mapping network (8 / 2).
        base_filters: fmap_base of `nf(stage) = min(base_filters / 2**stage,
            max_filters)` (16384 / 512): the layers at resolution 2**r have
            `nf(r - 1)` maps.
        max_filters: fmap_max (512 / 64).
        mbstd_group_size: group size of the discriminator's minibatch-stddev layer
            (4 / 32); 0 disables it. The batch of each discriminator update (per
            replica) must be a multiple of it or smaller.
        d_architecture: "resnet" (paper) or "orig" (small, as the official CIFAR-10
            configuration).
        learning_rate: Adam's learning rate before the lazy-regularization
            correction (0.002 / 0.0025); see `default_optimizers`.
        preset: "paper" (config F, default) or "small" (the official CIFAR-10
            configuration at CPU widths); see `PRESETS` and docs/models/stylegan2.md.
        **kwargs: `StyleBasedGAN` arguments (`style_mixing_prob` 0.9 / 0,
            `w_avg_beta` 0.995, `mapping_lr_multiplier` 0.01, ...) and
            `AdversarialModel` ones: the presets set `r1_gamma` (10 / 0.01),
            `pl_weight` (2 / 0) and, without `ema_beta`, `ema_half_life_images`
            (10_000 / 500_000) and `ema_rampup` (None / 0.05); `r1_every=16`,
            `pl_every=4`, `pl_decay=0.01`, `pl_batch_shrink=2` are the base's defaults.

    Example:
        >>> model = keras_gan_zoo.create_model("stylegan2", image_shape=(32, 32, 1),
        ...                                    preset="small")
        >>> model.compile()        # Adam(0.0025 x ratio, betas (0, 0.99) ** ratio)
        >>> model.fit(padded_fashion_mnist, epochs=10)
        >>> images = model.generate(16, seed=0, psi=0.7)        # truncation trick

    Reference:
        Karras, Laine, Aittala, Hellsten, Lehtinen & Aila, Analyzing and Improving the
        Image Quality of StyleGAN, arXiv:1912.04958 (CVPR 2020); the official code,
        github.com/NVlabs/stylegan2 and github.com/NVlabs/stylegan2-ada-pytorch.
    """

    #: export_generator(format=...) that cannot be written (keras_gan_zoo.export).
    export_unsupported = {
        "tflite": "the FIR up-sampling (upfirdn2d) zero-stuffs through a 6-D tf.pad and "
                  "TFLite's PAD builtin handles at most 5 dimensions (a Flex op would be "
                  "needed). Use format='onnx' or 'saved_model'.",
    }

    def __init__(self, latent_dim=None, image_shape=(1024, 1024, 3), w_dim=None,
                 mapping_layers=None, base_filters=None, max_filters=None,
                 mbstd_group_size=None, d_architecture=None, learning_rate=None,
                 preset="paper", **kwargs):
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {list(PRESETS)} ('paper': config F; "
                             f"'small': the CIFAR-10 configuration at CPU widths); got "
                             f"{preset!r}.")
        values = dict(PRESETS[preset])
        given = dict(latent_dim=latent_dim, w_dim=w_dim, mapping_layers=mapping_layers,
                     base_filters=base_filters, max_filters=max_filters,
                     mbstd_group_size=mbstd_group_size, d_architecture=d_architecture,
                     learning_rate=learning_rate)
        own = {key: values[key] if value is None else value for key, value in given.items()}
        for key in _BASE_PRESET_KEYS:
            kwargs.setdefault(key, values[key])
        if kwargs.get("ema_beta") is None and "ema_half_life_images" not in kwargs:
            kwargs["ema_half_life_images"] = values["ema_half_life_images"]
        if kwargs.get("ema_half_life_images") is not None:
            kwargs.setdefault("ema_rampup", values["ema_rampup"])

        image_shape = tuple(image_shape)
        check_feature_maps(image_shape, own["base_filters"], own["max_filters"], "StyleGAN2",
                           channels=(1, 3))
        group = own["mbstd_group_size"]
        if isinstance(group, bool) or not isinstance(group, numbers.Integral) or group < 0:
            raise ValueError(f"mbstd_group_size must be an int >= 0 (4 in the paper; 0 = no "
                             f"minibatch-stddev layer); got {group!r}.")
        lr = own["learning_rate"]
        if (isinstance(lr, bool) or not isinstance(lr, numbers.Real)
                or not 0.0 < lr < float("inf")):
            raise ValueError(f"learning_rate must be a positive number (0.002 in config F); "
                             f"got {lr!r}.")
        latent = own["latent_dim"]
        super().__init__(
            synthesis=stylegan2_synthesis(image_shape, own["w_dim"], own["base_filters"],
                                          own["max_filters"]),
            discriminator=stylegan2_discriminator(image_shape, own["base_filters"],
                                                  own["max_filters"], group,
                                                  own["d_architecture"]),
            latent_dim=latent, w_dim=own["w_dim"], mapping_layers=own["mapping_layers"],
            **kwargs)
        self.preset = preset
        self.base_filters = int(own["base_filters"])
        self.max_filters = int(own["max_filters"])
        self.mbstd_group_size = int(group)
        self.d_architecture = own["d_architecture"]
        self.learning_rate = float(lr)

    def default_optimizers(self):
        """Adam(learning_rate, beta_1=0, beta_2=0.99, epsilon=1e-8) per network with
        the official lazy-regularization correction (`lazy_adam`): the generator's for
        `pl_every` (4: lr x 0.8), the discriminator's for `r1_every` (16: lr x 16/17),
        as the official code does for its regularization intervals whether or not the
        term is on (its CIFAR-10 generator, without path length, gets x 0.8 too)."""
        return {"generator_optimizer": lazy_adam(self.learning_rate, self.pl_every),
                "discriminator_optimizer": lazy_adam(self.learning_rate, self.r1_every)}

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "max_filters": self.max_filters,
            "mbstd_group_size": self.mbstd_group_size,
            "d_architecture": self.d_architecture,
            "learning_rate": self.learning_rate,
            "preset": self.preset,
        }
