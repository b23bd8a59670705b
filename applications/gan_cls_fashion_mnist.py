"""Recipe: GAN-CLS + GAN-INT (Reed et al. 2016, arXiv:1605.05396) on Fashion-MNIST
captions (the `gan_cls_fashion_mnist` checkpoint).

    python applications/gan_cls_fashion_mnist.py --out runs/gan_cls_fashion_mnist

Defaults (see docs/models/gan_cls.md): `kgz.datasets.load("fashion_mnist_captions")`
(60,000 images, one of five template captions per image drawn each epoch), the model's
defaults (DCGAN networks, ngf = ndf = 64, z ~ N(0, 1)^100, word-level GRU text encoder
trained with the discriminator, INT weight 1, beta 0.5), batch 64, Adam(2e-4,
beta_1=0.5); trained until the FID stops improving: an FID check of 2,000 samples every
5 epochs, early stopping after 3 checks without improvement (restoring the best
check's weights), at most 100 epochs or 45 minutes.

Trained and written by `recipe.run` (applications/recipe.py), so the run has the shared
outputs and `--resume`; the samples of every measurement are drawn for captions of the
Fashion-MNIST test images (for sample j: a random test image and one of its five
captions, seeded: `publish.caption_source`) and compared with the 10,000 test images in the
features of the zoo's Fashion-MNIST domain classifier:
- `evaluation`: FID / KID / IS / classes found of `--eval_samples` samples of the generator
  file (`publish.measure`), the registry's numbers;
- `measurements` (on the checkpoint reloaded in float32): `class_accuracy`, the share of
  `--accuracy_samples` samples that the domain classifier puts in the class the caption
  names (per class, and per caption template: class name alone, + brightness, + size,
  + style, everything), and `attribute_agreement`: on samples of the "everything"
  captions, the share whose brightness / size / style, read from the pixels by the
  dataset's own rules (`kgz.datasets.captions.image_attributes`), is the one the caption
  asked for.

Outputs in `--out`: `gan_cls_fashion_mnist.keras` (the full model: generator, text
encoder, optimizer state; the tokenizer is rebuilt from the config),
`gan_cls_fashion_mnist_generator.fp16.weights.h5` (the generator and the text encoder with
float16 kernels: what `kgz.applications.load_generator` reads), `grid.png` (samples of that
file, one row per class-name caption, one latent per column), `samples/` and `metrics.json`
(the schema `applications/publish_run.py` reads).

`--finish` publishes a run written by the earlier version of this recipe (its own
metrics.json, no generator file): `python applications/gan_cls_fashion_mnist.py --finish
--out runs/gan_cls_fashion_mnist` (see `finish`).

Smoke test (about a minute): `python applications/gan_cls_fashion_mnist.py --limit 256
--epochs 1 --fid_every 0 --patience 0 --base_filters 4 --eval_samples 200
--accuracy_samples 100 --out runs/smoke_gan_cls`.
"""

import json
import os
import shlex
import sys

import keras
import numpy as np
from absl import app, flags

import recipe

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish
from keras_gan_zoo.datasets import captions as caption_data

FLAGS = flags.FLAGS
NAME = "gan_cls_fashion_mnist"
REFERENCE = "fashion_mnist"  # the images of the captioned dataset, for FID and the classifier


def evaluation_captions(n, seed):
    """`n` test-set captions `(captions, labels, columns, rows)`: for each sample a
    random test image (row) and one of its captions (column), seeded
    (`publish.evaluation_captions`, the protocol of every measurement)."""
    return publish.evaluation_captions(FLAGS.dataset, n, seed)


_TEST = {}


def _test_captions():
    if "data" not in _TEST:
        _TEST["data"] = caption_data.caption_arrays(FLAGS.dataset, "test")
    return _TEST["data"]


def class_accuracy(model):
    """Domain-classifier accuracy on samples of test captions, per class and per
    caption template, and the attributes of the "everything" captions."""
    classifier = kgz.metrics.load_domain_classifier(REFERENCE)
    captions, labels, columns, rows = evaluation_captions(FLAGS.accuracy_samples, FLAGS.seed)
    images = model.generate(len(captions), seed=FLAGS.seed, captions=captions)
    predicted = classifier.predict(images, batch_size=500, verbose=0).argmax(-1)
    hit = predicted == labels
    result = {
        "class_accuracy": round(float(hit.mean()), 4),
        "class_accuracy_per_class": [round(float(hit[labels == c].mean()), 3)
                                     if (labels == c).any() else None for c in range(10)],
        "class_accuracy_per_template": [round(float(hit[columns == k].mean()), 3)
                                        if (columns == k).any() else None
                                        for k in range(caption_data.NUM_CAPTIONS)],
        "templates": ["class name", "+ brightness", "+ size", "+ style", "everything"],
        "accuracy_samples": len(captions),
    }
    # Everything captions: does the sample have the brightness / size / style asked for?
    data = _test_captions()
    full = data.captions[rows, caption_data.NUM_CAPTIONS - 1].tolist()
    images = model.generate(len(full), seed=FLAGS.seed + 1, captions=full)
    read = caption_data.image_attributes(images, labels)
    result["attribute_agreement"] = {
        key: round(float(np.mean(read[key][has] == data.attributes[key][rows][has])), 4)
        for key in ("brightness", "size", "style")
        for has in [np.array([bool(v) for v in data.attributes[key][rows]])] if has.any()}
    return result


def measurements(model, out):
    """The `recipe.run` hook: `class_accuracy` of the float32 checkpoint (empty with
    `--accuracy_samples 0`)."""
    return class_accuracy(model) if FLAGS.accuracy_samples else {}


#: The rows of the grids: one per class, captioned by the class name alone.
GRID_CAPTIONS = list(caption_data.CLASS_CAPTION_NAMES)
#: Where `finish` keeps the metrics.json the earlier recipe wrote.
EARLIER_METRICS = "metrics.recipe.json"


def _command_flag(command, name, default):
    """The value of `--name` in a recipe command (`--name V` or `--name=V`), else `default`."""
    words = shlex.split(command)
    for i, word in enumerate(words):
        if word in (f"--{name}", f"-{name}") and i + 1 < len(words):
            return words[i + 1]
        if word.startswith((f"--{name}=", f"-{name}=")):
            return word.split("=", 1)[1]
    return default


def finish(out):
    """Makes a finished run of the earlier version of this recipe publishable.

    That version wrote `<out>/gan_cls_fashion_mnist.keras`, `grid.png` and a metrics.json of
    its own (FID / KID of the float32 checkpoint, no generator file). This does what
    `recipe.run` does after training, on the run's checkpoint (its sha256 must be the one its
    metrics.json recorded): reloads it in float32, writes the generator file
    (`publish.save_generator_weights`: generator and text encoder, float16 kernels), samples
    `grid.png` from that file, measures that file with `publish.measure` (`--eval_samples`
    samples, 10,000 by default, for captions of the test images, sampling seed: the run's
    `--seed`) and rewrites metrics.json in the schema of `recipe.run` that
    `applications/publish_run.py` reads. Everything else (training record, stopping, losses,
    `measurements`) is the run's own; its measurement of the checkpoint is kept as
    `checkpoint_evaluation` and its metrics.json as `metrics.recipe.json`. Applying it
    again measures again from `metrics.recipe.json`.

    Returns:
        The new metrics dict.
    """
    checkpoint = os.path.join(out, f"{NAME}.keras")
    metrics_path, earlier_path = (os.path.join(out, "metrics.json"),
                                  os.path.join(out, EARLIER_METRICS))
    source = earlier_path if os.path.exists(earlier_path) else metrics_path
    if not os.path.isfile(source) or not os.path.isfile(checkpoint):
        raise ValueError(f"--finish: {out} holds no finished run of this recipe (expected "
                         f"{checkpoint} and metrics.json).")
    with open(source, encoding="utf-8") as f:
        run = json.load(f)
    if run.get("recipe") != NAME or "generator" in run.get("files", {}):
        raise ValueError(f"--finish: {source} is not a run of the earlier {NAME} recipe (it "
                         "has a generator file already, or another recipe): nothing to finish.")
    recorded = run["files"]["model"]["sha256"]
    if publish.file_record(checkpoint)["sha256"] != recorded:
        raise ValueError(f"--finish: {checkpoint} is not the checkpoint {source} describes "
                         f"(sha256 {recorded}).")
    seed = int(_command_flag(run["command"], "seed", 0))
    keras.mixed_precision.set_global_policy("float32")
    model = keras.models.load_model(checkpoint)
    weights = publish.save_generator_weights(
        model, os.path.join(out, f"{NAME}_generator.fp16.weights.h5"))
    shipped = kgz.applications.build_from_weights(run["model"], model.get_config(), weights)
    grid = kgz.utils.save_grid(recipe.caption_rows(shipped, GRID_CAPTIONS, 10, seed),
                               os.path.join(out, "grid.png"), nrow=10)
    evaluation = publish.measure(shipped, run["dataset"], num_samples=FLAGS.eval_samples,
                                 seed=seed)
    if not os.path.exists(earlier_path):
        with open(metrics_path, "rb") as f:
            kgz.utils.atomic_write_bytes(earlier_path, f.read())
    metrics = {key: run.get(key) for key in (
        "recipe", "command", "model", "config", "dataset", "train_examples", "epochs", "steps",
        "stopping", "batch_size", "dtype_policy", "train_seconds", "train_cpu_seconds",
        "resumed", "machine", "final_losses", "finalize")}
    metrics.update({
        "evaluation": evaluation,
        "measurements": run.get("measurements"),
        "files": {"generator": publish.file_record(weights, packaged=True),
                  "model": publish.file_record(checkpoint, packaged=False)},
        # the earlier recipe's FID / KID of the float32 checkpoint (not the registry's)
        "checkpoint_evaluation": run.get("evaluation"),
        "finished": {"command": shlex.join(["python", os.path.relpath(sys.argv[0]),
                                            *sys.argv[1:]]),
                     "earlier_metrics": EARLIER_METRICS},
    })
    kgz.utils.atomic_write_bytes(metrics_path, json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))
    print(f"grid (one row per class-name caption, of the generator file): {grid}")
    publish.print_report(NAME, metrics, out)
    return metrics


def main(_):
    if FLAGS.finish:
        finish(FLAGS.out or os.path.join("runs", NAME))
        return
    recipe.run(NAME, "gan_cls", measurements=measurements, grid_captions=GRID_CAPTIONS,
               latent_dim=FLAGS.latent_dim, base_filters=FLAGS.base_filters,
               int_weight=FLAGS.int_weight)


if __name__ == "__main__":
    recipe.define_common_flags(epochs=100, batch_size=64, dataset="fashion_mnist_captions",
                               fid_every=5, patience=3, max_minutes=45.0)
    flags.DEFINE_integer("latent_dim", 100, "Size of z.")
    flags.DEFINE_integer("base_filters", 64, "ngf = ndf of the DCGAN networks.")
    flags.DEFINE_float("int_weight", 1.0, "Weight of the GAN-INT term (0: GAN-CLS alone).")
    flags.DEFINE_integer("accuracy_samples", 1000,
                         "Samples of test captions for the domain classifier's accuracy "
                         "(0: none).")
    flags.DEFINE_bool("finish", False,
                      "Publish the finished run in --out of the earlier version of this "
                      "recipe (its .keras and own metrics.json): write the generator file, "
                      "measure it on --eval_samples samples and rewrite metrics.json in the "
                      "shared schema; no training (see `finish`).")
    app.run(main)
