"""MetricMonitor: sample-quality metrics inside `fit`, written into `logs`."""

import keras
import numpy as np

SUMMARY_GRID_SAMPLES = 64


class MetricMonitor(keras.callbacks.Callback):
    """Computes FID / KID / IS / precision-recall / mode counts every few epochs.

    The values are written into the epoch's `logs` dict, so History, the progress
    bar, `EarlyStopping(monitor="fid")`, `ModelCheckpoint(monitor="fid")` and
    `TensorBoard` see them: list those callbacks AFTER the monitor. Real-data
    features are computed once and cached; each evaluation generates
    `num_samples` images batch by batch from fixed seeds.

    Args:
        metrics: names among `"fid"`, `"kid"`, `"is"`, `"pr"` (precision and recall)
            and `"modes"` (classes found in the samples by the classifier and the
            entropy of their distribution: a mode-collapse signal).
        dataset: name of the real dataset (`keras_gan_zoo.datasets`).
        split: its split used as the reference (`"test"` keeps train data out).
        extractor: feature extractor name or instance; default: the dataset's
            domain classifier when the zoo ships one, else `"inception_v3"`
            (`metrics.default_extractor`: a padded dataset such as
            `"fashion_mnist_32"` is measured on its content, the unpadded center of
            the samples and of the real images).
        every: evaluate every this many epochs (the last epoch too).
        num_samples: generated (and real) images per evaluation.
        seed: seed of the generated samples (fixed: evaluations are comparable).
        batch_size: images per generator / extractor call.
        prefix: prepended to the log keys (e.g. `"val_"`).
        log_dir: if set, a TensorBoard writer there receives the metrics and an
            image summary of a sample grid at every evaluation.

    Example:
        >>> model.fit(ds, epochs=20, callbacks=[
        ...     kgz.callbacks.MetricMonitor(["fid", "modes"], dataset="fashion_mnist",
        ...                                 every=2, num_samples=5000),
        ...     keras.callbacks.EarlyStopping(monitor="fid", mode="min", patience=3)])
    """

    def __init__(
        self,
        metrics=("fid", "kid"),
        dataset="fashion_mnist",
        split="test",
        extractor=None,
        every=1,
        num_samples=5000,
        seed=0,
        batch_size=256,
        prefix="",
        log_dir=None,
    ):
        super().__init__()
        from keras_gan_zoo import metrics as metrics_lib

        if isinstance(metrics, str):
            metrics = [metrics]
        unknown = set(metrics) - set(metrics_lib.METRICS)
        if unknown or not metrics:
            raise ValueError(
                f"Unknown metrics {sorted(unknown)}; choose from {list(metrics_lib.METRICS)}."
            )
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int; got {every!r}.")
        if not isinstance(num_samples, int) or num_samples < 2:
            raise ValueError(f"num_samples must be an int >= 2; got {num_samples!r}.")
        self.metric_names = tuple(metrics)
        self.dataset = dataset
        self.split = split
        self.extractor = extractor or metrics_lib.default_extractor(dataset)
        self.every = every
        self.num_samples = num_samples
        self.seed = seed
        self.batch_size = batch_size
        self.prefix = prefix
        self.log_dir = log_dir
        self.history = []
        self._writer = None
        self._epochs = None

    def on_train_begin(self, logs=None):
        if not hasattr(self.model, "generate"):
            raise TypeError(
                f"MetricMonitor needs a model with generate(n, seed=...); "
                f"{type(self.model).__name__} has none."
            )
        self._epochs = self.params.get("epochs")

    def evaluate(self):
        """Runs the evaluation now and returns `{name: value}` (without prefix)."""
        from keras_gan_zoo import metrics as metrics_lib

        real = metrics_lib.real_statistics(self.dataset, self.split, self.extractor,
                                           self.num_samples, self.seed)
        return metrics_lib.evaluate(
            self.model, real, metrics=self.metric_names, extractor=self.extractor,
            num_samples=self.num_samples, batch_size=self.batch_size, seed=self.seed,
        )

    def on_epoch_end(self, epoch, logs=None):
        finished = epoch + 1
        if finished % self.every and finished != self._epochs:
            return
        results = self.evaluate()
        self.history.append({"epoch": finished, **results})
        if logs is not None:
            logs.update({self.prefix + name: value for name, value in results.items()})
        if self.log_dir:
            self._write_summaries(finished, results)

    def _write_summaries(self, step, results):
        import tensorflow as tf

        from keras_gan_zoo.utils.images import make_grid

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        grid = make_grid(self.model.generate(SUMMARY_GRID_SAMPLES, seed=self.seed))
        with self._writer.as_default():
            for name, value in results.items():
                tf.summary.scalar(self.prefix + name, value, step=step)
            tf.summary.image(self.prefix + "samples", grid[np.newaxis], step=step)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
