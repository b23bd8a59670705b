"""Sentence VAE (Bowman et al. 2015): an RNN encoder, a Gaussian z, an RNN decoder.

A sentence `<bos> w_1 .. w_n <eos>` is read by a GRU encoder whose final state gives
q(z|x) = N(mean, diag(exp(log_var))); the decoder GRU is conditioned on z (its initial
state `tanh(W z + b)`, and/or z concatenated to every input word) and predicts each next
word. Training minimises, per sentence,

    sum_t -log p(w_t | w_<t, z)  +  kl_weight(step) * KL(q(z|x) || N(0, I))

with the paper's two tricks against posterior collapse: KL cost annealing (a logistic
schedule of the step, `logistic_kl_weight`) and word dropout (a fraction of the decoder's
input words replaced by `<unk>`, `word_dropout`). Reported per step: `nll` (nats per
predicted token of the bound, reconstruction + KL), `bits_per_word`, `sentence_nll` (the
bound per sentence, the paper's NLL), `kl` (per sentence), `kl_weight` and `perplexity`
(exp of the bound per token, over the epoch's tokens).

`use_latent=False` is the paper's baseline: the same decoder as a plain GRU language
model (no encoder, z = 0, no KL term).
"""

import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo import latent as latent_tools
from keras_gan_zoo.datasets import words
from keras_gan_zoo.models.base import Unsaved
from keras_gan_zoo.models.replicas import global_rows
from keras_gan_zoo.models.sequence.base import SequenceModel
from keras_gan_zoo.registry import register_model

CONDITIONINGS = ("initial_state", "inputs", "both")
KL_ANNEALINGS = ("logistic", "none")
UNKNOWN = ("warn", "error")
_FORBIDDEN = (words.PAD_ID, words.BOS_ID)  # never sampled
_TINY_VOCABULARY = [*words.SPECIAL_TOKENS, "the", "moon", "sea", "star", "is", "rising", "on",
                    "and"]


def logistic_kl_weight(step, k=0.0025, x0=2500):
    """KL cost annealing weight `1 / (1 + exp(-k (step - x0)))` (float32).

    Bowman et al.'s logistic schedule: ~0 at the start, 0.5 at step `x0`, -> 1; `k` sets
    how fast. Works on numpy / Python numbers and on tensors.

    Example:
        >>> float(logistic_kl_weight(2500, k=0.0025, x0=2500))
        0.5
    """
    step = tf.cast(step, "float32")
    return tf.sigmoid(tf.cast(k, "float32") * (step - tf.cast(x0, "float32")))


def word_dropout(ids, rate, uniform, unk_id=words.UNK_ID,
                 keep=(words.PAD_ID, words.BOS_ID, words.EOS_ID)):
    """Replaces each word id with `unk_id` where `uniform < rate` (Bowman et al. §3.3).

    Special tokens in `keep` (`<pad>`, `<bos>`, `<eos>`) are never replaced.

    Args:
        ids: int tensor (B, T) of decoder inputs.
        rate: fraction of words replaced (0: none, 1: every word).
        uniform: float tensor of the shape of `ids`, uniform in [0, 1).
    """
    ids = tf.convert_to_tensor(ids)
    protected = tf.reduce_any(tf.equal(ids[..., None], tf.constant(keep, ids.dtype)), axis=-1)
    drop = tf.logical_and(tf.convert_to_tensor(uniform) < rate, tf.logical_not(protected))
    return tf.where(drop, tf.cast(unk_id, ids.dtype), ids)


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example (closed form), (B,)."""
    return 0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(log_var) - 1.0 - log_var, axis=-1)


class TokenPerplexity(keras.metrics.Metric):
    """exp(total nats / total tokens) over everything seen since the last reset.

    `update_state([nats, tokens])`: a batch's summed NLL and its number of tokens.
    """

    def __init__(self, name="perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.nats = self.add_variable(shape=(), initializer="zeros", name="nats")
        self.tokens = self.add_variable(shape=(), initializer="zeros", name="tokens")

    def update_state(self, values):
        values = tf.cast(values, "float32")
        self.nats.assign_add(values[0])
        self.tokens.assign_add(values[1])

    def result(self):
        return tf.exp(self.nats / tf.maximum(self.tokens, 1.0))


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}.")
    return int(value)


def _number(name, value, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number; got {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be in [{low}, {high}]; got {value!r}.")
    return float(value)


@register_model("sentence_vae", tiny=dict(vocabulary=_TINY_VOCABULARY, embedding_dim=8,
                                          hidden_units=8, latent_dim=4, word_dropout=0.25,
                                          conditioning="both", max_length=10, seed=0))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SentenceVAE(SequenceModel):
    """Variational autoencoder of sentences: GRU encoder -> Gaussian z -> GRU decoder.

    Args:
        vocabulary: list of tokens starting with `<pad>, <unk>, <bos>, <eos>`
            (`keras_gan_zoo.datasets.build_word_vocabulary(train_sentences)`); a list
            of words alone gets the four prepended. Stored in the config.
        embedding_dim: word embedding size (shared by encoder and decoder).
        hidden_units: GRU units of the encoder and of the decoder.
        latent_dim: size of z.
        word_dropout: fraction of the decoder's input words replaced by `<unk>` in
            training (0 off; 1 makes the decoder rely on z alone).
        kl_annealing: `"logistic"` (weight `logistic_kl_weight(step, k, x0)`) or
            `"none"` (weight 1 from the start).
        kl_anneal_k, kl_anneal_x0: slope and midpoint (in steps) of the logistic weight.
        conditioning: how z enters the decoder: `"initial_state"` (the paper),
            `"inputs"` (concatenated to every input word) or `"both"`.
        use_latent: False builds the baseline GRU language model (no encoder, z = 0,
            no KL).
        max_length: the longest decode (tokens, `<eos>` included) of `generate`,
            `reconstruct` and `interpolate`.
        seed: seed of the training noise (z samples, word dropout); in the config.

    Example:
        >>> train = kgz.datasets.load_sentences("verse", "train")
        >>> vocabulary = kgz.datasets.build_word_vocabulary(train, min_count=2)
        >>> model = kgz.create_model("sentence_vae", vocabulary=vocabulary)
        >>> model.compile()                                    # Adam(1e-3)
        >>> model.fit(kgz.datasets.sentence_dataset(train, vocabulary, 64), epochs=5)
        >>> model.generate(3, seed=0, greedy=True)             # list of str
        >>> model.interpolate("the silver moon is rising on the stream",
        ...                   "we found the broken ship upon the shore", steps=5)

    Reference:
        Bowman, Vilnis, Vinyals, Dai, Jozefowicz & Bengio, Generating Sentences from
        a Continuous Space, arXiv:1511.06349.
    """

    input_kind = "tokens"
    bits_metric = "bits_per_word"
    #: metrics reported beside `nll` and `bits_per_word`.
    extra_metrics = ("sentence_nll", "kl", "kl_weight", "perplexity")
    batch_extras = ("noise",)  # a dict batch may fix the N(0, I) draws of z per example

    def __init__(self, vocabulary=None, embedding_dim=128, hidden_units=256, latent_dim=16,
                 word_dropout=0.25, kl_annealing="logistic", kl_anneal_k=0.0025,
                 kl_anneal_x0=2500, conditioning="initial_state", use_latent=True,
                 max_length=32, seed=None, **kwargs):
        if vocabulary is None:
            raise ValueError(
                "SentenceVAE needs vocabulary=: a list of tokens, e.g. "
                "keras_gan_zoo.datasets.build_word_vocabulary(train_sentences).")
        vocabulary = words.check_vocabulary(vocabulary)
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {CONDITIONINGS}; got {conditioning!r}.")
        if kl_annealing not in KL_ANNEALINGS:
            raise ValueError(f"kl_annealing must be one of {KL_ANNEALINGS}; got {kl_annealing!r}.")
        if not isinstance(use_latent, bool):
            raise ValueError(f"use_latent must be True or False; got {use_latent!r}.")
        super().__init__(num_symbols=len(vocabulary), seed=seed, **kwargs)
        self.vocabulary = vocabulary
        self.embedding_dim = _positive_int("embedding_dim", embedding_dim)
        self.hidden_units = _positive_int("hidden_units", hidden_units)
        self.latent_dim = _positive_int("latent_dim", latent_dim)
        self.max_length = _positive_int("max_length", max_length)
        self.word_dropout = _number("word_dropout", word_dropout, 0.0, 1.0)
        self.kl_anneal_k = _number("kl_anneal_k", kl_anneal_k, 0.0)
        self.kl_anneal_x0 = _number("kl_anneal_x0", kl_anneal_x0)
        self.kl_annealing, self.conditioning = kl_annealing, conditioning
        self.use_latent = use_latent
        self._z_state = use_latent and conditioning in ("initial_state", "both")
        self._z_inputs = use_latent and conditioning in ("inputs", "both")
        for name in ("sentence_nll", "kl", "kl_weight"):
            self.add_tracker(name)
        self._trackers["perplexity"] = TokenPerplexity()  # a ratio of sums, not a mean
        self._fns = Unsaved(sample=None, decode=None, terms=None, lookup=None)

        self.embedding = keras.layers.Embedding(self.num_symbols, self.embedding_dim,
                                                name="embedding")
        if use_latent:
            self.encoder_gru = keras.layers.GRU(self.hidden_units, name="encoder_gru")
            self.to_mean = keras.layers.Dense(self.latent_dim, dtype="float32", name="mean")
            self.to_log_var = keras.layers.Dense(self.latent_dim, dtype="float32",
                                                 name="log_var")
        if self._z_state:
            self.to_state = keras.layers.Dense(self.hidden_units, activation="tanh",
                                               name="latent_to_state")
        self.decoder_gru = keras.layers.GRU(self.hidden_units, return_sequences=True,
                                            name="decoder_gru")
        self.head = keras.layers.Dense(self.num_symbols, dtype="float32", name="logits")
        self.call(tf.constant([[words.BOS_ID, words.UNK_ID, words.EOS_ID]]))  # the weights
        self.built = True

    def get_config(self):
        return {"name": self.name, "vocabulary": list(self.vocabulary),
                "embedding_dim": self.embedding_dim, "hidden_units": self.hidden_units,
                "latent_dim": self.latent_dim, "word_dropout": self.word_dropout,
                "kl_annealing": self.kl_annealing, "kl_anneal_k": self.kl_anneal_k,
                "kl_anneal_x0": self.kl_anneal_x0, "conditioning": self.conditioning,
                "use_latent": self.use_latent, "max_length": self.max_length,
                "seed": self.seed}

    # --------------------------------------------------------------- networks
    def posterior(self, ids, training=False):
        """`(mean, log_var)` of q(z|x), float32 (B, latent_dim), for padded id rows
        `<bos> w .. <eos> <pad>..` (the encoder reads everything after `<bos>`)."""
        tokens = ids[:, 1:]
        h = self.encoder_gru(self.embedding(tokens), mask=tf.not_equal(tokens, words.PAD_ID),
                             training=training)
        return self.to_mean(h), self.to_log_var(h)

    def decoder_logits(self, inputs, z=None, training=False):
        """Next-token logits (B, T, V) float32 for decoder input ids (B, T) given z."""
        x = self.embedding(inputs)
        state = None
        if self.use_latent:
            z = tf.cast(z, x.dtype)
            if self._z_inputs:
                x = tf.concat([x, tf.tile(z[:, None], [1, tf.shape(x)[1], 1])], axis=-1)
            if self._z_state:
                state = [self.to_state(z)]
        return self.head(self.decoder_gru(x, initial_state=state, training=training))

    def call(self, ids, training=False):
        """Logits (B, T - 1, V), float32, of each next token given z = the posterior mean."""
        z = self.posterior(ids, training)[0] if self.use_latent else None
        return self.decoder_logits(ids[:, :-1], z, training)

    # --------------------------------------------------------------- training
    def kl_weight(self, step=None):
        """The KL weight at `step` (default: the model's step counter), float32."""
        if not self.use_latent:
            return tf.zeros((), "float32")
        if self.kl_annealing == "none":
            return tf.ones((), "float32")
        step = self.step_counter if step is None else step
        return logistic_kl_weight(step, self.kl_anneal_k, self.kl_anneal_x0)

    def decoder_inputs(self, ids, training=False):
        """The decoder's inputs `ids[:, :-1]`, with word dropout while training.

        The uniform draws are made for the global batch (seed, step) and sliced at this
        replica's rows, so N replicas drop the words one device drops.
        """
        inputs = ids[:, :-1]
        if not training or not self.word_dropout:
            return inputs
        b = tf.shape(inputs)[0]
        offset, total = global_rows(b)
        uniform = tf.random.stateless_uniform(
            tf.stack([total, tf.shape(inputs)[1]]), self.noise_seed(2, per_replica=False))
        return word_dropout(inputs, self.word_dropout, uniform[offset:offset + b])

    def _noise(self, ids, noise, draw):
        if noise is not None:
            if tuple(noise.shape[1:]) != (self.latent_dim,):
                raise ValueError(f"noise must have shape (batch, {self.latent_dim}); got "
                                 f"{tuple(noise.shape)}.")
            return tf.cast(noise, "float32")
        b = tf.shape(ids)[0]
        offset, total = global_rows(b)
        eps = tf.random.stateless_normal(tf.stack([total, self.latent_dim]),
                                         self.noise_seed(draw, per_replica=False))
        return eps[offset:offset + b]

    def sentence_terms(self, ids, noise=None, training=False, draw=1):
        """Per sentence: reconstruction NLL (nats, summed over tokens), KL and the number
        of predicted tokens (B,) each, float32; z = mean + exp(log_var / 2) * noise."""
        ids = tf.cast(ids, "int32")
        if self.use_latent:
            mean, log_var = self.posterior(ids, training)
            eps = self._noise(ids, noise, draw)
            z = mean + tf.exp(0.5 * log_var) * eps
            kl = kl_divergence(mean, log_var)
        else:
            z, kl = None, tf.zeros(tf.shape(ids)[:1], "float32")
        logits = self.decoder_logits(self.decoder_inputs(ids, training), z, training)
        targets = ids[:, 1:]
        mask = tf.cast(tf.not_equal(targets, words.PAD_ID), "float32")
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
        return tf.reduce_sum(nll * mask, axis=1), kl, tf.reduce_sum(mask, axis=1)

    def nll(self, ids, labels=None, training=False):
        """Nats per predicted token of the bound (reconstruction + KL), one z sample."""
        recon, kl, tokens = self.sentence_terms(ids, training=training)
        return tf.reduce_sum(recon + kl) / tf.maximum(tf.reduce_sum(tokens), 1.0)

    def _step_values(self, recon, kl, tokens, weight):
        bound = recon + kl
        per_token = tf.reduce_sum(bound) / tf.maximum(tf.reduce_sum(tokens), 1.0)
        return {"nll": per_token, self.bits_metric: per_token / np.log(2.0),
                "sentence_nll": tf.reduce_mean(bound), "kl": tf.reduce_mean(kl),
                "kl_weight": weight,
                "perplexity": tf.stack([tf.reduce_sum(bound), tf.reduce_sum(tokens)])}

    def _unpack(self, data, where):
        batch = self.unpack_batch(data)
        self.check_batch(batch, where)
        return batch["sequences"], batch.get("noise")

    def train_step(self, data):
        ids, noise = self._unpack(data, "train_step")
        weight = self.kl_weight()
        with tf.GradientTape() as tape:
            recon, kl, tokens = self.sentence_terms(ids, noise, training=True)
            loss = tf.reduce_mean(recon + weight * kl)
        self.minimize(tape, {"optimizer": loss}, tf.shape(ids)[0])
        return self.finish_step(self._step_values(recon, kl, tokens, weight))

    def test_step(self, data):
        ids, noise = self._unpack(data, "test_step")
        recon, kl, tokens = self.sentence_terms(ids, noise, training=False, draw=3)
        return self.report(self._step_values(recon, kl, tokens, self.kl_weight()))

    # ------------------------------------------------------------------ text
    def to_ids(self, sentences, unknown="warn"):
        """Padded ids (n, longest + 2) int32 of sentences (list of str).

        Args:
            unknown: words outside the vocabulary: `"warn"` maps them to `<unk>` and
                warns (`UnknownWordWarning`) with their count; `"error"` raises a
                ValueError naming them.
        """
        if unknown not in UNKNOWN:
            raise ValueError(f"unknown must be one of {UNKNOWN}; got {unknown!r}.")
        ids, unknown_words = words.encode_sentences(
            sentences, self.vocabulary, unknown="error" if unknown == "error" else "unk")
        if unknown_words:
            listed = ", ".join(repr(w) for w, _ in unknown_words.most_common(10))
            warnings.warn(f"{sum(unknown_words.values())} word(s) not in the vocabulary "
                          f"mapped to <unk>: {listed}.", words.UnknownWordWarning,
                          stacklevel=3)
        return ids

    def to_text(self, ids):
        """Sentences (list of str) of rows of ids, up to each row's first `<eos>`."""
        return words.decode_ids(ids, self.vocabulary)

    # --------------------------------------------------------------- latents
    def _require_latent(self, what):
        if not self.use_latent:
            raise ValueError(f"{what} needs a latent space; this model was built with "
                             "use_latent=False (the language-model baseline).")

    def encode(self, sentences, unknown="warn"):
        """Posterior means of q(z|x) of sentences: float32 numpy (n, latent_dim)."""
        self._require_latent("encode")
        ids = self.to_ids(sentences, unknown)
        return np.concatenate([keras.ops.convert_to_numpy(self.posterior(
            tf.constant(ids[i:i + 256]))[0]) for i in range(0, len(ids), 256)])

    def _decode_graph(self, z, length, seed, temperature, greedy):
        """Decodes `length` ids from z (n, latent_dim) or, without a latent, from
        `tf.shape(z)[0]` zero states; after `<eos>` every id is `<pad>`."""
        n = tf.shape(z)[0]
        dtype = self.compute_dtype
        zc = tf.cast(z, dtype)
        state = (self.to_state(zc) if self._z_state
                 else tf.zeros(tf.stack([n, self.hidden_units]), dtype))
        forbid = np.zeros((self.num_symbols,), "float32")
        forbid[list(_FORBIDDEN)] = -1e9
        forbid = tf.constant(forbid)
        out = tf.TensorArray(tf.int32, size=length)

        def body(t, current, state, done, out):
            x = self.embedding(current)
            if self._z_inputs:
                x = tf.concat([x, zc], axis=-1)
            h, state = self.decoder_gru.cell(x, state, training=False)
            logits = tf.cast(self.head(h), "float32") + forbid
            sampled = tf.random.stateless_categorical(
                logits / temperature, 1, seed=tf.stack([seed, t]), dtype=tf.int32)[:, 0]
            best = tf.argmax(logits, axis=-1, output_type=tf.int32)
            token = tf.where(done, words.PAD_ID, tf.where(greedy, best, sampled))
            done = tf.logical_or(done, tf.equal(token, words.EOS_ID))
            return t + 1, token, state, done, out.write(t, token)

        start = tf.fill(tf.stack([n]), tf.constant(words.BOS_ID, tf.int32))
        _, _, _, _, out = tf.while_loop(
            lambda t, *_: t < length, body,
            (tf.constant(0), start, state, tf.zeros(tf.stack([n]), tf.bool), out))
        return tf.transpose(out.stack())

    def _decoder_fn(self):
        if self._fns.decode is None:
            self._fns.decode = tf.function(self._decode_graph, input_signature=[
                tf.TensorSpec((None, self.latent_dim), tf.float32), tf.TensorSpec((), tf.int32),
                tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.float32),
                tf.TensorSpec((), tf.bool)])
        return self._fns.decode

    def _prior(self, n, seed):
        return tf.random.stateless_normal(tf.stack([n, self.latent_dim]),
                                          tf.stack([seed, tf.constant(-1, seed.dtype)]))

    def _sample_graph(self, zeros, length, seed, temperature):
        n = tf.shape(zeros)[0]
        z = self._prior(n, seed) if self.use_latent else tf.zeros(tf.stack([n, self.latent_dim]))
        return self._decode_graph(z, length, seed, temperature, tf.constant(False))

    def _served_outputs(self, ids):
        vocabulary = tf.constant(self.vocabulary)
        keep = tf.reduce_all(tf.not_equal(ids[..., None], tf.constant(
            [words.PAD_ID, words.BOS_ID, words.EOS_ID])), axis=-1)
        text = tf.strings.reduce_join(tf.ragged.boolean_mask(tf.gather(vocabulary, ids), keep),
                                      axis=1, separator=" ")
        return {"ids": ids, "text": tf.strings.regex_replace(text, r" ([,.;:!?])", r"\1")}

    def _length(self, max_length):
        return self.max_length if max_length is None else self._check_length(max_length)

    def decode(self, latents, greedy=True, temperature=1.0, seed=None, max_length=None):
        """Sentences (list of str) decoded from latents (n, latent_dim): greedily (the
        most likely word at each step) or sampled at `temperature` with `seed`."""
        self._require_latent("decode")
        latents = np.asarray(latents, "float32")
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim or not len(latents):
            raise ValueError(f"latents must have shape (n, {self.latent_dim}); got "
                             f"{latents.shape}.")
        temperature = self._check_temperature(temperature)
        ids = self._decoder_fn()(tf.constant(latents), tf.constant(self._length(max_length)),
                                 tf.constant(self._seed_value(seed), tf.int32),
                                 tf.constant(temperature, tf.float32), tf.constant(bool(greedy)))
        return self.to_text(ids.numpy())

    def generate(self, n=1, seed=None, temperature=1.0, greedy=False, max_length=None):
        """Samples `n` sentences (list of str): z ~ N(0, I) (seeded), then the decoder
        sampled at `temperature` or, with `greedy=True`, its most likely word per step.

        The language-model baseline (use_latent=False) samples from its decoder alone.
        """
        n = self._check_count(n)
        if greedy and not self.use_latent:
            raise ValueError("greedy decoding without a latent gives one sentence; sample "
                             "with a temperature instead.")
        if greedy:
            z = self._prior(tf.constant(n), tf.constant(self._seed_value(seed), tf.int32))
            return self.decode(z.numpy(), greedy=True, max_length=max_length)
        return self.to_text(self.sample_ids(n, self._length(max_length), seed=seed,
                                            temperature=temperature))

    def reconstruct(self, sentences, greedy=True, unknown="warn", seed=None, max_length=None):
        """Decodes the posterior mean of each sentence (list of str in, list of str out)."""
        return self.decode(self.encode(sentences, unknown), greedy=greedy, seed=seed,
                           max_length=max_length)

    def interpolate(self, first, second, steps=5, unknown="warn", return_latents=False,
                    max_length=None):
        """Homotopy between two sentences: `steps` points on the line between their
        posterior means (both ends included), each decoded greedily.

        Args:
            first, second: sentences (str).
            steps: points on the path (>= 2).
            return_latents: also return the path, float32 (steps, latent_dim).

        Returns:
            A list of `steps` str (and the latents).
        """
        for name, s in (("first", first), ("second", second)):
            if not isinstance(s, str):
                raise TypeError(f"interpolate: {name} must be a str; got {type(s).__name__}.")
        codes = self.encode([first, second], unknown)
        path = latent_tools.interpolate(codes[0], codes[1], steps, method="lerp")
        path = np.asarray(path, "float32")
        texts = self.decode(path, greedy=True, max_length=max_length)
        return (texts, path) if return_latents else texts

    # ------------------------------------------------------------ evaluation
    def evaluate_sentences(self, sentences, batch_size=256, seed=0, unknown="warn"):
        """The paper's test figures over a list of sentences, one z sample each.

        Returns:
            dict: `nll` (the bound per sentence, nats: reconstruction + KL), `kl` (per
            sentence), `reconstruction`, `nll_per_token`, `perplexity` (exp of the bound
            per token, `<eos>` counted), `sentences`, `tokens`.
        """
        ids = self.to_ids(sentences, unknown)
        if self._fns.terms is None:
            def terms(x, noise):
                return self.sentence_terms(x, noise if self.use_latent else None)
            self._fns.terms = tf.function(terms, reduce_retracing=True)
        rng = np.random.default_rng(seed)
        recon = kl = tokens = 0.0
        for i in range(0, len(ids), batch_size):
            chunk = ids[i:i + batch_size]
            noise = rng.standard_normal((len(chunk), self.latent_dim)).astype("float32")
            r, k, t = self._fns.terms(tf.constant(chunk), tf.constant(noise))
            recon += float(tf.reduce_sum(r))
            kl += float(tf.reduce_sum(k))
            tokens += float(tf.reduce_sum(t))
        n = len(ids)
        return {"nll": (recon + kl) / n, "kl": kl / n, "reconstruction": recon / n,
                "nll_per_token": (recon + kl) / tokens,
                "perplexity": float(np.exp((recon + kl) / tokens)), "sentences": n,
                "tokens": int(tokens)}

    # export_sampler (the family's): serve(num, length, seed, temperature) -> {"ids",
    # "text"}, sentences sampled from the prior exactly as sample_ids / generate do.
