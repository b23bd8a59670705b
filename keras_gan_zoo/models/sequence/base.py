"""`SequenceModel`: the base of the zoo's autoregressive models of sequences.

WaveNet (audio) and the character-level LSTM (text) learn an explicit likelihood
of a sequence of discrete symbols, factorised left to right:
`log p(x) = sum_t log p(x_t | x_<t)`. This base owns what they share:

- one optimizer: `compile()` with no arguments uses the model's `default_optimizer()`;
  `compile(optimizer=...)` takes an instance, a name or a config.
  `get_compile_config` / `compile_from_config` round-trip it, and `compile()` builds
  its variables (in the strategy scope it runs in), so `keras.models.load_model`
  returns a model that resumes with its optimizer state;
- a `train_step` (and `test_step`, for `evaluate` and `validation_data`) reporting
  `nll`, the mean negative log-likelihood in nats per element (sample or
  character), and the same in bits (`bits_per_element`, or the model's
  `bits_metric`, e.g. `bits_per_char`);
- mixed precision: under `mixed_float16` the optimizer is a `LossScaleOptimizer`,
  the loss is scaled with `optimizer.scale_loss` inside the tape, and a step with
  non-finite gradients is skipped (and the scale halved) by the optimizer; logits
  are float32;
- tf.distribute: the loss is the per-replica mean divided by `num_replicas_in_sync`
  (replicas get equal shares of a batch of equal-length sequences, so the summed
  gradients are those of the global-batch mean);
- input checks for `fit` (numpy arrays and dataset element specs) and `train_step`;
- `sample_ids` (seeded, in a compiled TF loop) and `export_sampler`, a SavedModel
  whose `serve` signature needs nothing from this package to load.

Subclasses set `input_kind` (`"audio"`: float waveforms in [-1, 1], or `"tokens"`:
int ids in [0, num_symbols)), implement `nll(sequences, labels, training)`,
`_sample_graph(...)` and `_served_outputs(ids)`, and their own `generate`.
"""

import math
import random

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.base import GenerativeModel

INPUT_KINDS = ("audio", "tokens")
_LN2 = math.log(2.0)


class _Unsaved:
    """A plain holder: what it holds is neither tracked nor saved by Keras."""

    def __init__(self, **items):
        self.__dict__.update(items)


class SequenceModel(GenerativeModel):
    """Base class of the sequence models: one network, one optimizer, an NLL loss.

    Args:
        num_symbols: size of the alphabet of one element (256 mu-law levels, the
            number of characters).
        num_classes: `None`, or the number of classes of a globally conditioned
            model (e.g. speakers); its batches are then `(sequences, labels)`.
        **kwargs: `keras.Model` arguments (`name`).

    Example:
        >>> model = kgz.create_model("char_rnn", vocabulary="abc \\n")
        >>> model.compile()                      # the paper's optimizer
        >>> model.fit(ids, epochs=1)             # logs nll and bits_per_char
        >>> model.sample_ids(2, 10, seed=0)      # (2, 10) int32, same for a seed

    Reference:
        van den Oord et al., Pixel Recurrent Neural Networks, arXiv:1601.06759
        (the autoregressive likelihood and its report in nats and bits).
    """

    family = "sequence"
    input_kind = None  # "audio" or "tokens"
    bits_metric = "bits_per_element"
    min_length = 2  # shortest training sequence (one element predicts the next)

    def __init__(self, num_symbols, num_classes=None, **kwargs):
        super().__init__(image_shape=None, num_classes=num_classes, **kwargs)
        if self.input_kind not in INPUT_KINDS:
            raise TypeError(f"{type(self).__name__}.input_kind must be one of {INPUT_KINDS}.")
        if not isinstance(num_symbols, (int, np.integer)) or num_symbols < 2:
            raise ValueError(f"num_symbols must be an int >= 2; got {num_symbols!r}.")
        self.num_symbols = int(num_symbols)
        self.nll_tracker = self.add_tracker("nll")
        self.bits_tracker = self.add_tracker(self.bits_metric)
        self.optimizer = None
        self._fns = _Unsaved(sample=None)

    # compile(optimizer=None), Adam(1e-3) by default, and its config round trip:
    # GenerativeModel's.

    def _require_compiled(self):
        if self.optimizer is None or not getattr(self, "compiled", False):
            raise RuntimeError(
                f"Call {type(self).__name__}.compile() before fit() "
                "(with no arguments for the paper's optimizer)."
            )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ---------------------------------------------------------------- inputs
    def _expected(self):
        if self.input_kind == "audio":
            return "float audio in [-1, 1] of shape (batch, time)"
        return f"int token ids in [0, {self.num_symbols}) of shape (batch, time)"

    def check_sequences(self, sequences, where):
        """Static checks of a batch: rank 2, dtype of the model's input kind, length."""
        dtype = tf.as_dtype(sequences.dtype)
        if self.input_kind == "audio" and not dtype.is_floating:
            raise ValueError(
                f"{where}: expected {self._expected()}; got dtype {dtype.name}. "
                "Scale 16-bit PCM with `x / 32768` (keras_gan_zoo.datasets.read_wav does)."
            )
        if self.input_kind == "tokens" and not dtype.is_integer:
            raise ValueError(
                f"{where}: expected {self._expected()}; got dtype {dtype.name}. "
                f"Encode text with {type(self).__name__}.encode(text)."
            )
        shape = tuple(sequences.shape)
        if len(shape) != 2:
            raise ValueError(f"{where}: expected {self._expected()}; got shape {shape}.")
        if shape[1] is not None and shape[1] < self.min_length:
            raise ValueError(
                f"{where}: sequences need at least {self.min_length} elements; got "
                f"shape {shape}."
            )

    def _check_values(self, sequences, where):
        """Range check of numpy sequences."""
        if sequences.size == 0:
            raise ValueError(f"{where}: got an empty array of shape {sequences.shape}.")
        lo, hi = sequences.min(), sequences.max()
        if self.input_kind == "audio" and (lo < -1.0001 or hi > 1.0001):
            raise ValueError(
                f"{where}: expected audio in [-1, 1]; got values in [{lo:.3g}, {hi:.3g}]. "
                "Scale 16-bit PCM with `x / 32768`."
            )
        if self.input_kind == "tokens" and (lo < 0 or hi >= self.num_symbols):
            raise ValueError(
                f"{where}: token ids must be in [0, {self.num_symbols}); got values in "
                f"[{lo}, {hi}]."
            )

    def unpack_batch(self, data):
        """Splits a fit batch into `(sequences, labels)`.

        Accepted: `sequences`, `(sequences,)` or `(sequences, labels)`. Unconditional
        models ignore labels; conditional ones require them.
        """
        if isinstance(data, dict):
            raise ValueError(
                f"{type(self).__name__} takes batches `sequences` or `(sequences, labels)`; "
                f"got a dict with keys {sorted(data)}."
            )
        labels = None
        if isinstance(data, (tuple, list)):
            if not data:
                raise ValueError("Got an empty batch.")
            sequences = data[0]
            labels = data[1] if len(data) > 1 else None
        else:
            sequences = data
        if self.conditional and labels is None:
            raise ValueError(
                f"{type(self).__name__} is conditional (num_classes={self.num_classes}): "
                "batches must be (sequences, labels), e.g. fit(x=audio, y=speaker_ids) or "
                "a dataset loaded with_labels=True; got sequences only."
            )
        return sequences, (labels if self.conditional else None)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, after checking what comes in (shape, dtype, range, labels)."""
        self._require_compiled()
        if isinstance(x, np.ndarray):
            if self.conditional:
                if y is None:
                    self.unpack_batch((x,))  # raises the missing-labels error
                labels = np.asarray(y)
                self._check_labels(tf.constant(labels[:1]), "fit")
                if labels.min() < 0 or labels.max() >= self.num_classes:
                    raise ValueError(
                        f"fit: labels must be in [0, {self.num_classes}); got values in "
                        f"[{labels.min()}, {labels.max()}]."
                    )
            self.check_sequences(x, "fit")
            self._check_values(x, "fit")
        elif isinstance(x, tf.data.Dataset):
            spec, label_spec = self.unpack_batch(x.element_spec)
            self.check_sequences(spec, "fit(dataset)")
            if label_spec is not None:
                self._check_labels(label_spec, "fit(dataset)")
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(x, y, *args, **kwargs)

    # ------------------------------------------------------------- training
    def nll(self, sequences, labels=None, training=False):
        """Mean negative log-likelihood (nats per predicted element) of a batch."""
        raise NotImplementedError

    def _batch_nll(self, data, training):
        sequences, labels = self.unpack_batch(data)
        self.check_sequences(sequences, "train_step" if training else "test_step")
        if labels is not None:
            self._check_labels(labels, "train_step" if training else "test_step")
        return tf.cast(self.nll(sequences, labels, training=training), "float32")

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self._batch_nll(data, training=True)
            scaled = self._scaled(self.optimizer, loss)
        grads = tape.gradient(scaled, self.trainable_variables)
        # A LossScaleOptimizer unscales, and skips the step (halving its scale)
        # when a gradient is not finite.
        self.optimizer.apply(grads, self.trainable_variables)
        return self._update_trackers({"nll": loss, self.bits_metric: loss / _LN2})

    def test_step(self, data):
        loss = self._batch_nll(data, training=False)
        return self._update_trackers({"nll": loss, self.bits_metric: loss / _LN2})

    # ------------------------------------------------------------- sampling
    def _sample_graph(self, count_or_labels, length, seed, temperature):
        """Samples (n, length) int32 ids in a TF loop; subclasses implement it.

        `count_or_labels` is the int32 labels (n,) of a conditional model, else an
        int32 vector of n zeros (only its length is used).
        """
        raise NotImplementedError

    def _served_outputs(self, ids):
        """The export's outputs for sampled ids: a dict with `"ids"` and decoded values."""
        return {"ids": ids}

    @staticmethod
    def _check_length(length):
        if not isinstance(length, (int, np.integer)) or isinstance(length, bool) or length < 1:
            raise ValueError(f"length must be a positive int; got {length!r}.")
        return int(length)

    @staticmethod
    def _check_temperature(temperature):
        if not isinstance(temperature, (int, float, np.floating)) or not temperature > 0:
            raise ValueError(f"temperature must be a number > 0; got {temperature!r}.")
        return float(temperature)

    @staticmethod
    def _seed_value(seed):
        if seed is None:
            return random.randrange(2**31 - 1)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ValueError(f"seed must be an int or None; got {seed!r}.")
        return int(seed) % (2**31 - 1)

    #: `_sample_graph`'s inputs: count or labels, length, seed, temperature.
    _SAMPLER_SIGNATURE = (tf.TensorSpec((None,), tf.int32), tf.TensorSpec((), tf.int32),
                          tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.float32))

    def _sampler(self):
        if self._fns.sample is None:
            self._fns.sample = tf.function(self._sample_graph,
                                           input_signature=list(self._SAMPLER_SIGNATURE))
        return self._fns.sample

    def sample_ids(self, n, length, seed=None, labels=None, temperature=1.0):
        """Samples `n` sequences of `length` symbol ids (int32 numpy, (n, length)).

        Runs one element at a time inside a compiled TF loop; the same seed (and
        labels) gives the same ids.
        """
        n = self._check_count(n)
        length = self._check_length(length)
        temperature = self._check_temperature(temperature)
        labels = self._labels_numpy(n, labels)
        first = labels if labels is not None else np.zeros((n,), "int32")
        ids = self._sampler()(tf.constant(first), tf.constant(length, tf.int32),
                              tf.constant(self._seed_value(seed), tf.int32),
                              tf.constant(temperature, tf.float32))
        return ids.numpy()

    # --------------------------------------------------------------- export
    def export_sampler(self, path):
        """Writes a TF SavedModel whose `serve` signature samples sequences.

        `serve(num, length, seed, temperature)` (a conditional model:
        `serve(labels, length, seed, temperature)`) returns a dict with `"ids"`
        (int32, (num, length)) and the decoded values (`"audio"` float32 in [-1, 1]
        for WaveNet, `"text"` strings for the char-RNN). It needs neither this
        package nor Keras to load, and gives the samples `sample_ids` gives for
        the same seed. Written next to `path` and moved into place at the end.

        Example:
            >>> model.export_sampler("wavenet_sampler")
            >>> s = tf.saved_model.load("wavenet_sampler")
            >>> out = s.serve(num=2, length=8000, seed=0, temperature=1.0)
        """
        sample = self._sample_graph
        scalars = [tf.TensorSpec((), tf.int32, name="length"),
                   tf.TensorSpec((), tf.int32, name="seed"),
                   tf.TensorSpec((), tf.float32, name="temperature")]
        if self.conditional:
            def serve(labels, length, seed, temperature):
                return self._served_outputs(sample(labels, length, seed, temperature))

            signature = [tf.TensorSpec((None,), tf.int32, name="labels"), *scalars]
        else:
            def serve(num, length, seed, temperature):
                zeros = tf.zeros(tf.reshape(num, [1]), tf.int32)
                return self._served_outputs(sample(zeros, length, seed, temperature))

            signature = [tf.TensorSpec((), tf.int32, name="num"), *scalars]
        archive = keras.export.ExportArchive()
        archive.track(self)
        archive.add_endpoint("serve", serve, input_signature=signature)
        return self._write_export(archive, path)

    export_generator = export_sampler  # the name the CLI's `export` command calls
