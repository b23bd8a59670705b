"""File size, CPU latency and error of every export format of shipped generators.

For each pretrained generator (loaded offline from its packaged file) this exports
`serve` as a SavedModel and as TFLite / ONNX files in float32, float16 and dynamic
range int8 (`model.export_generator(path, format=, quantize=)`), then prints a
markdown table: the `serve` file's size, the median latency of one batch over
`--runs` calls (after a warm-up call) on this machine's CPU, and the max abs error
against the Keras generator (`generate` / `translate`) on the same inputs.

    python benchmarks/export_formats.py                  # the table of docs/exports.md
    python benchmarks/export_formats.py --names dcgan_fashion_mnist --batch 16 --runs 20

Formats a model cannot be exported to are listed with the reason's first words.
Needs the `export` extra: pip install "keras-gan-zoo[export]".
"""

import argparse
import os
import statistics
import tempfile
import time

import numpy as np

import keras_gan_zoo as kgz

DEFAULT_NAMES = ["dcgan_fashion_mnist", "cgan_mnist", "vae_mnist",
                 "pix2pix_fashion_mnist_edges", "stylegan2_fashion_mnist", "pixelcnn_mnist"]
VARIANTS = [("saved_model", None)] + [(f, q) for f in ("tflite", "onnx")
                                      for q in (None, "float16", "int8")]


def inputs_and_reference(model, batch, seed=0):
    """The `serve` inputs ({name: array}) and what the Keras model returns for them."""
    rng = np.random.default_rng(seed)
    if model.family == "translation":
        images = rng.uniform(-1, 1, (batch, *model.image_shape)).astype("float32")
        return {"images": images}, model.translate(images)
    if model.family == "autoregressive":
        noise = rng.uniform(0, 1, (batch, *model.image_shape[:2], model.groups)).astype("float32")
        inputs = {"noise": noise}
        labels = None
        if model.conditional:
            labels = inputs["labels"] = (np.arange(batch) % model.num_classes).astype("int32")
        return inputs, model.generate(batch, noise=noise, labels=labels)
    z = rng.standard_normal((batch, model.latent_dim)).astype("float32")
    inputs, kwargs = {"z": z}, {}
    if model.conditional:
        kwargs["labels"] = inputs["labels"] = (np.arange(batch) % model.num_classes
                                               ).astype("int32")
    return inputs, model.generate(batch, latents=z, **kwargs)


def runner(format, path, threads):
    """A callable: inputs dict -> `serve`'s output_0."""
    if format == "saved_model":
        import tensorflow as tf

        serve = tf.saved_model.load(path).signatures["serve"]
        return lambda feeds: serve(**{k: tf.constant(v) for k, v in feeds.items()}
                                   )["output_0"].numpy()
    if format == "onnx":
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        session = onnxruntime.InferenceSession(path, options,
                                               providers=["CPUExecutionProvider"])
        return lambda feeds: session.run(["output_0"], feeds)[0]
    from ai_edge_litert.interpreter import Interpreter

    run = Interpreter(path, num_threads=threads).get_signature_runner("serve")
    return lambda feeds: run(**feeds)["output_0"]


def size_of(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(root, f))
                   for root, _, files in os.walk(path) for f in files)
    return os.path.getsize(path)


def measure(name, args, tmp):
    """Rows (name, variant, size, ms, error, note, batch) of one pretrained name."""
    model = kgz.applications.load_generator(name)
    autoregressive = model.family == "autoregressive"  # one network call per sub-pixel
    batch = args.autoregressive_batch if autoregressive else args.batch
    runs = args.autoregressive_runs if autoregressive else args.runs
    threads = args.threads
    feeds, reference = inputs_and_reference(model, batch)
    rows = []
    for format, quantize in VARIANTS:
        label = format if quantize is None else f"{format} {quantize}"
        if format in getattr(model, "export_unsupported", {}):
            rows.append((name, label, None, None, None, "model.export_unsupported", batch))
            continue
        target = os.path.join(tmp, name, format if format == "saved_model" else "")
        started = time.perf_counter()
        path = model.export_generator(target, format=format, quantize=quantize)
        seconds_to_export = time.perf_counter() - started
        run = runner(format, path, threads)
        out = run(feeds)  # warm-up (and the error)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            run(feeds)
            times.append(time.perf_counter() - started)
        error = float(np.max(np.abs(np.asarray(out, "float64") - reference)))
        rows.append((name, label, size_of(path), statistics.median(times) * 1e3, error,
                     f"exported in {seconds_to_export:.0f} s", batch))
        print(f"  {name} {label}: done", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", nargs="*", default=DEFAULT_NAMES)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--autoregressive-batch", type=int, default=4,
                        help="batch of the autoregressive samplers")
    parser.add_argument("--autoregressive-runs", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names:
            rows += measure(name, args, tmp)
    print()
    print("| generator | format | `serve` file | batch | median latency | max abs error "
          "vs Keras | note |")
    print("|---|---|---:|---:|---:|---:|---|")
    for name, label, size, ms, error, note, batch in rows:
        if size is None:
            print(f"| {name} | {label} | - | - | - | - | not exportable ({note}) |")
            continue
        print(f"| {name} | {label} | {size / 1024:,.0f} KiB | {batch} | {ms:,.1f} ms | "
              f"{error:.1e} | {note} |")


if __name__ == "__main__":
    main()
