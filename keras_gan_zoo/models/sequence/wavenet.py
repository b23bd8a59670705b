"""WaveNet (van den Oord et al. 2016): an autoregressive model of raw audio.

Each 8-bit mu-law sample is a 256-way softmax given all earlier samples. The
network is a stack of dilated causal convolutions of width 2 (dilations
1, 2, 4, ..., 512, repeated in blocks) with gated units `tanh(W_f x) * sigmoid(W_g x)`,
residual connections and skip connections summed into a ReLU - 1x1 - ReLU - 1x1
output head. Global conditioning (a speaker or class id h) adds `V_f h` and
`V_g h` to the filter and gate of every layer.

Every width-2 convolution is computed as one matrix product of the concatenated
`[x_(t-d), x_t]` rows, in training and in both sampling paths, so the two paths
do the same arithmetic row by row:

- `generate(..., fast=False)`: the naive path. Each step runs the network on the
  last `receptive_field` samples and samples from the last position's softmax.
- `generate(..., fast=True)` (default): Paine et al. 2016's fast generation. Each
  layer keeps a queue of its last `dilation` inputs (a ring buffer; all layers'
  buffers in one tensor, read with one gather and written with one scatter per
  step); a step computes one new column per layer, O(layers) instead of
  O(layers x receptive field).

Both run inside a `tf.while_loop` compiled by XLA (`jit_compile=True`; one program
per batch size and length), start from silence (an infinitely long history of
mu-law zero) and draw sample t with `stateless_categorical(seed=(seed, t))`: the
same seed gives identical samples on both paths (tested).
"""

import keras
import numpy as np
import tensorflow as tf

from keras_gan_zoo.models.sequence.base import SequenceModel
from keras_gan_zoo.registry import register_model


# ------------------------------------------------------------------ mu-law
def mu_law_encode(audio, quantization_channels=256):
    """Float audio in [-1, 1] -> int32 mu-law codes in [0, quantization_channels).

    `F(x) = sign(x) ln(1 + mu |x|) / ln(1 + mu)`, mu = channels - 1, then uniform
    quantisation of [-1, 1] into `channels` levels (code 128 of 256 is silence).
    Works on numpy arrays (returns numpy) and on tensors (returns a tensor).
    """
    mu = float(quantization_channels - 1)
    if isinstance(audio, (tf.Tensor, tf.Variable)):
        x = tf.clip_by_value(tf.cast(audio, tf.float32), -1.0, 1.0)
        signal = tf.sign(x) * tf.math.log1p(mu * tf.abs(x)) / np.log1p(mu)
        return tf.cast(tf.floor((signal + 1.0) / 2.0 * mu + 0.5), tf.int32)
    x = np.clip(np.asarray(audio, np.float64), -1.0, 1.0)
    signal = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    return np.floor((signal + 1.0) / 2.0 * mu + 0.5).astype(np.int32)


def mu_law_decode(codes, quantization_channels=256):
    """Inverse of `mu_law_encode`: int codes -> float32 audio in [-1, 1]."""
    mu = float(quantization_channels - 1)
    if isinstance(codes, (tf.Tensor, tf.Variable)):
        signal = 2.0 * tf.cast(codes, tf.float32) / mu - 1.0
        return tf.sign(signal) * (tf.pow(1.0 + mu, tf.abs(signal)) - 1.0) / mu
    signal = 2.0 * np.asarray(codes, np.float64) / mu - 1.0
    return (np.sign(signal) * ((1.0 + mu) ** np.abs(signal) - 1.0) / mu).astype(np.float32)


def _dense(units, name, dtype=None):
    return keras.layers.Dense(units, name=name, dtype=dtype,
                              kernel_initializer="glorot_uniform")


@register_model(
    "wavenet",
    tiny=dict(num_blocks=1, layers_per_block=3, residual_channels=8, dilation_channels=8,
              skip_channels=16, num_classes=2),
)
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class WaveNet(SequenceModel):
    """WaveNet: dilated causal convolutions, gated units, mu-law softmax output.

    Trained by `fit` on float audio in [-1, 1] of shape (batch, time) (mu-law
    encoded inside); reports `nll` in nats per sample and `bits_per_element`.

    Args:
        num_blocks: repetitions of the dilation cycle 1, 2, ..., 2^(layers_per_block-1).
        layers_per_block: layers per cycle (10: dilations up to 512).
        residual_channels: channels of the residual stream.
        dilation_channels: channels of the gated unit (filter and gate each).
        skip_channels: channels of the skip connections and the output head.
        quantization_channels: mu-law levels (256 in the paper: 8 bits).
        num_classes: `None`, or the number of speakers/classes for global
            conditioning (`fit(audio, labels)`, `generate(n, labels=...)`).
        sample_rate: sample rate of the training audio in Hz (metadata used when
            writing WAV files; the network itself is rate-agnostic).

    Example:
        >>> ds = kgz.datasets.load_audio("espeak_speech", batch_size=8,
        ...                              segment_length=4096, with_labels=True)
        >>> model = kgz.create_model("wavenet", num_classes=4, sample_rate=8000)
        >>> model.compile()
        >>> model.fit(ds, epochs=1)
        >>> audio = model.generate(2, length=8000, seed=0, labels=[0, 3])
        >>> model.write_wav("sample.wav", audio[0])

    Reference:
        van den Oord et al., WaveNet: A Generative Model for Raw Audio, arXiv:1609.03499.
        Paine et al., Fast Wavenet Generation Algorithm, arXiv:1611.09482.
    """

    input_kind = "audio"

    def __init__(self, num_blocks=2, layers_per_block=10, residual_channels=32,
                 dilation_channels=32, skip_channels=256, quantization_channels=256,
                 num_classes=None, sample_rate=16000, **kwargs):
        # Weights are read and cast explicitly (`_params`); no autocasting, so the
        # float32 logits layer keeps float32 weights under a mixed policy.
        kwargs.setdefault("autocast", False)
        super().__init__(num_symbols=quantization_channels, num_classes=num_classes, **kwargs)
        for key, value in (("num_blocks", num_blocks), ("layers_per_block", layers_per_block),
                           ("residual_channels", residual_channels),
                           ("dilation_channels", dilation_channels),
                           ("skip_channels", skip_channels), ("sample_rate", sample_rate)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{key} must be a positive int; got {value!r}.")
        self.num_blocks, self.layers_per_block = int(num_blocks), int(layers_per_block)
        self.residual_channels, self.dilation_channels = int(residual_channels), int(
            dilation_channels)
        self.skip_channels, self.sample_rate = int(skip_channels), int(sample_rate)
        self.quantization_channels = self.num_symbols
        self.dilations = [2**i for _ in range(self.num_blocks)
                          for i in range(self.layers_per_block)]
        q, r, d, s = self.num_symbols, self.residual_channels, self.dilation_channels, \
            self.skip_channels
        # The initial causal convolution (width 2) on one-hot samples is two lookups.
        self.embed_prev = keras.layers.Embedding(q, r, name="causal_prev")
        self.embed_cur = keras.layers.Embedding(q, r, name="causal_cur")
        self.gates = [_dense(2 * d, f"gate_{i}") for i in range(len(self.dilations))]
        self.skips = [_dense(s, f"skip_{i}") for i in range(len(self.dilations))]
        # The last layer's residual output feeds nothing: it has no residual 1x1.
        self.residuals = [_dense(r, f"residual_{i}") for i in range(len(self.dilations) - 1)]
        self.conditions = []
        if self.conditional:
            self.conditions = [keras.layers.Embedding(self.num_classes, 2 * d, name=f"cond_{i}")
                               for i in range(len(self.dilations))]
        self.head_hidden = _dense(s, "head_hidden")
        self.head_logits = _dense(q, "head_logits", dtype="float32")
        self._build_layers()

    def _build_layers(self):
        r, d, s = self.residual_channels, self.dilation_channels, self.skip_channels
        for layer in (self.embed_prev, self.embed_cur, *self.conditions):
            layer.build((None,))
        for layer in self.gates:
            layer.build((None, 2 * r))
        for layer in self.skips + self.residuals:
            layer.build((None, d))
        self.head_hidden.build((None, s))
        self.head_logits.build((None, s))
        self.built = True

    @property
    def receptive_field(self):
        """Samples that one output sees: sum of dilations + 2 (the width-2 input conv)."""
        return sum(self.dilations) + 2

    def get_config(self):
        return {"name": self.name, "num_blocks": self.num_blocks,
                "layers_per_block": self.layers_per_block,
                "residual_channels": self.residual_channels,
                "dilation_channels": self.dilation_channels,
                "skip_channels": self.skip_channels,
                "quantization_channels": self.quantization_channels,
                "num_classes": self.num_classes, "sample_rate": self.sample_rate}

    # ------------------------------------------------------------- network
    def _params(self):
        """Every weight read once (and cast to the compute dtype; the logits layer
        stays float32). Training, both samplers and the export use these tensors with
        the same ops, so a row of any matrix product is computed the same way."""
        dt = self.compute_dtype

        def affine(layer, dtype=dt):
            return tf.cast(layer.kernel, dtype), tf.cast(layer.bias, dtype)

        return {
            "prev": tf.cast(self.embed_prev.embeddings, dt),
            "cur": tf.cast(self.embed_cur.embeddings, dt),
            "gates": [affine(layer) for layer in self.gates],
            "skips": [affine(layer) for layer in self.skips],
            "residuals": [affine(layer) for layer in self.residuals],
            "conds": [tf.cast(layer.embeddings, dt) for layer in self.conditions],
            "hidden": affine(self.head_hidden),
            "logits": affine(self.head_logits, "float32"),
        }

    @staticmethod
    def _affine(x, kernel_bias):
        return tf.nn.bias_add(tf.matmul(x, kernel_bias[0]), kernel_bias[1])

    def _condition_biases(self, w, labels):
        """Per layer (B, 2 * dilation_channels) conditioning terms V h (or None)."""
        if not self.conditional:
            return [None] * len(self.dilations)
        return [tf.gather(table, labels) for table in w["conds"]]

    def _gated_unit(self, w, i, past, cur, cond):
        """One layer on rows: past = x_(t-d), cur = x_t, both (N, R) -> z (N, D)."""
        pre = self._affine(tf.concat([past, cur], axis=-1), w["gates"][i])
        if cond is not None:
            pre = pre + cond
        f, g = tf.split(pre, 2, axis=-1)
        return tf.tanh(f) * tf.sigmoid(g)

    def _head(self, w, skip_sum):
        hidden = tf.nn.relu(self._affine(tf.nn.relu(skip_sum), w["hidden"]))
        return self._affine(tf.cast(hidden, tf.float32), w["logits"])

    def _stack(self, w, codes, labels, last_only):
        """Runs the residual stack on (B, T) codes with causal zero padding.

        Returns the skip sum, (B * T, S) or (B, S) at the last position only, and
        the residual-stream input of every layer at the last position.
        """
        batch, time = tf.shape(codes)[0], tf.shape(codes)[1]
        emb_prev = tf.gather(w["prev"], codes)
        emb_prev = tf.pad(emb_prev, [[0, 0], [1, 0], [0, 0]])[:, :-1]  # x_(t-1), 0 at t=0
        x = emb_prev + tf.gather(w["cur"], codes)  # (B, T, R)
        conds = self._condition_biases(w, labels)
        skip_sum, layer_inputs = None, []
        for i, dilation in enumerate(self.dilations):
            layer_inputs.append(x[:, -1])
            past = tf.pad(x, [[0, 0], [dilation, 0], [0, 0]])[:, :time]
            cond = None if conds[i] is None else tf.repeat(conds[i], time, axis=0)
            z = self._gated_unit(w, i, tf.reshape(past, [batch * time, -1]),
                                 tf.reshape(x, [batch * time, -1]), cond)
            z_last = tf.reshape(z, [batch, time, -1])[:, -1] if last_only else z
            skip = self._affine(z_last, w["skips"][i])
            skip_sum = skip if skip_sum is None else skip_sum + skip
            if i < len(self.residuals):
                x = x + tf.reshape(self._affine(z, w["residuals"][i]), [batch, time, -1])
        return skip_sum, layer_inputs

    def call(self, audio, labels=None, training=False):
        """Logits (B, T, 256), float32: position t is p(x_(t+1) | x_<=t).

        Args:
            audio: float audio in [-1, 1], (B, T); or int32 mu-law codes.
            labels: int class ids (B,) for a conditional model.
        """
        audio = tf.convert_to_tensor(audio)
        codes = audio if audio.dtype.is_integer else mu_law_encode(audio, self.num_symbols)
        w = self._params()
        skip_sum, _ = self._stack(w, codes, labels, last_only=False)
        logits = self._head(w, skip_sum)
        return tf.reshape(logits, [tf.shape(codes)[0], tf.shape(codes)[1], self.num_symbols])

    def nll(self, audio, labels=None, training=False):
        codes = mu_law_encode(audio, self.num_symbols)
        logits = self(codes[:, :-1], labels, training=training)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=codes[:, 1:],
                                                                logits=logits)
        return tf.reduce_mean(losses)

    # ------------------------------------------------------------- sampling
    def _draw(self, logits, seed, t, temperature):
        sample = tf.random.stateless_categorical(
            tf.cast(logits, tf.float32) / temperature, 1, seed=tf.stack([seed, t]),
            dtype=tf.int32)
        return sample[:, 0]

    def _silence(self, n):
        return tf.fill([n], tf.constant(self.num_symbols // 2, tf.int32))

    def _sample_naive(self, labels_or_zeros, length, seed, temperature):
        """Naive path: the network on the last `receptive_field` samples per step."""
        n = tf.shape(labels_or_zeros)[0]
        labels = labels_or_zeros if self.conditional else None
        w = self._params()
        window = tf.tile(self._silence(n)[:, None], [1, self.receptive_field])
        out = tf.TensorArray(tf.int32, size=length)

        def body(t, window, out):
            skip_sum, _ = self._stack(w, window, labels, last_only=True)
            sample = self._draw(self._head(w, skip_sum), seed, t, temperature)
            window = tf.concat([window[:, 1:], sample[:, None]], axis=1)
            return t + 1, window, out.write(t, sample)

        _, _, out = tf.while_loop(lambda t, *_: t < length, body,
                                  (tf.constant(0), window, out))
        return tf.transpose(out.stack())

    def _sample_fast(self, labels_or_zeros, length, seed, temperature):
        """Fast path (Paine et al.): a queue of past inputs per layer, O(layers) a step."""
        n = tf.shape(labels_or_zeros)[0]
        labels = labels_or_zeros if self.conditional else None
        w = self._params()
        conds = self._condition_biases(w, labels)
        # The history is silence: each layer's input there is the value the network
        # computes at the end of a receptive field of silence (the same everywhere).
        silence = tf.tile(self._silence(n)[:, None], [1, self.receptive_field])
        _, rest = self._stack(w, silence, labels, last_only=True)
        # All layers' ring buffers in one tensor: layer i owns rows offsets[i] ..
        # offsets[i] + d_i - 1. A step's reads (inputs d_i positions back) are all
        # known when it starts: one gather; its writes are one scatter at the end.
        offsets = tf.constant(np.cumsum([0] + self.dilations[:-1]), tf.int32)
        dilations = tf.constant(self.dilations, tf.int32)
        queue = tf.concat([tf.tile(h[None], [d, 1, 1]) for h, d in zip(rest, self.dilations)],
                          axis=0)
        out = tf.TensorArray(tf.int32, size=length)

        def body(t, prev, cur, queue, out):
            # This step's input sits at position t - 1. Layer i's slot t mod d_i holds
            # its input at position t - 1 - d_i: read it, then overwrite it with t - 1.
            slots = offsets + tf.math.floormod(t, dilations)
            pasts = tf.unstack(tf.gather(queue, slots), num=len(self.dilations))
            x = tf.gather(w["prev"], prev) + tf.gather(w["cur"], cur)
            skip_sum, inputs = None, []
            for i in range(len(self.dilations)):
                inputs.append(x)
                z = self._gated_unit(w, i, pasts[i], x, conds[i])
                skip = self._affine(z, w["skips"][i])
                skip_sum = skip if skip_sum is None else skip_sum + skip
                if i < len(self.residuals):
                    x = x + self._affine(z, w["residuals"][i])
            queue = tf.tensor_scatter_nd_update(queue, slots[:, None], tf.stack(inputs))
            sample = self._draw(self._head(w, skip_sum), seed, t, temperature)
            return t + 1, cur, sample, queue, out.write(t, sample)

        loop = (tf.constant(0), self._silence(n), self._silence(n), queue, out)
        *_, out = tf.while_loop(lambda t, *_: t < length, body, loop)
        return tf.transpose(out.stack())

    # Set to False (before the first sampling call) to run the samplers as plain
    # TF graphs instead of XLA programs; the benchmark compares both.
    jit_sampling = True

    def _compiled(self, path):
        """The `fast` or `naive` sampling loop as one XLA program (`jit_compile=True`).

        XLA removes the per-op dispatch cost of the TF while loop, which dominates the
        fast path (~150 tiny ops per step): at batch 1 it runs over 10x faster than
        the same loop as a plain graph (docs/models/wavenet.md).

        Both paths are compiled the same way, so they keep giving identical samples
        (XLA's categorical draw and activations are used by both). XLA compiles one
        program per batch size and length (a few seconds, then cached).
        """
        fn = self._fns.__dict__.get(path)
        if fn is None:
            fn = tf.function(getattr(self, f"_sample_{path}"),
                             jit_compile=bool(self.jit_sampling),
                             input_signature=list(self._SAMPLER_SIGNATURE))
            setattr(self._fns, path, fn)
        return fn

    def _sample_graph(self, labels_or_zeros, length, seed, temperature):
        """The fast path (XLA-compiled unless `jit_sampling` is False): what
        `sample_ids` and the export run."""
        return self._compiled("fast")(labels_or_zeros, length, seed, temperature)

    def _served_outputs(self, ids):
        return {"ids": ids, "audio": mu_law_decode(ids, self.num_symbols)}

    def sample_ids(self, n, length, seed=None, labels=None, temperature=1.0, fast=True):
        """Samples mu-law codes (n, length) int32; `fast=False` takes the naive path."""
        if fast:
            return super().sample_ids(n, length, seed, labels, temperature)
        n, length = self._check_count(n), self._check_length(length)
        temperature = self._check_temperature(temperature)
        labels = self._labels_numpy(n, labels)
        first = labels if labels is not None else np.zeros((n,), "int32")
        naive = self._compiled("naive")
        return naive(tf.constant(first), tf.constant(length, tf.int32),
                     tf.constant(self._seed_value(seed), tf.int32),
                     tf.constant(temperature, tf.float32)).numpy()

    def generate(self, n, length=16000, seed=None, labels=None, temperature=1.0, fast=True):
        """Samples `n` waveforms of `length` samples: float32 numpy in [-1, 1].

        Args:
            n: number of waveforms.
            length: samples each (`length / sample_rate` seconds).
            seed: int; the same seed (and labels) gives the same audio on either path.
            labels: conditional models: one class for all or n class ids.
            temperature: softmax temperature (1 samples the model's distribution).
            fast: True for the queue-based fast path, False for the naive one.
        """
        codes = self.sample_ids(n, length, seed, labels, temperature, fast=fast)
        return mu_law_decode(codes, self.num_symbols)

    def write_wav(self, path, audio):
        """Writes one waveform in [-1, 1] as 16-bit PCM mono at `sample_rate`."""
        from keras_gan_zoo.datasets.audio import write_wav

        return write_wav(path, audio, self.sample_rate)
