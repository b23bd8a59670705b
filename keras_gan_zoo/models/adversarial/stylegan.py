"""StyleGAN: a style-based generator (Karras, Laine & Aila 2019, arXiv:1812.04948).

The generator maps z to an intermediate latent w (8-layer MLP, learning rate x0.01)
and synthesizes the image from a learned 4x4 constant: at every resolution two 3x3
convolutions, each followed by per-pixel noise with learned per-channel strengths,
LeakyReLU(0.2) and AdaIN with a style computed from w (one w per layer: `num_ws = 2
log2(side) - 2`, 18 at 1024x1024). Training uses style mixing (90% of the images mix
the ws of two latents at a random layer), a running mean of w for the truncation trick,
the non-saturating logistic loss with R1 (gamma 10, every step) and Adam(1e-3,
beta_1=0, beta_2=0.99, epsilon=1e-8) for both networks, and an EMA of the generator
with a half-life of 10k images, which `generate` and `export_generator` use. The
mapping network, w_avg, style mixing, truncation and the noise inputs live in
`StyleBasedGAN` (style_base.py), shared with StyleGAN2.

Faithful to the official code (`networks_stylegan.py`, `G_style` / `G_mapping` /
`G_synthesis` / `D_basic`, FFHQ config): layer epilogue noise -> bias -> LeakyReLU ->
instance norm -> style modulation (`AdaIN`, scale bias 1); up-sampling by nearest
neighbour, 3x3 convolution, then the [1, 2, 1] blur; 1x1 linear toRGB (gain 1);
feature maps `min(8192 / 2**stage, 512)`; equalized learning rate everywhere; the
discriminator (the ProGAN one with blur) fromRGB, per resolution a 3x3 convolution and
a blurred 3x3 convolution followed by 2x2 average pooling, and at 4x4 minibatch
stddev (group 4), a 3x3 convolution, a dense layer and a linear logit; `w_avg` tracked
with decay 0.995 and style mixing with probability 0.9 at a crossover uniform in [1,
num_ws - 1].

Different on purpose (docs/models/stylegan.md):

- **Fixed resolution, no progressive growing.** The zoo's `progan` already
  demonstrates growing; StyleGAN2 (arXiv:1912.04958, section 4) shows that growing
  causes phase artifacts (details stuck to the screen while the face moves) and drops
  it; at 32x32 the speed gain of growing is small. The paper's 1024x1024 networks
  build (the official `structure="fixed"`).
- Style mixing is decided per example (as the paper describes it); the official code
  flips one coin and draws one crossover per minibatch (per GPU).
- `w_avg` is updated once per step, from the batch the generator update trained on,
  only when that update was applied; the official graph updates it at every training
  forward pass of the generator (the discriminator's and the generator's losses).
- The minibatch-stddev groups are consecutive examples (ProGAN's
  `MinibatchStdDev(grouping="consecutive")`), not strided, so N replicas train as one device.
- Up- and down-sampling are never fused into (transposed) convolutions (the official
  code fuses them from 128x128 up: the same function up to the image borders).
- The 4x4 constant has no separate bias (a learned constant plus a learned bias per
  channel is the same function): 512 fewer parameters at 1024x1024.
- The mapping network and the 4x4 constant's layer compute in float32 under any
  policy: the constant's instance norm starts at zero variance, where its input
  gradient is 1e4 times its output's and overflows float16 at any loss scale.
- Outside training the images are clipped to [-1, 1] (the generator is linear, as the
  paper's, which clips when it writes images). Inference noise is `"const"` by default
  (fixed maps, deterministic), `"random"` per seed or `"none"` (`generate`).
- Single-resolution learning rates and batch sizes (the official schedule raises G's
  learning rate to 0.0015-0.003 above 128x128 with smaller minibatches).
"""

import numbers

import keras

from keras_gan_zoo.layers import AdaIN, Blur2D, ChannelBias, EqualizedConv2D, EqualizedDense, \
    MinibatchStdDev, NoiseInjection
from keras_gan_zoo.models.adversarial.style_base import (ConstantInput, SelectStyle,
                                                         StyleBasedGAN, feature_maps,
                                                         noise_inputs, resolution_log2)
from keras_gan_zoo.models.blocks import check_feature_maps
from keras_gan_zoo.registry import register_model

#: StyleGAN's low-pass filter of every resampling (official `blur_filter`).
BLUR_KERNEL = (1, 2, 1)

#: Named configurations: `create_model("stylegan", **CONFIGS[name])`.
CONFIGS = {
    # The paper's FFHQ / CelebA-HQ networks (26.2M generator parameters).
    "ffhq_1024": dict(image_shape=(1024, 1024, 3)),
    # The paper's LSUN / CelebA-HQ 256x256 networks: same widths, 14 ws.
    "lsun_256": dict(image_shape=(256, 256, 3)),
    # Fashion-MNIST padded by 2 pixels to 32x32 (the networks double a 4x4 constant;
    # pad with -1, the background: `tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]],
    # constant_values=-1.0)`), with CPU-sized widths. Not trained here yet.
    "fashion_mnist_32": dict(image_shape=(32, 32, 1), latent_dim=256, w_dim=256,
                             base_filters=2048, max_filters=256),
}


def _tag(res):
    return f"{2 ** res}x{2 ** res}"


def stylegan_synthesis(image_shape, w_dim=512, base_filters=8192, max_filters=512,
                       blur_kernel=BLUR_KERNEL):
    """StyleGAN's synthesis network (official `G_synthesis`, `structure="fixed"`).

    Inputs `[ws, noise_0, ..., noise_{L-1}]`: ws (B, L, w_dim) with L = 2 log2(side) - 2,
    and one (B or 1, s, s, 1) noise image per layer (s = 4, 4, 8, 8, ...). Output:
    (B, side, side, channels) float32, linear.

    Args:
        image_shape: (side, side, channels), side a power of two >= 8.
        w_dim: size of w.
        base_filters, max_filters: fmap_base (8192) and fmap_max (512); the layers at
            resolution 2**r have `feature_maps(r - 1)` channels.
        blur_kernel: the low-pass filter after each up-sampling convolution.
    """
    r_max = resolution_log2(image_shape)

    def nf(stage):
        return feature_maps(stage, base_filters, max_filters)

    num_ws = 2 * r_max - 2
    ws = keras.Input((num_ws, w_dim), name="ws")
    noise = noise_inputs([2 ** (layer // 2 + 2) for layer in range(num_ws)])

    def epilogue(x, layer, name, dtype=None):
        # The official order: noise, bias (in the convolution or a ChannelBias: adding
        # it before the noise is the same function), LeakyReLU, instance norm + style.
        x = NoiseInjection(per_channel=True, dtype=dtype, name=f"{name}_noise")(
            x, noise=noise[layer])
        x = keras.layers.LeakyReLU(0.2, dtype=dtype, name=f"{name}_lrelu")(x)
        style = SelectStyle(layer, dtype=dtype, name=f"{name}_w")(ws)
        return AdaIN(dtype=dtype, name=f"{name}_adain")([x, style])

    # The constant's layer computes in float32 under any policy: its instance norm
    # starts at zero variance (a constant plus zero-strength noise), where the input
    # gradient is 1/sqrt(epsilon) = 1e4 times the output's; in float16 that overflows
    # whatever the loss scale, and no generator step would ever apply.
    x = ConstantInput(nf(1), 4, dtype="float32", name="const_4x4")(ws)
    x = epilogue(x, 0, "const_4x4", dtype="float32")
    x = epilogue(EqualizedConv2D(nf(1), 3, name="conv_4x4")(x), 1, "conv_4x4")
    for res in range(3, r_max + 1):
        tag = _tag(res)
        x = keras.layers.UpSampling2D(2, name=f"upsample_{tag}")(x)
        x = EqualizedConv2D(nf(res - 1), 3, use_bias=False, name=f"conv0_up_{tag}")(x)
        x = Blur2D(blur_kernel, name=f"blur_{tag}")(x)
        x = ChannelBias(name=f"conv0_up_{tag}_bias")(x)  # after the blur, as the official
        x = epilogue(x, 2 * res - 4, f"conv0_up_{tag}")
        x = epilogue(EqualizedConv2D(nf(res - 1), 3, name=f"conv1_{tag}")(x), 2 * res - 3,
                     f"conv1_{tag}")
    images = EqualizedConv2D(image_shape[-1], 1, gain=1.0, dtype="float32",
                             name="to_rgb")(x)
    return keras.Model([ws, *noise], images, name="synthesis")


def stylegan_discriminator(image_shape, base_filters=8192, max_filters=512,
                           mbstd_group_size=4, blur_kernel=BLUR_KERNEL):
    """StyleGAN's discriminator (official `D_basic`, `structure="fixed"`): ProGAN's with
    the blur before each down-sampling convolution. No residual connections.

    Output: float32 logits (B, 1), linear.

    Args:
        image_shape: (side, side, channels), side a power of two >= 8.
        base_filters, max_filters: fmap_base / fmap_max, as for the generator.
        mbstd_group_size: group size of the minibatch-stddev layer (4); 0 disables it.
            Groups are consecutive examples (`MinibatchStdDev(grouping="consecutive")`).
        blur_kernel: the low-pass filter before each down-sampling convolution.
    """
    r_max = resolution_log2(image_shape)

    def nf(stage):
        return feature_maps(stage, base_filters, max_filters)

    def lrelu(name):
        return keras.layers.LeakyReLU(0.2, name=f"{name}_lrelu")

    images = keras.Input(tuple(image_shape), name="images")
    x = lrelu("from_rgb")(EqualizedConv2D(nf(r_max - 1), 1, name="from_rgb")(images))
    for res in range(r_max, 2, -1):
        tag = _tag(res)
        x = lrelu(f"conv0_{tag}")(EqualizedConv2D(nf(res - 1), 3, name=f"conv0_{tag}")(x))
        x = Blur2D(blur_kernel, name=f"blur_{tag}")(x)
        x = EqualizedConv2D(nf(res - 2), 3, name=f"conv1_down_{tag}")(x)
        # conv -> 2x2 average -> bias -> act (the official order; the bias commutes).
        x = keras.layers.AveragePooling2D(2, name=f"downsample_{tag}")(x)
        x = lrelu(f"conv1_down_{tag}")(x)
    if mbstd_group_size:
        x = MinibatchStdDev(mbstd_group_size, grouping="consecutive",
                            name="minibatch_stddev_4x4")(x)
    x = lrelu("conv_4x4")(EqualizedConv2D(nf(1), 3, name="conv_4x4")(x))
    x = keras.layers.Flatten(name="flatten_4x4")(x)
    x = lrelu("dense_4x4")(EqualizedDense(nf(0), name="dense_4x4")(x))
    logits = EqualizedDense(1, gain=1.0, dtype="float32", name="logit")(x)
    return keras.Model(images, logits, name="discriminator")


@register_model(
    "stylegan",
    tiny=dict(image_shape=(16, 16, 1), latent_dim=8, w_dim=8, mapping_layers=2,
              base_filters=32, max_filters=8),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class StyleGAN(StyleBasedGAN):
    """StyleGAN: mapping network, AdaIN synthesis from a constant with noise inputs,
    style mixing, truncation trick; non-saturating loss with R1.

    Args:
        latent_dim: size of z (512).
        image_shape: (side, side, channels), side a power of two >= 8, 1 or 3
            channels (1024x1024x3 for FFHQ; (32, 32, 1) for Fashion-MNIST padded by 2
            pixels, see `CONFIGS`).
        w_dim: size of w (512).
        mapping_layers: dense layers of the mapping network (8).
        base_filters: fmap_base, the official `nf(stage) = min(base_filters / 2**stage,
            max_filters)` (8192): the layers at resolution 2**r have `nf(r - 1)` maps.
        max_filters: fmap_max (512).
        mbstd_group_size: group size of the discriminator's minibatch-stddev layer
            (4); 0 disables it. The batch of each discriminator update (per replica)
            must be a multiple of it or smaller.
        **kwargs: `StyleBasedGAN` arguments (`mapping_width`, `mapping_lr_multiplier`
            0.01, `style_mixing_prob` 0.9, `w_avg_beta` 0.995) and `AdversarialModel`
            ones (`seed`, `d_steps`, `diff_augment`, `pl_weight`, ...). Defaults
            here: `r1_gamma=10`, `r1_every=1` (the paper's non-lazy R1) and, without
            `ema_beta` / `ema_half_life_images`, the official generator EMA
            `ema_half_life_images=10_000` (`ema_half_life_images=None` turns it off).

    Example:
        >>> model = keras_gan_zoo.create_model("stylegan", image_shape=(32, 32, 1),
        ...                                    latent_dim=256, w_dim=256,
        ...                                    base_filters=2048, max_filters=256)
        >>> model.compile()          # Adam(1e-3, beta_1=0, beta_2=0.99, epsilon=1e-8)
        >>> model.fit(padded_fashion_mnist, epochs=10)
        >>> images = model.generate(16, seed=0, psi=0.7)        # truncation trick
        >>> ws = model.map(model.random_latents(4, seed=1))     # W space
        >>> images = model.synthesize(ws)

    Reference:
        Karras, Laine & Aila, A Style-Based Generator Architecture for Generative
        Adversarial Networks, arXiv:1812.04948 (CVPR 2019); the official TensorFlow
        code, github.com/NVlabs/stylegan.
    """

    def __init__(self, latent_dim=512, image_shape=(1024, 1024, 3), w_dim=512,
                 mapping_layers=8, base_filters=8192, max_filters=512, mbstd_group_size=4,
                 **kwargs):
        image_shape = tuple(image_shape)
        check_feature_maps(image_shape, base_filters, max_filters, "StyleGAN", channels=(1, 3))
        if (isinstance(mbstd_group_size, bool)
                or not isinstance(mbstd_group_size, numbers.Integral) or mbstd_group_size < 0):
            raise ValueError(f"mbstd_group_size must be an int >= 0 (4 in the paper; 0 = no "
                             f"minibatch-stddev layer); got {mbstd_group_size!r}.")
        if kwargs.get("ema_beta") is None and "ema_half_life_images" not in kwargs:
            kwargs["ema_half_life_images"] = 10_000  # the official G_smoothing_kimg = 10
        kwargs.setdefault("r1_gamma", 10.0)
        kwargs.setdefault("r1_every", 1)
        super().__init__(
            synthesis=stylegan_synthesis(image_shape, w_dim, base_filters, max_filters),
            discriminator=stylegan_discriminator(image_shape, base_filters, max_filters,
                                                 mbstd_group_size),
            latent_dim=latent_dim, w_dim=w_dim, mapping_layers=mapping_layers, **kwargs)
        self.base_filters = int(base_filters)
        self.max_filters = int(max_filters)
        self.mbstd_group_size = int(mbstd_group_size)

    def default_optimizers(self):
        return {arg: keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
                for arg in ("generator_optimizer", "discriminator_optimizer")}

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "max_filters": self.max_filters,
            "mbstd_group_size": self.mbstd_group_size,
        }
