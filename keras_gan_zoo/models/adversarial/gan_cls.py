"""GAN-CLS with GAN-INT: text-to-image GAN (Reed et al. 2016).

The generator draws an image from noise z and a caption; the discriminator judges
(image, caption) pairs and is "matching-aware": besides real images with their own
caption (real) and generated images with the caption they were drawn for (fake), it
sees real images with a wrong caption, also to be called fake (the CLS term, the
paper's algorithm 1):

    L_D = bce(D(x, h), 1) + 0.5 * (bce(D(x, h_wrong), 0) + bce(D(G(z, h), h), 0))
    L_G = bce(D(G(z, h), h), 1) + bce(D(G(z, h_int), h_int), 1)       (INT term)
    h_int = beta * h + (1 - beta) * h_other,  beta = 0.5

with h = phi(t) the caption's embedding. The INT term trains the generator on
interpolations between the embeddings of two captions of the batch, which fills the
text manifold between training captions; the discriminator never sees them.

Text encoder (docs/models/gan_cls.md says why): the caption is lower-cased and split
on whitespace, its words looked up by a `keras.layers.StringLookup` over the model's
vocabulary (`caption_vocabulary()` by default), embedded and read by a one-layer GRU
whose last state is projected to `text_dim`. The encoder is trained jointly with the
discriminator, by the discriminator's optimizer and loss: the wrong-caption term
teaches it to tell captions apart. The generator sees its embeddings with a stopped
gradient. An unknown word is an error, never mapped to an out-of-vocabulary token.

Wrong captions and INT partners: example i of a (global) batch is paired with the
next example (i + 1, i + 2, ..., cyclically) whose caption is a different word
sequence; an example whose batch holds only its own caption has no wrong caption and
its CLS term is 0 (`mismatch_partners`). Under `tf.distribute` the token ids are
gathered over the replicas, so the pairs are those of one device.

Networks: DCGAN's (Radford et al.), conditioned as in the paper: the generator sees
`concat(z, LeakyReLU(Dense(projection_dim)(h)))`; the discriminator's last feature
map gets the projected embedding replicated over its positions, then a 1x1
convolution, batch norm, LeakyReLU and one logit.

Differences from the paper, on purpose:
- a word-level GRU trained with the discriminator instead of the char-CNN-RNN
  pre-trained with the structured joint embedding loss (no pre-training stage;
  template captions have a small closed vocabulary);
- wrong captions are other captions of the batch (the paper draws them from the
  data); the generator's INT fakes reuse the latents of its CLS fakes.

Example:
    >>> model = kgz.create_model("gan_cls", image_shape=(28, 28, 1))
    >>> model.compile()
    >>> model.fit(kgz.datasets.load("fashion_mnist_captions", batch_size=64), epochs=20)
    >>> boots = model.generate(8, seed=0, captions="a large dark tall ankle boot")
    >>> mixed = model.generate(2, seed=0, captions=["sandal", "a light bag with a handle"])

Reference:
    Reed et al., Generative Adversarial Text to Image Synthesis, arXiv:1605.05396.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import losses
from keras_gan_zoo.datasets.captions import caption_vocabulary, check_caption
from keras_gan_zoo.models.adversarial.base import AdversarialModel
from keras_gan_zoo.models.blocks import dcgan_batch_norm, dcgan_init, square_image_stages
from keras_gan_zoo.models.adversarial.dcgan import dcgan_down_stages, dcgan_generator
from keras_gan_zoo.models.replicas import all_reduce_sum, global_rows, num_replicas
from keras_gan_zoo.registry import register_model

#: weight of each of the discriminator's two "fake" terms (wrong caption, generated
#: image), as in the paper's algorithm 1.
CLS_FAKE_WEIGHT = 0.5
#: token ids: 0 pads a caption to `max_words`, 1 is the lookup's out-of-vocabulary
#: id (never fed to the networks: unknown words are errors), words start at 2.
PAD_ID, OOV_ID, FIRST_WORD_ID = 0, 1, 2
# DiffAugment draw of the INT fakes (after the base's draws 0 .. 2 * d_steps + 1).
_INT_AUGMENT_DRAW = 0x1000


def text_encoder(vocabulary_size, max_words, word_dim=64, units=128, text_dim=128):
    """Token ids (B, max_words) -> caption embeddings (B, text_dim), float32.

    Args:
        vocabulary_size: number of words (ids 2 .. vocabulary_size + 1; 0 pads).
        max_words: caption length in tokens, padded with 0.
        word_dim: size of the word embeddings.
        units: GRU units.
        text_dim: size of the caption embedding.
    """
    ids = keras.Input((max_words,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocabulary_size + FIRST_WORD_ID, word_dim, mask_zero=True,
                               name="word_embedding")(ids)
    x = keras.layers.GRU(units, name="gru")(x)
    embedding = keras.layers.Dense(text_dim, dtype="float32", name="text_embedding")(x)
    return keras.Model(ids, embedding, name="text_encoder")


def _text_projection(projection_dim, name):
    return keras.Sequential([keras.layers.Dense(projection_dim, kernel_initializer=dcgan_init()),
                             keras.layers.LeakyReLU(0.2)], name=name)


def gan_cls_generator(latent_dim, text_dim, image_shape, base_filters=64, projection_dim=128):
    """G(z, h): the DCGAN generator on `concat(z, LeakyReLU(Dense(h)))`."""
    z = keras.Input((latent_dim,), name="z")
    text = keras.Input((text_dim,), name="text_embedding")
    x = keras.layers.Concatenate(name="z_and_text")(
        [z, _text_projection(projection_dim, "text_projection")(text)])
    body = dcgan_generator(latent_dim + projection_dim, image_shape, base_filters)
    body = keras.Model(body.input, body.output, name="dcgan_generator")
    return keras.Model([z, text], body(x), name="generator")


def gan_cls_discriminator(image_shape, text_dim, base_filters=64, projection_dim=128):
    """D(x, h): DCGAN convolutions; the projected caption embedding replicated over the
    last feature map, a 1x1 convolution, batch norm, LeakyReLU, one float32 logit."""
    stages, base, _ = square_image_stages(image_shape, "GAN-CLS")
    images = keras.Input(tuple(image_shape), name="images")
    text = keras.Input((text_dim,), name="text_embedding")
    x = dcgan_down_stages(images, stages, base_filters)
    width = base_filters * 2 ** (stages - 1)
    projected = _text_projection(projection_dim, "text_projection")(text)
    planes = keras.layers.Reshape((1, 1, projection_dim))(projected)
    planes = keras.layers.UpSampling2D(base, name="replicate_text")(planes)
    x = keras.layers.Concatenate(name="image_and_text")([x, planes])
    x = keras.layers.Conv2D(width, 1, use_bias=False, kernel_initializer=dcgan_init(),
                            name="joint")(x)
    x = dcgan_batch_norm("joint_bn")(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Flatten()(x)  # + Dense: the paper's final base x base convolution
    logits = keras.layers.Dense(1, kernel_initializer=dcgan_init(), dtype="float32",
                                name="logit")(x)
    return keras.Model([images, text], logits, name="discriminator")


def mismatch_partners(ids):
    """For each caption of a batch, the next one (cyclically) that differs from it.

    Args:
        ids: int token ids (B, max_words) of the batch's captions.

    Returns:
        `(partner, valid)`, int32 and bool (B,): row i is paired with the first row
        `(i + k) % B`, k = 1 .. B - 1, whose ids differ from row i's; where every
        caption of the batch equals row i's, `partner[i] = i` and `valid[i]` is False.

    Example:
        >>> mismatch_partners(tf.constant([[2], [2], [3]]))[0].numpy()
        array([2, 2, 0], dtype=int32)
    """
    ids = tf.convert_to_tensor(ids)
    total = tf.shape(ids)[0]
    same = tf.reduce_all(tf.equal(ids[:, None, :], ids[None, :, :]), axis=-1)
    rows = tf.range(total)
    offsets = tf.math.floormod(rows[None, :] - rows[:, None], total)
    offsets = tf.where(same, total, offsets)
    valid = tf.reduce_min(offsets, axis=1) < total
    partner = tf.where(valid, tf.argmin(offsets, axis=1, output_type=tf.int32), rows)
    return partner, valid


def cls_discriminator_loss(real_right, real_wrong, fake_right, wrong_mask=None,
                           real_label=1.0):
    """The matching-aware discriminator loss of GAN-CLS (algorithm 1 of the paper).

    `bce(real_right, real_label) + 0.5 * (bce(real_wrong, 0) + bce(fake_right, 0))`,
    each a mean over the batch; `wrong_mask` (B,) zeroes the wrong-caption term of
    examples without a wrong caption (they still count in its mean).

    Args:
        real_right, real_wrong, fake_right: logits (B, 1) of the three pairs.
        wrong_mask: None or (B,) bool / float.
        real_label: target of real pairs (< 1: one-sided label smoothing).
    """
    def bce(logits, target):
        logits = tf.reshape(tf.cast(logits, "float32"), [-1])
        return tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.fill(tf.shape(logits), tf.cast(target, "float32")), logits=logits)

    wrong = bce(real_wrong, 0.0)
    if wrong_mask is not None:
        wrong = wrong * tf.cast(wrong_mask, "float32")
    return (tf.reduce_mean(bce(real_right, real_label))
            + CLS_FAKE_WEIGHT * (tf.reduce_mean(wrong) + tf.reduce_mean(bce(fake_right, 0.0))))


def _check_vocabulary(vocabulary):
    words = list(vocabulary)
    bad = [w for w in words if not isinstance(w, str) or not w or w != w.lower()
           or len(w.split()) != 1 or w == "[UNK]"]
    if bad or not words:
        raise ValueError("vocabulary must be a non-empty list of lower-case words without "
                         f"whitespace (e.g. caption_vocabulary()); got bad entries {bad[:5]!r}.")
    if len(set(words)) != len(words):
        duplicates = sorted({w for w in words if words.count(w) > 1})
        raise ValueError(f"vocabulary has duplicate words: {duplicates[:5]!r}.")
    return tuple(words)


@register_model(
    "gan_cls",
    tiny=dict(image_shape=(16, 16, 1), latent_dim=8, base_filters=4, word_dim=8,
              text_units=8, text_dim=8, projection_dim=4, max_words=8),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class GANCLS(AdversarialModel):
    """GAN-CLS with the GAN-INT term: a text-to-image GAN on (image, caption) pairs.

    Batches are `(images, captions)`: captions as str (`fit(x=images, y=captions)`,
    or a dataset of tf.string such as `kgz.datasets.load("fashion_mnist_captions")`).
    `fit` tokenizes them with the model's vocabulary; an unknown word is a ValueError
    naming it.

    Args:
        latent_dim: size of z (100).
        image_shape: (side, side, channels), a size DCGAN supports (16, 28, 32, 64, ...).
        vocabulary: the words captions may use (lower case, no whitespace); None:
            `kgz.datasets.caption_vocabulary()` (Fashion-MNIST captions). For your own
            captions pass `caption_folder(...).vocabulary`.
        max_words: longest caption in words (16).
        word_dim: word embedding size (64).
        text_units: GRU units of the text encoder (128).
        text_dim: caption embedding size (128).
        projection_dim: size the embedding is projected to in both networks (128, as
            in the paper).
        base_filters: ngf = ndf of the DCGAN networks (64).
        int_weight: weight of the GAN-INT generator term (1; 0 trains GAN-CLS alone).
        int_beta: interpolation weight beta of the INT term (0.5, as in the paper).
        **kwargs: `AdversarialModel` arguments (`d_steps`, `seed`, `label_smoothing`, ...).

    Example:
        >>> model = kgz.create_model("gan_cls", image_shape=(28, 28, 1))
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("fashion_mnist_captions", batch_size=64), epochs=5)
        >>> images = model.generate(4, seed=0, captions="a small sandal")

    Reference:
        Reed et al., Generative Adversarial Text to Image Synthesis, arXiv:1605.05396.
    """

    #: the condition of each example is a caption (contract tests: captions, not labels)
    condition_kind = "text"
    supports_label_smoothing = True
    optimizer_networks = {"generator_optimizer": ("generator",),
                          "discriminator_optimizer": ("discriminator", "text_encoder")}

    def __init__(self, latent_dim=100, image_shape=(28, 28, 1), vocabulary=None, max_words=16,
                 word_dim=64, text_units=128, text_dim=128, projection_dim=128,
                 base_filters=64, int_weight=1.0, int_beta=0.5, **kwargs):
        image_shape = tuple(image_shape)
        if kwargs.get("num_classes") is not None:
            raise ValueError("GAN-CLS is conditioned on captions, not class labels; got "
                             f"num_classes={kwargs['num_classes']!r} (leave it None).")
        vocabulary = _check_vocabulary(caption_vocabulary() if vocabulary is None
                                       else vocabulary)
        for name, value in (("max_words", max_words), ("word_dim", word_dim),
                            ("text_units", text_units), ("text_dim", text_dim),
                            ("projection_dim", projection_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}.")
        if not isinstance(int_weight, (int, float)) or int_weight < 0:
            raise ValueError(f"int_weight must be a number >= 0; got {int_weight!r}.")
        if not isinstance(int_beta, (int, float)) or not 0.0 <= int_beta <= 1.0:
            raise ValueError(f"int_beta must be in [0, 1]; got {int_beta!r}.")
        square_image_stages(image_shape, "GAN-CLS")
        super().__init__(
            generator=gan_cls_generator(latent_dim, text_dim, image_shape, base_filters,
                                        projection_dim),
            discriminator=gan_cls_discriminator(image_shape, text_dim, base_filters,
                                                projection_dim),
            latent_dim=latent_dim,
            **kwargs,
        )
        self.vocabulary = vocabulary
        self._word_ids = {w: i + FIRST_WORD_ID for i, w in enumerate(vocabulary)}
        self.max_words = max_words
        self.word_dim = word_dim
        self.text_units = text_units
        self.text_dim = text_dim
        self.projection_dim = projection_dim
        self.base_filters = base_filters
        self.int_weight = float(int_weight)
        self.int_beta = float(int_beta)
        # Held outside Keras's layer tracking: a StringLookup is not XLA-compatible and
        # would turn `jit_compile` off for the whole model, although the training step
        # never runs it (fit tokenizes). It has no weights; the config rebuilds it.
        tokenizer = keras.layers.StringLookup(
            vocabulary=list(vocabulary), mask_token="", num_oov_indices=1, oov_token="[UNK]",
            output_mode="int", name="tokenizer")
        tokenizer.build((None,))
        self._zoo.tokenizer = tokenizer
        self.text_encoder = text_encoder(len(vocabulary), max_words, word_dim, text_units,
                                         text_dim)
        if self.int_weight:
            self.add_tracker("g_int")

    # ------------------------------------------------------------- captions
    def caption_ids(self, captions, n=None, where="generate"):
        """Captions (str, or a list / array of str) as int32 token ids (N, max_words).

        Checked in Python: a non-str is a TypeError; an empty caption, one longer than
        `max_words` words or with words outside the vocabulary a ValueError naming
        them. With `n`, one caption is broadcast to n and otherwise n are needed.
        """
        if isinstance(captions, (str, bytes)):
            captions = [captions]
        elif tf.is_tensor(captions):
            captions = captions.numpy().reshape(-1).tolist()
        elif isinstance(captions, np.ndarray):
            captions = captions.reshape(-1).tolist() if captions.ndim <= 1 else None
        elif isinstance(captions, (list, tuple)):
            captions = list(captions)
        else:
            captions = None
        if captions is None:
            raise TypeError(f"{where}: captions must be a str or a list of str.")
        captions = [c.decode("utf-8") if isinstance(c, bytes) else c for c in captions]
        for c in captions:
            if not isinstance(c, str):
                raise TypeError(f"{where}: captions must be str (GAN-CLS takes text, not "
                                f"class labels); got {type(c).__name__}: {c!r}.")
        if n is not None:
            if len(captions) == 1:
                captions = captions * n
            elif len(captions) != n:
                raise ValueError(f"{where}: pass one caption (for all samples) or {n}; got "
                                 f"{len(captions)}.")
        if not captions:
            raise ValueError(f"{where}: got no captions.")
        ids = np.zeros((len(captions), self.max_words), "int32")
        checked = {}
        for row, caption in enumerate(captions):
            if caption not in checked:
                try:
                    words = check_caption(caption, self.vocabulary).split()
                except ValueError as error:
                    raise ValueError(f"{where}: {error}") from None
                if len(words) > self.max_words:
                    raise ValueError(f"{where}: caption {caption!r} has {len(words)} words; "
                                     f"this model reads at most max_words={self.max_words}.")
                checked[caption] = [self._word_ids[w] for w in words]
            ids[row, :len(checked[caption])] = checked[caption]
        return ids

    @property
    def tokenizer(self):
        """The `keras.layers.StringLookup` of the vocabulary (0: padding, 1: unknown)."""
        return self._zoo.tokenizer

    def tokenize(self, captions):
        """tf.string captions (B,) -> int32 token ids (B, max_words), in the graph.

        Lower-cases, splits on whitespace and looks the words up; asserts (an
        InvalidArgumentError naming them) that no caption is empty, longer than
        `max_words` or holds a word outside the vocabulary. Used by the exported
        `serve` and by `fit` on datasets.
        """
        captions = tf.convert_to_tensor(captions, tf.string)
        words = tf.strings.split(tf.strings.lower(captions, encoding="utf-8"))
        counts = words.row_lengths()
        flat_ids = tf.cast(self.tokenizer(words.flat_values), "int32")
        unknown = tf.boolean_mask(words.flat_values, tf.equal(flat_ids, OOV_ID))
        checks = [
            tf.debugging.Assert(tf.reduce_all(counts > 0), [
                "GAN-CLS: empty caption(s) among", captions], summarize=8),
            tf.debugging.Assert(tf.reduce_all(counts <= self.max_words), [
                f"GAN-CLS: captions longer than max_words={self.max_words} words among",
                captions], summarize=8),
            tf.debugging.Assert(tf.equal(tf.size(unknown), 0), [
                "GAN-CLS: captions have words not in the vocabulary:", unknown],
                summarize=20),
        ]
        with tf.control_dependencies(checks):
            ids = words.with_flat_values(flat_ids).to_tensor(
                default_value=PAD_ID, shape=[None, self.max_words])
            return tf.identity(ids)

    def text_embedding(self, condition, training=False):
        """Caption embeddings (B, text_dim) of token ids (or of tf.string captions)."""
        if condition.dtype == tf.string:
            condition = self.tokenize(condition)
        return self.text_encoder(tf.cast(condition, "int32"), training=training)

    def mismatched_captions(self, ids):
        """`(wrong_ids, valid)` for this replica's examples: the ids of each example's
        partner caption (`mismatch_partners`) within the global batch."""
        n = tf.shape(ids)[0]
        if num_replicas() == 1:
            everyone, offset = ids, 0
        else:
            offset, total = global_rows(n)
            rows = (offset + tf.range(n))[:, None]
            everyone = all_reduce_sum(tf.scatter_nd(rows, ids, [total, self.max_words]))
        partner, valid = mismatch_partners(everyone)
        partner, valid = partner[offset:offset + n], valid[offset:offset + n]
        return tf.gather(everyone, partner), valid

    # -------------------------------------------------------------- batches
    def batch_fields(self):
        return (("images", "images"), ("captions", "captions"))

    def _missing_field_error(self, missing):
        if missing == "captions":
            return ValueError(
                f"{type(self).__name__} is text-conditional: batches must be (images, "
                "captions), e.g. keras_gan_zoo.datasets.load('fashion_mnist_captions') or "
                "fit(x=images, y=captions); got images only.")
        return super()._missing_field_error(missing)

    def unpack_batch(self, data):
        batch = super().unpack_batch(data)
        captions = batch.get("captions")
        if tf.is_tensor(captions) and captions.dtype == tf.string:
            batch["captions"] = captions = self.tokenize(captions)
        if captions is not None:
            batch["labels"] = captions  # the base hands the condition on as `labels`
        return batch

    def check_field(self, kind, value, where):
        if kind != "captions":
            return super().check_field(kind, value, where)
        dtype, shape = tf.as_dtype(value.dtype), tuple(value.shape)
        if dtype == tf.string and len(shape) == 1:
            return None
        if dtype.is_integer and shape[1:] == (self.max_words,):
            return None  # token ids, as fit hands them on
        raise ValueError(
            f"{where}: expected captions, a str per image (tf.string of shape (batch,)); "
            f"got {dtype.name} of shape {shape}. GAN-CLS takes text, not class labels.")

    def check_field_values(self, kind, array, where):
        if kind != "captions":
            return super().check_field_values(kind, array, where)
        if array.dtype.kind in "US" or array.dtype == object:
            self.caption_ids(array, where=where)
        elif array.size and (array.min() < PAD_ID or (array == OOV_ID).any()
                             or array.max() >= len(self.vocabulary) + FIRST_WORD_ID):
            raise ValueError(f"{where}: token ids must be in [{FIRST_WORD_ID}, "
                             f"{len(self.vocabulary) + FIRST_WORD_ID}) or {PAD_ID} (padding).")
        return None

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit` on (images, captions): captions are checked and tokenized
        here (numpy: all of them, in Python; a dataset: its first batch in Python, every
        batch in the graph), so the training step sees token ids."""
        if isinstance(x, tf.data.Dataset):
            x = self._tokenized_dataset(x)
        elif isinstance(x, dict):
            if "captions" not in x:
                raise self._missing_field_error("captions")
            x = {**x, "captions": self.caption_ids(x["captions"], where="fit")}
        elif x is not None:
            if y is None:
                raise self._missing_field_error("captions")
            y = self.caption_ids(y, where="fit")
        return super().fit(x, y, *args, **kwargs)

    def _tokenized_dataset(self, dataset):
        spec = super().unpack_batch(dataset.element_spec)
        self.check_field("captions", spec["captions"], "fit(dataset), captions")
        if spec["captions"].dtype != tf.string:
            return dataset  # already token ids
        first = next(iter(dataset.take(1)), None)
        if first is not None:
            self.caption_ids(super().unpack_batch(first)["captions"],
                             where="fit(dataset), first batch")
        is_dict = isinstance(dataset.element_spec, dict)

        def tokenize(*element):
            if is_dict:
                return {**element[0], "captions": self.tokenize(element[0]["captions"])}
            return (element[0], self.tokenize(element[1]), *element[2:])

        return dataset.map(tokenize, num_parallel_calls=tf.data.AUTOTUNE)

    # ------------------------------------------------------------ networks
    def call_generator(self, latents, labels=None, training=False, network=None):
        """The generator on latents and captions (token ids or tf.string); the
        caption embedding reaches it with a stopped gradient."""
        network = self.generator if network is None else network
        text = tf.stop_gradient(self.text_embedding(tf.convert_to_tensor(labels)))
        return network([tf.convert_to_tensor(latents), text], training=training)

    def discriminator_inputs(self, images, labels=None):
        return [images, self.text_embedding(tf.convert_to_tensor(labels), training=True)]

    def discriminator_objective(self, real_images, fake_images, labels, latents=None):
        """The three pairs: (real, right), (real, wrong), (fake, right)."""
        wrong_ids, has_wrong = self.mismatched_captions(labels)
        right = self.text_embedding(labels, training=True)
        wrong = self.text_embedding(wrong_ids, training=True)
        real_right = self.discriminator([real_images, right], training=True)
        real_wrong = self.discriminator([real_images, wrong], training=True)
        fake_right = self.discriminator([fake_images, right], training=True)
        loss = cls_discriminator_loss(real_right, real_wrong, fake_right, has_wrong,
                                      real_label=self.real_label)
        return loss, dict(self.discriminator_penalties(real_images, fake_images))

    def generator_objective(self, fake_images, latents, labels, real_images=None):
        """The CLS term on the fakes plus `int_weight` times the INT term: fakes from
        the same latents and `beta * h + (1 - beta) * h_partner`."""
        loss = self.generator_adversarial_loss(fake_images, labels, real_images)
        if not self.int_weight:
            return loss, {}
        partner_ids, _ = self.mismatched_captions(labels)
        own = tf.stop_gradient(self.text_embedding(labels))
        other = tf.stop_gradient(self.text_embedding(partner_ids))
        mixed = self.int_beta * own + (1.0 - self.int_beta) * other
        fakes = self.generator([latents, mixed], training=True)
        fakes = self.augment_images(fakes, draw=_INT_AUGMENT_DRAW)
        logits = self.discriminator([fakes, mixed], training=True)
        return loss, {"g_int": self.int_weight * losses.nonsaturating_g_loss(logits)}

    def discriminator_loss(self, real_logits, fake_logits):
        return losses.nonsaturating_d_loss(real_logits, fake_logits, real_label=self.real_label)

    def generator_loss(self, fake_logits):
        return losses.nonsaturating_g_loss(fake_logits)

    # ------------------------------------------------------------ sampling
    def generate(self, n, seed=None, latents=None, captions=None, batch_size=256,
                 use_ema=True):
        """Samples `n` images in [-1, 1] (float32 numpy) for the given captions.

        Args:
            n: number of images.
            seed: integer seed of the latents; the same seed gives the same images.
            latents: explicit latents (n, latent_dim) instead of a seed.
            captions: one str for all samples, or n str; words outside the model's
                vocabulary (`model.vocabulary`) and empty captions raise a ValueError.
            batch_size: images per generator call.
            use_ema: with a generator EMA, sample from its weights (default).

        Example:
            >>> model.generate(4, seed=0, captions="a dark short-sleeved t-shirt")
        """
        n = self._check_count(n)
        if captions is None:
            raise ValueError(f"{type(self).__name__} is text-conditional: pass captions= "
                             f"(one str for all samples, or {n}).")
        ids = self.caption_ids(captions, n, "generate")
        latents = self._latents_for(n, latents, seed)
        network = self._sampling_generator(use_ema)
        chunks = []
        for i in range(0, n, batch_size):
            images = self.call_generator(latents[i:i + batch_size], ids[i:i + batch_size],
                                         training=False, network=network)
            chunks.append(keras.ops.convert_to_numpy(keras.ops.cast(images, "float32")))
        return np.concatenate(chunks, axis=0)

    def export_generator(self, path, use_ema=True):
        """Writes a TF SavedModel with `serve(z, captions)`: float32 z (B, latent_dim)
        and tf.string captions (B,) -> float32 images in [-1, 1]. The tokenizer is in
        the graph; an empty caption or an unknown word fails with an
        InvalidArgumentError naming it. Loading needs neither keras_gan_zoo nor Keras.

        Example:
            >>> model.export_generator("gan_cls_generator")
            >>> g = tf.saved_model.load("gan_cls_generator")
            >>> images = g.serve(tf.random.normal([2, 100]), tf.constant(["sandal", "bag"]))
        """
        generator = self._sampling_generator(use_ema)
        signature = [tf.TensorSpec((None, self.latent_dim), tf.float32, name="z"),
                     tf.TensorSpec((None,), tf.string, name="captions")]

        def serve(latents, captions):
            text = self.text_encoder(self.tokenize(captions), training=False)
            return tf.cast(generator([latents, text], training=False), tf.float32)

        archive = keras.export.ExportArchive()
        archive.track(generator)
        archive.track(self.text_encoder)
        archive.track(self.tokenizer)  # its lookup table
        archive.add_endpoint("serve", serve, input_signature=signature)
        return self._write_export(archive, path)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": list(self.image_shape),
            "vocabulary": list(self.vocabulary),
            "max_words": self.max_words,
            "word_dim": self.word_dim,
            "text_units": self.text_units,
            "text_dim": self.text_dim,
            "projection_dim": self.projection_dim,
            "base_filters": self.base_filters,
            "int_weight": self.int_weight,
            "int_beta": self.int_beta,
        }
