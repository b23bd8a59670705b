"""The character-level LSTM language model (Karpathy's char-rnn).

Characters are one-hot vectors into a stack of LSTM layers; a softmax over the
vocabulary predicts the next character. Trained by `fit` on windows of character
ids (`keras_gan_zoo.datasets.char_dataset`); reports `nll` in nats per character
and `bits_per_char`. Sampling runs the LSTM cells one character at a time inside
a compiled `tf.while_loop`, with a softmax temperature.

The vocabulary (the sorted distinct characters of the training text) is a
constructor argument, so it is part of the config and `.keras` files keep it.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.sequence.base import SequenceModel
from keras_gan_zoo.registry import register_model


@register_model("char_rnn", tiny=dict(vocabulary="\nabcdefgh ", hidden_units=8, num_layers=2))
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class CharRNN(SequenceModel):
    """Character-level multi-layer LSTM: one-hot characters -> LSTMs -> softmax.

    Args:
        vocabulary: the characters the model knows, as one string of distinct
            characters (`keras_gan_zoo.datasets.build_vocabulary(text)`).
        hidden_units: LSTM units per layer (char-rnn's `rnn_size`, 128).
        num_layers: stacked LSTM layers (char-rnn's default 2).
        dropout: dropout on the outputs of every LSTM layer while training (0 off).

    Example:
        >>> text = kgz.datasets.load_text("python_docs")
        >>> vocabulary = kgz.datasets.build_vocabulary(text)
        >>> train, test = kgz.datasets.split_text(text, holdout=0.1)
        >>> model = kgz.create_model("char_rnn", vocabulary=vocabulary)
        >>> model.compile()                        # RMSprop(2e-3, rho=0.95), clip 5
        >>> model.fit(kgz.datasets.char_dataset(train, vocabulary, 100, 64), epochs=1)
        >>> model.evaluate_text(test)["bits_per_char"]
        >>> print(model.generate(300, prime="The ", temperature=0.8, seed=0))

    Reference:
        Karpathy, char-rnn (2015), and Karpathy, Johnson & Fei-Fei, Visualizing and
        Understanding Recurrent Networks, arXiv:1506.02078.
        Graves, Generating Sequences With Recurrent Neural Networks, arXiv:1308.0850.
    """

    input_kind = "tokens"
    bits_metric = "bits_per_char"

    def __init__(self, vocabulary=None, hidden_units=128, num_layers=2, dropout=0.0, **kwargs):
        if not isinstance(vocabulary, str) or len(vocabulary) < 2:
            raise ValueError(
                "CharRNN needs vocabulary=: a str of at least 2 distinct characters, e.g. "
                f"keras_gan_zoo.datasets.build_vocabulary(text); got {vocabulary!r}.")
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError("vocabulary must not repeat a character.")
        for key, value in (("hidden_units", hidden_units), ("num_layers", num_layers)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{key} must be a positive int; got {value!r}.")
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
        super().__init__(num_symbols=len(vocabulary), **kwargs)
        self.vocabulary = vocabulary
        self.hidden_units, self.num_layers = int(hidden_units), int(num_layers)
        self.dropout = float(dropout)
        self._index = {ch: i for i, ch in enumerate(vocabulary)}
        self.lstms = [keras.layers.LSTM(self.hidden_units, return_sequences=True,
                                        return_state=True, name=f"lstm_{i}")
                      for i in range(self.num_layers)]
        self.drops = [keras.layers.Dropout(self.dropout) for _ in range(self.num_layers)]
        self.head = keras.layers.Dense(self.num_symbols, dtype="float32", name="logits")
        self._forward(tf.zeros((1, 2), tf.int32))  # creates the weights
        self.built = True

    @classmethod
    def from_text(cls, text, **kwargs):
        """A model whose vocabulary is the distinct characters of `text`."""
        return cls(vocabulary="".join(sorted(set(text))), **kwargs)

    def get_config(self):
        return {"name": self.name, "vocabulary": self.vocabulary,
                "hidden_units": self.hidden_units, "num_layers": self.num_layers,
                "dropout": self.dropout}

    def default_optimizers(self):
        """char-rnn's RMSprop(2e-3, decay 0.95) with gradients clipped to [-5, 5]."""
        return {"optimizer": keras.optimizers.RMSprop(2e-3, rho=0.95, clipvalue=5.0)}

    # ------------------------------------------------------------------ text
    def encode(self, text):
        """Character ids (int32 numpy) of `text`; ValueError naming unknown characters."""
        from keras_gan_zoo.datasets.text import encode_text

        return encode_text(text, self.vocabulary)

    def decode(self, ids):
        """The string of a 1-D sequence of ids."""
        return "".join(self.vocabulary[int(i)] for i in np.asarray(ids).reshape(-1))

    # --------------------------------------------------------------- network
    def _forward(self, ids, states=None, training=False):
        """Logits (B, T, V) float32 and the final [h, c] of every layer."""
        x = tf.one_hot(ids, self.num_symbols, dtype=self.compute_dtype)
        final = []
        for i, (lstm, drop) in enumerate(zip(self.lstms, self.drops)):
            x, h, c = lstm(x, initial_state=None if states is None else states[i],
                           training=training)
            final.append([h, c])
            if self.dropout:
                x = drop(x, training=training)
        return self.head(x), final

    def call(self, ids, training=False):
        """Logits (B, T, V), float32: position t is p(x_(t+1) | x_<=t)."""
        return self._forward(ids, training=training)[0]

    def nll(self, ids, labels=None, training=False):
        logits = self(ids[:, :-1], training=training)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids[:, 1:], logits=logits)
        return tf.reduce_mean(losses)

    # -------------------------------------------------------------- sampling
    def _sample_prime(self, prime, length, seed, temperature):
        """Feeds prime (n, P) ids, then samples `length` ids: (n, length) int32."""
        n, steps = tf.shape(prime)[0], tf.shape(prime)[1]
        zeros = tf.zeros([n, self.hidden_units], self.compute_dtype)
        states = [[zeros, zeros] for _ in self.lstms]
        out = tf.TensorArray(tf.int32, size=steps - 1 + length)

        def body(t, cur, states, out):
            x = tf.one_hot(cur, self.num_symbols, dtype=self.compute_dtype)
            new_states = []
            for lstm, state in zip(self.lstms, states):
                x, state = lstm.cell(x, state, training=False)
                new_states.append(list(state))
            logits = tf.cast(self.head(x), tf.float32) / temperature
            sample = tf.random.stateless_categorical(logits, 1, seed=tf.stack([seed, t]),
                                                     dtype=tf.int32)[:, 0]
            # While the prime lasts, its next character is the next input.
            nxt = tf.where(t + 1 < steps, prime[:, tf.minimum(t + 1, steps - 1)], sample)
            return t + 1, nxt, new_states, out.write(t, sample)

        _, _, _, out = tf.while_loop(lambda t, *_: t < steps - 1 + length, body,
                                     (tf.constant(0), prime[:, 0], states, out))
        return tf.transpose(out.stack()[steps - 1:])

    def _sample_graph(self, zeros, length, seed, temperature):
        # No prime: the first character is drawn uniformly (as char-rnn does).
        first = tf.random.stateless_uniform(tf.shape(zeros), seed=tf.stack([seed, -1]),
                                            minval=0, maxval=self.num_symbols, dtype=tf.int32)
        rest = self._sample_prime(first[:, None], length - 1, seed, temperature)
        return tf.concat([first[:, None], rest], axis=1)

    def _served_outputs(self, ids):
        chars = tf.constant(list(self.vocabulary))
        return {"ids": ids, "text": tf.strings.reduce_join(tf.gather(chars, ids), axis=1)}

    def sample_ids(self, n, length, seed=None, labels=None, temperature=1.0, prime=None):
        """`n` sequences of ids: `length` ids after `prime` (a str), or with none,
        `length` ids starting with a uniformly drawn character."""
        if prime is None:
            return super().sample_ids(n, length, seed, labels, temperature)
        if not isinstance(prime, str) or not prime:
            raise ValueError(f"prime must be a non-empty str or None; got {prime!r}.")
        n, length = self._check_count(n), self._check_length(length)
        temperature = self._check_temperature(temperature)
        self._labels_numpy(n, labels)
        if self._fns.__dict__.get("prime") is None:
            self._fns.prime = tf.function(self._sample_prime, input_signature=[
                tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((), tf.int32),
                tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.float32)])
        prime_ids = np.tile(self.encode(prime)[None], (n, 1))
        return self._fns.prime(tf.constant(prime_ids), tf.constant(length, tf.int32),
                               tf.constant(self._seed_value(seed), tf.int32),
                               tf.constant(temperature, tf.float32)).numpy()

    def generate(self, length=200, prime=None, temperature=1.0, seed=None):
        """Samples text: `prime` followed by `length` sampled characters.

        Args:
            length: characters to sample.
            prime: text to start from (its characters must be in the vocabulary);
                None starts from one uniformly drawn character (then `length` in all).
            temperature: divides the logits: < 1 is more conservative, > 1 more
                random; near 0 it picks the most likely character.
            seed: int; the same seed gives the same text.

        Returns:
            A str.
        """
        ids = self.sample_ids(1, length, seed=seed, temperature=temperature, prime=prime)[0]
        return (prime or "") + self.decode(ids)

    # ------------------------------------------------------------ evaluation
    def evaluate_text(self, text, streams=8, chunk=256):
        """Bits per character of `text` read as one continuous stream.

        The text is cut into `streams` contiguous parts read in parallel; each is
        fed in chunks of `chunk` characters with the LSTM state carried across
        chunks (as char-rnn evaluates), so only the first character of each part
        is predicted without context, and it is not counted.

        Returns:
            dict with `nll` (nats per character), `bits_per_char` and `characters`.
        """
        ids = self.encode(text)
        per = (len(ids) - 1) // streams
        if per < 1:
            raise ValueError(f"evaluate_text needs more than {streams} characters; got "
                             f"{len(ids)}.")
        parts = np.stack([ids[i * per:(i + 1) * per + 1] for i in range(streams)])
        if self._fns.__dict__.get("score") is None:
            def score(x, states):
                logits, final = self._forward(x[:, :-1], states)
                nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=x[:, 1:],
                                                                     logits=logits)
                return tf.reduce_sum(nll), final
            self._fns.score = tf.function(score, reduce_retracing=True)
        zeros = tf.zeros([streams, self.hidden_units], self.compute_dtype)
        states, total = [[zeros, zeros] for _ in self.lstms], 0.0
        for start in range(0, per, chunk):
            piece = parts[:, start:min(per, start + chunk) + 1]
            loss, states = self._fns.score(tf.constant(piece), states)
            total += float(loss)
        count = streams * per
        return {"nll": total / count, "bits_per_char": total / count / math.log(2.0),
                "characters": count}
