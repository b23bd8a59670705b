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
- mixed precision and tf.distribute through `GenerativeModel.minimize`: the loss
  scale of a `LossScaleOptimizer`, a step skipped on every replica when any
  replica's gradients overflow, and each replica's mean weighted by its share of
  the global batch (so a final partial batch trains as on one device); logits
  are float32;
- input checks for `fit` (numpy arrays and dataset element specs) and `train_step`;
- `sample_ids` (seeded, in a compiled TF loop) and `export_sampler`, a SavedModel
  whose `serve` signature needs nothing from this package to load.

Subclasses set `input_kind` (`"audio"`: float waveforms in [-1, 1], or `"tokens"`:
int ids in [0, num_symbols)), implement `nll(sequences, labels, training)`,
`_sample_graph(...)` and `_served_outputs(ids)`, and their own `generate`.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.base import GenerativeModel, Unsaved, resolve_seed

INPUT_KINDS = ("audio", "tokens")
_LN2 = math.log(2.0)


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
    optimizer_networks = {"optimizer": None}  # the model's own trainable variables
    primary_field = "sequences"  # batches: sequences, and labels when globally conditioned
    labelled_batch_hint = "fit(x=audio, y=speaker_ids) or a dataset loaded with_labels=True"
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
        self._fns = Unsaved(sample=None)

    # compile(optimizer=None), Adam(1e-3) by default, its config round trip and the
    # optimizer's state: GenerativeModel's.

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

    def check_field(self, kind, value, where):
        if kind == "sequences":
            self.check_sequences(value, where)
        else:
            super().check_field(kind, value, where)

    def check_field_values(self, kind, array, where):
        if kind == "sequences":
            self._check_values(array, where)
        else:
            super().check_field_values(kind, array, where)

    # ------------------------------------------------------------- training
    def nll(self, sequences, labels=None, training=False):
        """Mean negative log-likelihood (nats per predicted element) of a batch."""
        raise NotImplementedError

    def _batch_nll(self, data, training):
        batch = self.unpack_batch(data)
        self.check_batch(batch, "train_step" if training else "test_step")
        sequences = batch["sequences"]
        loss = tf.cast(self.nll(sequences, batch.get("labels"), training=training), "float32")
        return loss, tf.shape(sequences)[0]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss, batch_size = self._batch_nll(data, training=True)
        self.minimize(tape, {"optimizer": loss}, batch_size)
        return self.finish_step({"nll": loss, self.bits_metric: loss / _LN2})

    def test_step(self, data):
        loss, _ = self._batch_nll(data, training=False)
        return self.report({"nll": loss, self.bits_metric: loss / _LN2})

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
        """A sampling seed as an int32-sized int (`None` draws one)."""
        return resolve_seed(seed) % (2**31 - 1)

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
    _SEEDED_LOOP = ("the sampler draws each element with TF's stateless random ops keyed "
                    "by the `seed` input inside a while loop; {} cannot reproduce those "
                    "draws{}, so the exported file would not give `sample_ids`' samples. "
                    "Use format='saved_model' (its `serve(num, length, seed, "
                    "temperature)` loads without this package).")
    export_unsupported = {
        "tflite": _SEEDED_LOOP.format("TFLite builtins (no stateless RNG op)", ""),
        "onnx": _SEEDED_LOOP.format("ONNX (its RandomUniform/Multinomial are not "
                                     "TF's counter-based generator)",
                                     " and the char-RNN's text output is a string"),
    }

    def export_sampler(self, path, format="saved_model", quantize=None):
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

        Only `format="saved_model"`: "tflite" / "onnx" raise a ValueError saying
        why (`export_unsupported`); `quantize` applies to those formats only.
        """
        self._check_export(format, quantize)
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
        return self._write_export(archive, path, format, quantize)

    export_generator = export_sampler  # the name the CLI's `export` command calls
