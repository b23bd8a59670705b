"""Recipe: the character-level LSTM on a text (the run in docs/models/char_rnn.md).

    python applications/char_rnn_text.py --epochs 5 --out runs/char_rnn_python_docs
    python applications/char_rnn_text.py --text my_book.txt

Defaults are the documented run: the offline `python_docs` corpus (CPython's
documentation topics, shipped with Python), the last 10% held out, windows of
100 characters in batches of 64, 2 LSTM layers of 512 units, char-rnn's
RMSprop(2e-3, rho 0.95) with gradients clipped to 5, bf16 on a CPU with native
bf16. It writes the checkpoint, `metrics.json` (held-out bits per character read
as a continuous stream) and text samples at several temperatures.
"""

import json
import os
import time

from absl import app, flags

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish

flags.DEFINE_string("text", "python_docs", "A text file, or the python_docs corpus.")
flags.DEFINE_integer("epochs", 5, "Training epochs.")
flags.DEFINE_integer("batch_size", 64, "Windows per batch.")
flags.DEFINE_integer("seq_length", 100, "Characters per window (truncated BPTT length).")
flags.DEFINE_integer("hidden_units", 512, "LSTM units per layer.")
flags.DEFINE_integer("num_layers", 2, "LSTM layers.")
flags.DEFINE_float("dropout", 0.0, "Dropout on the LSTM outputs.")
flags.DEFINE_float("holdout", 0.1, "Fraction of the text (its end) held out.")
flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"], "Precision policy.")
flags.DEFINE_integer("seed", 0, "Data order and sampling seed.")
flags.DEFINE_string("prime", "The ", "Text the samples start from.")
flags.DEFINE_integer("sample_length", 400, "Characters per sample.")
flags.DEFINE_string("out", None, "Output directory (default runs/char_rnn_<text>).")
FLAGS = flags.FLAGS


def main(_):
    f = FLAGS
    name = os.path.splitext(os.path.basename(f.text))[0]
    out = f.out or os.path.join("runs", f"char_rnn_{name}")
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(f.precision)
    text = kgz.datasets.load_text(f.text)
    vocabulary = kgz.datasets.build_vocabulary(text)  # over the whole text, as char-rnn does
    train, test = kgz.datasets.split_text(text, f.holdout)
    data = kgz.datasets.char_dataset(train, vocabulary, f.seq_length, f.batch_size, seed=f.seed)
    valid = kgz.datasets.char_dataset(test, vocabulary, f.seq_length, f.batch_size,
                                      shuffle=False, drop_remainder=False)
    model = kgz.create_model("char_rnn", vocabulary=vocabulary, hidden_units=f.hidden_units,
                             num_layers=f.num_layers, dropout=f.dropout)
    model.compile()
    checkpoint = os.path.join(out, f"char_rnn_{name}.keras")
    start = time.perf_counter()
    history = model.fit(data, epochs=f.epochs, validation_data=valid, verbose=2,
                        callbacks=[kgz.callbacks.TrainingCheckpoint(checkpoint)])
    train_seconds = time.perf_counter() - start
    held_out = model.evaluate_text(test)
    model.generate(5, prime=f.prime, seed=f.seed)  # traces the sampling loop
    samples = {}
    for temperature in (0.5, 0.8, 1.0):
        start = time.perf_counter()
        sample = model.generate(f.sample_length, prime=f.prime, temperature=temperature,
                                seed=f.seed)
        samples[str(temperature)] = {"text": sample, "chars_per_second": round(
            f.sample_length / (time.perf_counter() - start), 1)}
        kgz.utils.atomic_write_bytes(os.path.join(out, f"sample_t{temperature}.txt"),
                                     sample.encode())
    metrics = {
        "recipe": "char_rnn_text", "text": f.text, "characters": len(text),
        "vocabulary_size": len(vocabulary), "train_characters": len(train),
        "test_characters": len(test), "config": model.get_config(), "dtype_policy": policy,
        "epochs": f.epochs, "batch_size": f.batch_size, "seq_length": f.seq_length,
        "train_seconds": round(train_seconds, 1),
        "machine": publish.machine_description(),
        "history": {k: [round(float(x), 4) for x in v] for k, v in history.history.items()},
        "test_bits_per_char": held_out["bits_per_char"], "test_nll": held_out["nll"],
        "samples": samples,
    }
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    app.run(main)
