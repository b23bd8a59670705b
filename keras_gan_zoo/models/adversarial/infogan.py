"""InfoGAN: interpretable codes by maximising mutual information (Chen et al. 2016).

The generator's input is split into incompressible noise z and latent codes c
(categorical codes, one-hot, and continuous codes, U(-1, 1)). A head Q on the
discriminator's trunk predicts the codes back from an image, and both G and Q
minimise the variational bound of the paper (section 5):

    L_I(G, Q) = E[log Q(c | G(z, c))] + H(c)   <=   I(c; G(z, c))
    D:     min  L_D(real, fake) - lambda L_I      (D and Q share the trunk)
    G:     min  L_G(fake)       - lambda L_I

Here the term added to both losses, reported as `info`, is
`categorical_weight * CE + continuous_weight * NLL`: the cross-entropy of Q's
categorical logits against the code that generated the image, plus the factored
Gaussian negative log-likelihood of the continuous codes under Q's means
(0.5 (c - mu)^2 per code with the unit standard deviation of the official code's
MNIST setting, or with a learned log-std under `learn_continuous_std=True`), without
the constants H(c) and log sqrt(2 pi): `info` = -lambda L_I + const.

How the discriminator side sees the codes: the base's `train_step` passes the
latents the fake batch was generated from (sampled by `sample_latent` or fixed by a
`"latents"` batch key) to `discriminator_objective(..., latents=)`, as it passes
them to `generator_objective`.

Paper settings (MNIST, Table 1 of the appendix), used as defaults: 62 noise
variables U(-1, 1), one 10-way categorical code, two continuous codes U(-1, 1);
G: FC 1024 BN ReLU, FC 7x7x128 BN ReLU, 4x4 stride-2 deconv 64 BN ReLU, 4x4
stride-2 deconv to the image; D: 4x4 stride-2 conv 64 lReLU, 4x4 stride-2 conv 128
BN lReLU, FC 1024 BN lReLU, then a logit; Q: FC 128 BN lReLU on the same trunk, then
the codes' parameters. Leaky rate 0.1, Adam(1e-3) for G and Adam(2e-4) for D with
beta_1 = 0.5 (the released code), lambda = 1 for both kinds of code.

Differences, on purpose: tanh output and images in [-1, 1]; batch norm synchronized
across replicas (plain batch norm on one device); Keras' default weight initialisers
(Glorot, as the released code's prettytensor defaults).
"""

import math
from collections.abc import Mapping

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.blocks import dcgan_batch_norm
from keras_gan_zoo.registry import register_model

CODE_KINDS = ("categorical", "continuous")


def _check_image_shape(image_shape):
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3
            or not all(isinstance(d, int) and d > 0 for d in image_shape)):
        raise ValueError(
            f"image_shape must be (height, width, channels) positive ints; got {image_shape!r}.")
    height, width, _ = image_shape
    if height % 4 or width % 4:
        raise ValueError(
            f"InfoGAN's networks halve the image twice: height and width must be multiples "
            f"of 4 (e.g. 28, 32); got {height}x{width}.")
    return tuple(image_shape)


def infogan_generator(latent_dim, image_shape, base_filters=64, hidden_units=1024):
    """G: FC hidden BN ReLU, FC (H/4 x W/4 x 2 ngf) BN ReLU, two stride-2 deconvolutions.

    Args:
        latent_dim: size of the whole input (noise + one-hot codes + continuous codes).
        image_shape: (height, width, channels), sides multiples of 4.
        base_filters: ngf (64 in the paper: 128 channels at 7x7, 64 at 14x14).
        hidden_units: width of the first dense layer (1024).
    """
    height, width, channels = _check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(hidden_units, use_bias=False, name="fc")(z)
    x = keras.layers.ReLU()(dcgan_batch_norm("fc_bn")(x))
    x = keras.layers.Dense((height // 4) * (width // 4) * 2 * base_filters, use_bias=False,
                           name="project")(x)
    x = keras.layers.ReLU()(dcgan_batch_norm("project_bn")(x))
    x = keras.layers.Reshape((height // 4, width // 4, 2 * base_filters))(x)
    x = keras.layers.Conv2DTranspose(base_filters, 4, 2, padding="same", use_bias=False,
                                     name="up1")(x)
    x = keras.layers.ReLU()(dcgan_batch_norm("up1_bn")(x))
    x = keras.layers.Conv2DTranspose(channels, 4, 2, padding="same", name="to_image")(x)
    images = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(z, images, name="generator")


def infogan_discriminator(image_shape, categorical_codes=(10,), continuous_codes=2,
                          base_filters=64, hidden_units=1024, q_units=128,
                          learn_continuous_std=False):
    """D and Q: one trunk, a real/fake logit and the Q head's code parameters.

    Returns:
        A `keras.Model` mapping images to a dict of float32 outputs: `"logit"` (B, 1);
        `"q_categorical"` (B, sum(categorical_codes)) logits, the codes side by side;
        `"q_continuous_mean"` (B, continuous_codes); `"q_continuous_log_std"` too when
        `learn_continuous_std`. A head is absent when its kind of code is.
    """
    image_shape = _check_image_shape(image_shape)
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Conv2D(base_filters, 4, 2, padding="same", name="down0")(images)
    x = keras.layers.LeakyReLU(0.1)(x)
    x = keras.layers.Conv2D(2 * base_filters, 4, 2, padding="same", use_bias=False,
                            name="down1")(x)
    x = keras.layers.LeakyReLU(0.1)(dcgan_batch_norm("down1_bn")(x))
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(hidden_units, use_bias=False, name="fc")(x)
    trunk = keras.layers.LeakyReLU(0.1)(dcgan_batch_norm("fc_bn")(x))
    outputs = {"logit": keras.layers.Dense(1, dtype="float32", name="logit")(trunk)}
    q = keras.layers.Dense(q_units, use_bias=False, name="q_fc")(trunk)
    q = keras.layers.LeakyReLU(0.1)(dcgan_batch_norm("q_fc_bn")(q))
    if categorical_codes:
        outputs["q_categorical"] = keras.layers.Dense(
            sum(categorical_codes), dtype="float32", name="q_categorical")(q)
    if continuous_codes:
        outputs["q_continuous_mean"] = keras.layers.Dense(
            continuous_codes, dtype="float32", name="q_continuous_mean")(q)
        if learn_continuous_std:
            outputs["q_continuous_log_std"] = keras.layers.Dense(
                continuous_codes, dtype="float32", name="q_continuous_log_std")(q)
    return keras.Model(images, outputs, name="discriminator")


@register_model("infogan", tiny=dict(image_shape=(16, 16, 1), noise_dim=4, categorical_codes=[3],
                                     continuous_codes=1, base_filters=4, hidden_units=16,
                                     q_units=8))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class InfoGAN(AdversarialModel):
    """InfoGAN: a GAN whose latent codes a Q head must recover from the images.

    Unconditional: it trains on images alone and learns, e.g., the ten digits as the
    values of a 10-way categorical code. The latent vector is laid out as
    `[noise (noise_dim) | one-hot code 1 | ... | continuous codes]`.

    Args:
        noise_dim: incompressible noise variables (62), `latent_distribution`
            ("uniform": U(-1, 1) as in the paper, or "normal").
        categorical_codes: the number of categories of each categorical code ([10]).
        continuous_codes: number of continuous codes, each U(-1, 1) (2).
        image_shape: (height, width, channels), sides multiples of 4; (28, 28, 1).
        base_filters: ngf = ndf (64).
        hidden_units: the 1024-unit dense layer of G and D.
        q_units: the Q head's hidden layer (128).
        categorical_weight: lambda of the categorical term (1).
        continuous_weight: lambda of the continuous term (1, the paper's MNIST setting).
        learn_continuous_std: Q also predicts a log standard deviation per continuous
            code; by default it is fixed to 1 (the released code's MNIST setting).
        **kwargs: `AdversarialModel` arguments (`d_steps`, `seed`, `name`).

    Example:
        >>> model = kgz.create_model("infogan")
        >>> model.compile()                       # Adam(1e-3) for G, Adam(2e-4) for D
        >>> model.fit(kgz.datasets.load("mnist", batch_size=100), epochs=20)
        >>> same_code = model.generate(8, seed=0, codes={"categorical": 4})
        >>> grid = model.traversal("categorical", seed=0)          # 10 rows x 10 columns
        >>> tilt = model.traversal(("continuous", 0), np.linspace(-2, 2, 9),
        ...                        fixed={"categorical": 4})

    Reference:
        Chen et al., InfoGAN: Interpretable Representation Learning by Information
        Maximizing Generative Adversarial Nets, arXiv:1606.03657.
    """

    def __init__(self, noise_dim=62, categorical_codes=(10,), continuous_codes=2,
                 image_shape=(28, 28, 1), base_filters=64, hidden_units=1024, q_units=128,
                 categorical_weight=1.0, continuous_weight=1.0, learn_continuous_std=False,
                 latent_distribution="uniform", **kwargs):
        if kwargs.pop("num_classes", None) is not None:
            raise ValueError(
                "InfoGAN is unconditional (it learns classes without labels): pass "
                "categorical_codes=[k] instead of num_classes.")
        if not isinstance(noise_dim, int) or isinstance(noise_dim, bool) or noise_dim < 1:
            raise ValueError(f"noise_dim must be a positive int; got {noise_dim!r}.")
        if (not isinstance(categorical_codes, (list, tuple))
                or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 2
                           for k in categorical_codes)):
            raise ValueError(
                f"categorical_codes must be a list of ints >= 2 (categories per code); "
                f"got {categorical_codes!r}.")
        if (not isinstance(continuous_codes, int) or isinstance(continuous_codes, bool)
                or continuous_codes < 0):
            raise ValueError(f"continuous_codes must be an int >= 0; got {continuous_codes!r}.")
        if not categorical_codes and not continuous_codes:
            raise ValueError("InfoGAN needs at least one categorical or continuous code.")
        for name, weight in (("categorical_weight", categorical_weight),
                             ("continuous_weight", continuous_weight)):
            if not float(weight) >= 0.0:
                raise ValueError(f"{name} must be >= 0; got {weight!r}.")
        categorical_codes = [int(k) for k in categorical_codes]
        latent_dim = noise_dim + sum(categorical_codes) + continuous_codes
        given = kwargs.pop("latent_dim", None)
        if given is not None and given != latent_dim:
            raise ValueError(
                f"InfoGAN's latent_dim is noise_dim + sum(categorical_codes) + "
                f"continuous_codes = {latent_dim}; got latent_dim={given!r}. Set noise_dim.")
        image_shape = _check_image_shape(tuple(image_shape))
        super().__init__(
            generator=infogan_generator(latent_dim, image_shape, base_filters, hidden_units),
            discriminator=infogan_discriminator(image_shape, categorical_codes,
                                                continuous_codes, base_filters, hidden_units,
                                                q_units, learn_continuous_std),
            latent_dim=latent_dim,
            latent_distribution=latent_distribution,
            **kwargs,
        )
        self.noise_dim = noise_dim
        self.categorical_codes = categorical_codes
        self.continuous_codes = continuous_codes
        self.base_filters = base_filters
        self.hidden_units = hidden_units
        self.q_units = q_units
        self.categorical_weight = float(categorical_weight)
        self.continuous_weight = float(continuous_weight)
        self.learn_continuous_std = bool(learn_continuous_std)
        # Column of each one-hot code, and of the first continuous code, in the latents.
        starts = np.cumsum([noise_dim, *categorical_codes])
        self._categorical_starts = [int(s) for s in starts[:-1]]
        self._continuous_start = int(starts[-1])
        self.add_tracker("info")

    # ------------------------------------------------------------ latents
    def sample_latent(self, batch_size, draw=0):
        """Training latents: noise, one-hot categorical codes, U(-1, 1) continuous codes.

        Everything comes from the base's stateless draw (seeded by the model's seed,
        the replica, the draw and the step counter, so resume and per-replica
        streams are the base's): its first `noise_dim` columns are the noise; the
        next ones are mapped to U(0, 1) variables u (by the normal CDF for a normal
        draw), giving category floor(k u) and continuous value 2u - 1.
        """
        base = super().sample_latent(batch_size, draw)
        extra = base[:, self.noise_dim:]
        if self.latent_distribution == "uniform":
            u = (extra + 1.0) / 2.0
        else:
            u = 0.5 * (1.0 + tf.math.erf(extra / math.sqrt(2.0)))
        parts = [base[:, :self.noise_dim]]
        for j, k in enumerate(self.categorical_codes):
            index = tf.clip_by_value(tf.cast(tf.floor(u[:, j] * k), "int32"), 0, k - 1)
            parts.append(tf.one_hot(index, k, dtype=base.dtype))
        m = len(self.categorical_codes)
        parts.append(2.0 * u[:, m:m + self.continuous_codes] - 1.0)
        return tf.concat(parts, axis=1)

    def random_latents(self, n, seed=None):
        """`n` latents from the prior (noise, one-hot categorical codes, uniform
        continuous codes) as a float32 numpy array, the ones `generate` uses."""
        rng = np.random.default_rng(seed)
        if self.latent_distribution == "uniform":
            noise = rng.uniform(-1.0, 1.0, (n, self.noise_dim))
        else:
            noise = rng.standard_normal((n, self.noise_dim))
        latents = np.zeros((n, self.latent_dim), "float32")
        latents[:, :self.noise_dim] = noise
        for start, k in zip(self._categorical_starts, self.categorical_codes):
            latents[np.arange(n), start + rng.integers(0, k, n)] = 1.0
        latents[:, self._continuous_start:] = rng.uniform(-1.0, 1.0, (n, self.continuous_codes))
        return latents

    def split_latents(self, latents):
        """`{"noise": (n, noise_dim), "categorical": [(n, k) one-hot, ...],
        "continuous": (n, continuous_codes)}` views of latents (numpy or tensor)."""
        return {
            "noise": latents[:, :self.noise_dim],
            "categorical": [latents[:, s:s + k]
                            for s, k in zip(self._categorical_starts, self.categorical_codes)],
            "continuous": latents[:, self._continuous_start:],
        }

    # ---------------------------------------------------------- training
    def discriminator_loss(self, real_logits, fake_logits):
        return losses.nonsaturating_d_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    def default_optimizers(self):
        """Adam(1e-3, beta_1=0.5) for G and Adam(2e-4, beta_1=0.5) for D and Q."""
        return {"generator_optimizer": keras.optimizers.Adam(1e-3, beta_1=0.5),
                "discriminator_optimizer": keras.optimizers.Adam(2e-4, beta_1=0.5)}

    def info_loss(self, outputs, latents):
        """`categorical_weight * CE + continuous_weight * NLL` of the codes in `latents`
        under the Q head's `outputs` (a float32 per-replica mean; -lambda L_I + const).

        The category of each code is the argmax of its one-hot slice.
        """
        latents = tf.cast(latents, "float32")
        parts = self.split_latents(latents)
        total = tf.constant(0.0)
        if self.categorical_codes:
            logits = tf.cast(outputs["q_categorical"], "float32")
            offset = 0
            for one_hot, k in zip(parts["categorical"], self.categorical_codes):
                total += self.categorical_weight * tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(
                        labels=tf.argmax(one_hot, axis=1, output_type="int32"),
                        logits=logits[:, offset:offset + k]))
                offset += k
        if self.continuous_codes:
            error = parts["continuous"] - tf.cast(outputs["q_continuous_mean"], "float32")
            if self.learn_continuous_std:
                log_std = tf.cast(outputs["q_continuous_log_std"], "float32")
                nll = 0.5 * tf.square(error * tf.exp(-log_std)) + log_std
            else:
                nll = 0.5 * tf.square(error)
            total += self.continuous_weight * tf.reduce_mean(tf.reduce_sum(nll, axis=1))
        return total

    def discriminator_objective(self, real_images, fake_images, labels, latents=None):
        """Adversarial loss of D, plus `info`: Q's loss on the fake batch's codes."""
        if latents is None:
            raise ValueError("InfoGAN.discriminator_objective needs the latents the fake "
                             "images were generated from (latents=).")
        real = self.call_discriminator(real_images, training=True)
        fake = self.call_discriminator(fake_images, training=True)
        loss = self.discriminator_loss(real["logit"], fake["logit"])
        return loss, {"info": self.info_loss(fake, latents),
                      **self.discriminator_penalties(real_images, fake_images)}

    def generator_objective(self, fake_images, latents, labels, real_images=None):
        """Non-saturating loss of G (or feature matching), plus `info` on the codes it
        was given."""
        fake = self.call_discriminator(fake_images, training=True)
        loss = self.generator_adversarial_loss(fake_images, labels, real_images,
                                               fake_logits=fake["logit"])
        return loss, {"info": self.info_loss(fake, latents)}

    # ------------------------------------------------------------ codes
    def _code_count(self, kind):
        return len(self.categorical_codes) if kind == "categorical" else self.continuous_codes

    def _code_values(self, kind, value, n):
        """Validates one kind of code for n samples; returns an (n, count) array."""
        count = self._code_count(kind)
        if count == 0:
            raise ValueError(f"This InfoGAN has no {kind} codes; got codes[{kind!r}].")
        array = np.asarray(value)
        if kind == "categorical":
            if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
                raise ValueError(
                    f"codes['categorical'] must be ints (category indices); got dtype "
                    f"{array.dtype}.")
        elif array.dtype == bool or not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"codes['continuous'] must be numbers; got dtype {array.dtype}.")
        if array.ndim == 0:
            array = np.full((n, count), array)
        elif array.shape == (n,) and count == 1:
            array = array[:, None]
        elif array.shape == (count,) and count > 1:
            array = np.broadcast_to(array, (n, count))
        if array.shape != (n, count):
            shapes = ["a scalar (same for all samples)"]
            shapes += [f"({n},)"] if count == 1 else [f"({count},)"]
            shapes += [f"({n}, {count})"]
            raise ValueError(
                f"codes[{kind!r}] for {n} samples and {count} {kind} code(s) must be "
                f"{', '.join(shapes)}; got shape {np.shape(value)}.")
        if kind == "categorical":
            for j, k in enumerate(self.categorical_codes):
                if array[:, j].min() < 0 or array[:, j].max() >= k:
                    raise ValueError(
                        f"categorical code {j} takes values in [0, {k}); got values in "
                        f"[{array[:, j].min()}, {array[:, j].max()}].")
            return array.astype("int64")
        if not np.all(np.isfinite(array)):
            raise ValueError("codes['continuous'] must be finite.")
        return array.astype("float32")

    def with_codes(self, latents, codes):
        """A copy of `latents` (n, latent_dim) with the codes in `codes` set.

        Args:
            latents: numpy array (n, latent_dim).
            codes: dict with `"categorical"` (an int for all samples, (n,) ints for
                one categorical code, (n, m) for m codes) and/or `"continuous"`
                (a number, (continuous_codes,) for all samples, or (n,
                continuous_codes); values outside [-1, 1] extrapolate). Codes not
                given keep their values.
        """
        if not isinstance(codes, Mapping):
            raise ValueError(
                f"codes must be a dict with keys {CODE_KINDS}; got {type(codes).__name__}.")
        unknown = sorted(set(codes) - set(CODE_KINDS))
        if unknown:
            raise ValueError(f"Unknown code kind(s) {unknown}; codes take keys {CODE_KINDS}.")
        latents = np.array(latents, dtype="float32")
        n = latents.shape[0]
        if "categorical" in codes:
            values = self._code_values("categorical", codes["categorical"], n)
            for j, (start, k) in enumerate(zip(self._categorical_starts, self.categorical_codes)):
                latents[:, start:start + k] = np.eye(k, dtype="float32")[values[:, j]]
        if "continuous" in codes:
            latents[:, self._continuous_start:] = self._code_values(
                "continuous", codes["continuous"], n)
        return latents

    def generate(self, n, seed=None, codes=None, latents=None, labels=None, batch_size=256,
                 use_ema=True):
        """Samples `n` images in [-1, 1]; `codes` sets some codes, the rest is drawn.

        Args:
            n: number of images.
            seed: seed of the noise and of the codes not given.
            codes: `{"categorical": ..., "continuous": ...}` (see `with_codes`).
            latents: explicit latents (n, latent_dim) instead of a seed (codes, if
                given, are set in them).
            labels: not accepted (InfoGAN is unconditional).
            batch_size: images per generator call.
            use_ema: with a generator EMA, sample from the EMA weights (default) or,
                with False, from the trained generator.

        Example:
            >>> sevens_maybe = model.generate(10, seed=0, codes={"categorical": 7})
            >>> model.generate(3, seed=0, codes={"categorical": [0, 1, 2],
            ...                                  "continuous": [[-1, 0], [0, 0], [1, 0]]})
        """
        if codes is not None:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"n must be a positive int; got {n!r}.")
            latents = self.with_codes(self._latents_for(n, latents, seed), codes)
        return super().generate(n, seed=seed, latents=latents, labels=labels,
                                batch_size=batch_size, use_ema=use_ema)

    def _parse_code(self, code):
        kind = index = None
        if isinstance(code, str):
            kind, index = code, 0
        elif isinstance(code, (tuple, list)) and len(code) == 2:
            kind, index = code
        if (kind not in CODE_KINDS or isinstance(index, bool)
                or not isinstance(index, (int, np.integer))):
            raise ValueError(
                f"code must be 'categorical', 'continuous' or (kind, index) such as "
                f"('continuous', 1); got {code!r}.")
        count = self._code_count(kind)
        if not 0 <= index < count:
            raise ValueError(f"This InfoGAN has {count} {kind} code(s); got index {index}.")
        return kind, int(index)

    def traversal(self, code, values=None, seed=0, fixed=None, num_columns=10, batch_size=256):
        """Images that vary one code along the rows and hold everything else.

        Row r sets the code to `values[r]`; column j uses the j-th draw (from `seed`)
        of the noise and of the other codes, the same in every row, so a column shows
        what the code alone changes.

        Args:
            code: `"categorical"`, `"continuous"` (code 0 of that kind) or
                `(kind, index)`.
            values: the rows: categories (default: all of them) or continuous values
                (default: 10 from -1 to 1; the paper extrapolates to [-2, 2]).
            seed: seed of the columns' noise and codes.
            fixed: codes held at given values in every image, as in `generate`'s
                `codes` (e.g. `{"categorical": 7}` while traversing a continuous code).
            num_columns: images per row.

        Returns:
            float32 images (len(values) * num_columns, H, W, C), row after row:
            `kgz.utils.save_grid(images, path, nrow=num_columns)` draws the grid.

        Example:
            >>> rows = model.traversal("categorical", seed=0)                 # 10 x 10
            >>> rows = model.traversal(("continuous", 1), np.linspace(-2, 2, 9),
            ...                        fixed={"categorical": 3})
        """
        kind, index = self._parse_code(code)
        if isinstance(num_columns, bool) or not isinstance(num_columns, (int, np.integer)) \
                or num_columns < 1:
            raise ValueError(f"num_columns must be a positive int; got {num_columns!r}.")
        if values is None:
            values = (np.arange(self.categorical_codes[index]) if kind == "categorical"
                      else np.linspace(-1.0, 1.0, 10))
        values = np.asarray(values)
        if values.ndim != 1 or values.size == 0 or values.dtype == bool:
            raise ValueError(
                f"values must be a non-empty 1-D sequence of numbers; got {values.dtype} of "
                f"shape {values.shape}.")
        latents = self.random_latents(int(num_columns), seed)
        if fixed is not None:
            if isinstance(fixed, Mapping) and kind in fixed and self._code_count(kind) == 1:
                raise ValueError(
                    f"fixed sets the {kind} code that the traversal varies; leave it out.")
            latents = self.with_codes(latents, fixed)
        current = self.split_latents(latents)
        if kind == "categorical":
            held = np.stack([c.argmax(1) for c in current["categorical"]], axis=1)
        else:
            held = current["continuous"].copy()
        rows = []
        for value in values:
            # Ints stay ints for a categorical code (with_codes checks type and range).
            row = np.where(np.arange(held.shape[1]) == index, value, held)
            rows.append(self.with_codes(latents, {kind: row}))
        return self.generate(len(values) * int(num_columns), latents=np.concatenate(rows),
                             batch_size=batch_size)

    def predict_codes(self, images, batch_size=256):
        """The Q head's codes of images in [-1, 1].

        Returns:
            `{"categorical": ints (n,) for one code or (n, m), "continuous": Q's means
            (n, continuous_codes)}` (keys only for the kinds of code the model has).

        Example:
            >>> clusters = model.predict_codes(x_test)["categorical"]   # unsupervised
        """
        images = np.asarray(keras.ops.convert_to_numpy(images))
        self._check_images(images, "predict_codes")
        categorical, continuous = [], []
        for i in range(0, len(images), batch_size):
            out = self.call_discriminator(images[i:i + batch_size], training=False)
            if self.categorical_codes:
                logits = np.asarray(out["q_categorical"], "float32")
                offsets = np.cumsum([0, *self.categorical_codes])
                categorical.append(np.stack([logits[:, a:b].argmax(1)
                                             for a, b in zip(offsets[:-1], offsets[1:])], 1))
            if self.continuous_codes:
                continuous.append(np.asarray(out["q_continuous_mean"], "float32"))
        result = {}
        if categorical:
            result["categorical"] = np.concatenate(categorical)
            if len(self.categorical_codes) == 1:
                result["categorical"] = result["categorical"][:, 0]
        if continuous:
            result["continuous"] = np.concatenate(continuous)
        return result

    def get_config(self):
        config = super().get_config()
        del config["latent_dim"], config["num_classes"]  # derived / always None
        return {
            **config,
            "noise_dim": self.noise_dim,
            "categorical_codes": list(self.categorical_codes),
            "continuous_codes": self.continuous_codes,
            "image_shape": list(self.image_shape),
            "base_filters": self.base_filters,
            "hidden_units": self.hidden_units,
            "q_units": self.q_units,
            "categorical_weight": self.categorical_weight,
            "continuous_weight": self.continuous_weight,
            "learn_continuous_std": self.learn_continuous_std,
        }
