"""PixelRNN (van den Oord, Kalchbrenner & Kavukcuoglu 2016): Row LSTM and
Diagonal BiLSTM layers.

Both are two-dimensional LSTMs whose input-to-state part is a masked convolution
over the whole layer input (computed at once) and whose state-to-state part is a
convolution over the previous step's hidden states:

- **Row LSTM** processes the image row by row. Input-to-state: a 1 x k masked
  (mask B) convolution along the row; state-to-state: a 1-D convolution of width k
  over the previous row's hidden states. Its context is a triangle above the pixel.
- **Diagonal BiLSTM** processes the image diagonal by diagonal. The input map is
  skewed (row r shifted right by r), so diagonals become columns; input-to-state is
  a 1x1 masked convolution, state-to-state a convolution of size 2 along the
  column (the states above and at the same row of the previous diagonal, i.e. the
  pixel above and the pixel to the left). One direction runs on the image, the
  other on its mirror image; the mirrored output is shifted down by one row (it
  would otherwise see the rest of the current row) and added. The context is the
  whole past: every pixel above and to the left.

  One detail the paper leaves open: after the first, mask-A convolution, the
  features at a position carry the pixels BEFORE it, so the last pixel of row
  r - 1 first appears in the features of row r, which the pixels at the left of
  row r cannot read. A mirrored direction reading only features therefore misses
  that pixel. Here the mirrored direction also reads the image itself (unmasked:
  its output is shifted down a row anyway), which closes the gap;
  `tests/test_autoregressive.py` checks that every output depends on every
  earlier pixel.

Network (PixelRNN paper, table 1 and figure 5): a 7x7 mask-A convolution to 2h
features, `num_layers` LSTM layers of h units, each followed by a 1x1 mask-B
convolution back to 2h and a residual connection, then ReLU + 1x1 mask-B layers to
the logits. The recurrences are unrolled over the (static) rows or diagonals.
"""

import keras
import tensorflow as tf

from keras_gan_zoo.layers.masked_conv import MaskedConv2D, shift_down
from keras_gan_zoo.models.autoregressive.base import AutoregressiveModel
from keras_gan_zoo.registry import register_model

RNN_TYPES = ("row_lstm", "diagonal_bilstm")


def _lstm_update(z, c):
    """One LSTM step from pre-activations z = [i, f, o, g] and the cell state c."""
    i, f, o, g = tf.split(z, 4, axis=-1)
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    return tf.sigmoid(o) * tf.tanh(c), c


def skew(x):
    """(B, H, W, F) -> (B, H, W + H - 1, F): row r shifted right by r.

    Reshape trick: rows padded to W + H and read back in rows of W + H - 1 put
    pixel (r, c) at (r, r + c); no per-row slices (their gradients are slow).
    """
    _, height, width, features = x.shape
    flat = tf.reshape(tf.pad(x, [[0, 0], [0, 0], [0, height], [0, 0]]),
                      [-1, height * (width + height), features])
    flat, _ = tf.split(flat, [height * (width + height - 1), height], axis=1)
    return tf.reshape(flat, [-1, height, width + height - 1, features])


def unskew(x, width):
    """Inverse of `skew`: (B, H, W + H - 1, F) -> (B, H, W, F)."""
    _, height, skewed, features = x.shape
    flat = tf.pad(tf.reshape(x, [-1, height * skewed, features]), [[0, 0], [0, height], [0, 0]])
    rows = tf.reshape(flat, [-1, height, width + height, features])
    return tf.split(rows, [width, height], axis=2)[0]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class RowLSTM(keras.layers.Layer):
    """Row LSTM: masked 1 x k input-to-state, width-k state-to-state over the row above.

    Args:
        units: h, hidden units (output features).
        kernel_size: k of both convolutions (paper: 3).
        channel_groups: colour channels modelled in order (input-to-state masking).
    """

    def __init__(self, units, kernel_size=3, channel_groups=1, **kwargs):
        super().__init__(**kwargs)
        self.units, self.kernel_size, self.channel_groups = units, kernel_size, channel_groups
        self.input_to_state = MaskedConv2D(4 * units, (1, kernel_size), "B", channel_groups,
                                           output_blocks=4, name="input_to_state")
        self.state_to_state = keras.layers.Conv1D(4 * units, kernel_size, padding="same",
                                                  use_bias=False, name="state_to_state")

    def build(self, input_shape):
        self.input_to_state.build(input_shape)
        self.state_to_state.build((None, input_shape[2], self.units))

    def call(self, x):
        steps = tf.unstack(self.input_to_state(x), axis=1)  # rows (B, W, 4h)
        h = tf.zeros_like(tf.split(steps[0], 4, axis=-1)[0])
        c, rows = h, []
        for z_in in steps:
            h, c = _lstm_update(z_in + self.state_to_state(h), c)
            rows.append(h)
        return tf.stack(rows, axis=1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "kernel_size": self.kernel_size,
                "channel_groups": self.channel_groups}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class DiagonalLSTM(keras.layers.Layer):
    """One direction of the Diagonal BiLSTM (left to right, top to bottom).

    Args:
        units: h, hidden units.
        channel_groups: colour channels modelled in order.
        masked: mask the 1x1 input-to-state convolution (mask B). The mirrored
            direction, whose output is shifted down a row, needs no mask.
    """

    def __init__(self, units, channel_groups=1, masked=True, **kwargs):
        super().__init__(**kwargs)
        self.units, self.channel_groups, self.masked = units, channel_groups, masked
        if masked:
            self.input_to_state = MaskedConv2D(4 * units, 1, "B", channel_groups,
                                               output_blocks=4, name="input_to_state")
        else:
            self.input_to_state = keras.layers.Conv2D(4 * units, 1, name="input_to_state")
        # Along a skewed column: the state of the row above and of the same row.
        self.state_to_state = keras.layers.Conv1D(4 * units, 2, padding="causal",
                                                  use_bias=False, name="state_to_state")

    def build(self, input_shape):
        self.input_to_state.build(input_shape)
        self.state_to_state.build((None, input_shape[1], self.units))

    def call(self, x):
        width = x.shape[2]
        steps = tf.unstack(skew(self.input_to_state(x)), axis=2)  # diagonals (B, H, 4h)
        h = tf.zeros_like(tf.split(steps[0], 4, axis=-1)[0])
        c, columns = h, []
        for z_in in steps:
            h, c = _lstm_update(z_in + self.state_to_state(h), c)
            columns.append(h)
        return unskew(tf.stack(columns, axis=2), width)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "channel_groups": self.channel_groups, "masked": self.masked}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class DiagonalBiLSTM(keras.layers.Layer):
    """Diagonal BiLSTM: two diagonal LSTMs, the mirrored one shifted down a row.

    Called on `[features, image]`: the mirrored (right-to-left) direction reads the
    image too. Its output at row r is used for row r + 1 only, so it may see all of
    row r; without the image it would miss the last pixel of the previous row, which
    mask-A features carry only to later rows (see the module docstring).
    """

    def __init__(self, units, channel_groups=1, **kwargs):
        super().__init__(**kwargs)
        self.units, self.channel_groups = units, channel_groups
        self.left_to_right = DiagonalLSTM(units, channel_groups, name="left_to_right")
        self.right_to_left = DiagonalLSTM(units, channel_groups, masked=False,
                                          name="right_to_left")

    def build(self, input_shape):
        features, image = input_shape
        self.left_to_right.build(features)
        self.right_to_left.build((*features[:3], features[3] + image[3]))

    def call(self, inputs):
        x, image = inputs
        left = self.left_to_right(x)
        mirrored = tf.reverse(tf.concat([x, tf.cast(image, x.dtype)], axis=-1), axis=[2])
        right = tf.reverse(self.right_to_left(mirrored), axis=[2])
        # Row r of `right` has seen all of row r: use it for row r + 1.
        return left + shift_down(right)

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:3], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "channel_groups": self.channel_groups}


def pixelrnn_network(image_shape, groups, units, rnn="diagonal_bilstm", hidden=16,
                     num_layers=7, kernel_size=3, first_kernel_size=7, output_filters=64):
    """PixelRNN: images (B, H, W, C) -> logits (B, H, W, groups * units).

    Args:
        rnn: "row_lstm" or "diagonal_bilstm".
        hidden: h, the LSTM units (the residual stream has 2h features).
        num_layers: LSTM layers.
        kernel_size: k of the Row LSTM's convolutions.
        first_kernel_size: the first (mask A) convolution.
        output_filters: width of the hidden 1x1 output layer.
    """
    if rnn not in RNN_TYPES:
        raise ValueError(f"rnn must be one of {RNN_TYPES}; got {rnn!r}.")
    if hidden < groups:
        raise ValueError(f"hidden must be >= {groups} (one unit per channel group); got {hidden}.")
    inputs = keras.Input(tuple(image_shape), name="pixels")
    x = MaskedConv2D(2 * hidden, first_kernel_size, "A", groups, name="conv_a")(inputs)
    for i in range(num_layers):
        if rnn == "row_lstm":
            y = RowLSTM(hidden, kernel_size, groups, name=f"row_lstm{i}")(x)
        else:
            y = DiagonalBiLSTM(hidden, groups, name=f"diagonal_bilstm{i}")([x, inputs])
        y = MaskedConv2D(2 * hidden, 1, "B", groups, name=f"residual{i}")(y)
        x = keras.layers.Add()([x, y])
    x = keras.layers.ReLU()(x)
    x = MaskedConv2D(output_filters, 1, "B", groups, name="output_hidden")(x)
    x = keras.layers.ReLU()(x)
    logits = MaskedConv2D(groups * units, 1, "B", groups, dtype="float32", name="logits")(x)
    return keras.Model(inputs, logits, name=f"pixelrnn_{rnn}")


_TINY = dict(image_shape=(8, 8, 1), hidden=4, num_layers=1, output_filters=8,
             first_kernel_size=5)


@register_model("pixelrnn_row_lstm", tiny={**_TINY, "rnn": "row_lstm"}, rnn="row_lstm")
@register_model("pixelrnn", tiny={**_TINY, "rnn": "diagonal_bilstm"}, rnn="diagonal_bilstm")
@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class PixelRNN(AutoregressiveModel):
    """PixelRNN: masked convolutions around Row LSTM or Diagonal BiLSTM layers.

    Registered as `pixelrnn` (Diagonal BiLSTM) and `pixelrnn_row_lstm` (Row LSTM).

    Args:
        image_shape: (height, width, channels).
        output: "categorical" (256-way softmax per channel), "bernoulli" (the paper's
            binarised MNIST) or "palette".
        rnn: "diagonal_bilstm" (full context) or "row_lstm" (triangular context).
        hidden: h, LSTM units per layer (paper, MNIST: 16 with 7 layers).
        num_layers: LSTM layers (paper, MNIST: 7).
        kernel_size: k of the Row LSTM's input-to-state and state-to-state convs (3).
        first_kernel_size: the first, mask-A convolution (7).
        output_filters: width of the hidden 1x1 output layer.
        palette, palette_size, seed: see `AutoregressiveModel`.
        **kwargs: `keras.Model` arguments (`name`).

    Example:
        >>> model = kgz.create_model("pixelrnn", image_shape=(28, 28, 1), output="bernoulli")
        >>> model.compile()
        >>> model.fit(kgz.datasets.load("mnist", batch_size=16), epochs=5)

    Reference:
        van den Oord, Kalchbrenner & Kavukcuoglu, Pixel Recurrent Neural Networks,
        arXiv:1601.06759 (sections 3.1-3.3).
    """

    def __init__(self, image_shape=(28, 28, 1), output="categorical", rnn="diagonal_bilstm",
                 hidden=16, num_layers=7, kernel_size=3, first_kernel_size=7,
                 output_filters=64, palette=None, palette_size=16, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, output=output, palette=palette,
                         palette_size=palette_size, seed=seed, **kwargs)
        self.rnn = rnn
        self.hidden = int(hidden)
        self.num_layers = int(num_layers)
        self.kernel_size = int(kernel_size)
        self.first_kernel_size = int(first_kernel_size)
        self.output_filters = int(output_filters)
        self.network = pixelrnn_network(
            self.image_shape, self.groups, self.units, rnn, self.hidden, self.num_layers,
            self.kernel_size, self.first_kernel_size, self.output_filters)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "rnn": self.rnn, "hidden": self.hidden,
                "num_layers": self.num_layers, "kernel_size": self.kernel_size,
                "first_kernel_size": self.first_kernel_size,
                "output_filters": self.output_filters}
