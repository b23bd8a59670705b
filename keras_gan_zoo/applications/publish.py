"""Making a checkpoint publishable: compact generator weights, file records, measurements.

The recipes in ``applications/`` call these after training; the registry's numbers
come from :func:`measure` run on the very file that ships.

Example:
    >>> from keras_gan_zoo.applications import publish
    >>> publish.save_generator_weights(model, "out/gan_mnist_generator.fp16.weights.h5")
    >>> publish.file_record("out/gan_mnist_generator.fp16.weights.h5")
    {'file': 'gan_mnist_generator.fp16.weights.h5', 'sha256': '...', 'size': 5030208}
    >>> publish.measure(model, "mnist", num_samples=10000)
    {'fid': ..., 'kid': ..., 'extractor': 'mnist', 'num_generated': 10000, ...}
"""

import os
import tempfile

import numpy as np

from keras_gan_zoo.utils.files import atomic_output, sha256_file

__all__ = ["MEASURED_METRICS", "file_record", "half_precision_weights", "latent_density",
           "load_generator_weights", "measure", "save_generator_weights"]

#: Arrays with at least this many float32 entries (kernels) are stored as float16.
HALF_PRECISION_MIN_SIZE = 1024

#: What :func:`measure` computes (names of :func:`keras_gan_zoo.metrics.evaluate`).
MEASURED_METRICS = ("fid", "kid", "is", "modes")


def half_precision_weights(source, destination, min_size=HALF_PRECISION_MIN_SIZE):
    """Copies a Keras ``.weights.h5`` file with its large float32 arrays in float16.

    Kernels (arrays of at least `min_size` entries) become float16, which halves the
    file; biases and normalization parameters stay float32. Keras casts the arrays
    back to the variables' dtype when loading (``load_weights``), so the file loads
    into the same architecture. An array that float16 cannot hold (non-finite after
    the cast) stays float32.

    Args:
        source: a ``.weights.h5`` file written by ``save_weights``.
        destination: the ``.weights.h5`` path to write (atomically).
        min_size: smallest array converted.

    Returns:
        The destination path.
    """
    import h5py

    def copy(src_group, dst_group):
        dst_group.attrs.update(src_group.attrs)
        for key, item in src_group.items():
            if isinstance(item, h5py.Group):
                copy(item, dst_group.create_group(key))
                continue
            value = item[()]
            if (isinstance(value, np.ndarray) and value.dtype == np.float32
                    and value.size >= min_size):
                half = value.astype(np.float16)
                if np.all(np.isfinite(half)):
                    value = half
            dataset = dst_group.create_dataset(key, data=value)
            dataset.attrs.update(item.attrs)

    destination = os.fspath(destination)
    with atomic_output(destination, suffix=".weights.h5") as tmp:
        with h5py.File(source, "r") as src, h5py.File(tmp, "w") as dst:
            copy(src, dst)
    return destination


#: Group of a generator file holding the latent density of a model that samples its
#: codes from a fitted density (the autoencoder's Gaussian mixture), float32.
LATENT_DENSITY_GROUP = "latent_density"
_DENSITY_ARRAYS = ("log_weights", "means", "cholesky", "fitted")


def latent_density(model):
    """The fitted code density `generate` samples (an autoencoder's
    ``LatentGaussianMixture``), or None for a model whose prior is fixed (N(0, I))."""
    from keras_gan_zoo.models.autoencoder import LatentGaussianMixture

    density = getattr(model, "density", None)
    return density if isinstance(density, LatentGaussianMixture) else None


def save_generator_weights(model, path):
    """Writes what samples images: ``model.generator``'s weights with float16 kernels
    (see :func:`half_precision_weights`) and, for a model that decodes codes drawn from a
    fitted density (the autoencoder), that density's parameters in float32 under the
    group ``latent_density`` (:func:`load_generator_weights` reads both back).
    `path` must end in ``.weights.h5``."""
    import h5py

    path = os.fspath(path)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"Generator weights files end in '.weights.h5'; got {path!r}.")
    density = latent_density(model)
    if density is not None and not float(density.fitted.numpy()):
        raise ValueError("The model's latent density is not fitted: call "
                         "fit_latent_density(training_data) before publishing its generator.")
    with tempfile.TemporaryDirectory() as scratch:
        full = os.path.join(scratch, "generator.weights.h5")
        model.generator.save_weights(full)
        if density is None:
            return half_precision_weights(full, path)
        half = half_precision_weights(full, os.path.join(scratch, "half.weights.h5"))
        with h5py.File(half, "a") as f:
            group = f.create_group(LATENT_DENSITY_GROUP)
            group.attrs["components"] = density.components
            group.attrs["latent_dim"] = density.latent_dim
            for key in _DENSITY_ARRAYS:
                group.create_dataset(key, data=np.asarray(getattr(density, key).numpy(),
                                                          dtype="float32"))
        with atomic_output(path, suffix=".weights.h5") as tmp:
            with open(half, "rb") as src, open(tmp, "wb") as dst:
                dst.write(src.read())
        return path


def load_generator_weights(model, path):
    """Loads a file of :func:`save_generator_weights` into `model` (built from the
    same config): the generator's weights and, if the model samples a fitted latent
    density, that density (the file must then carry it).

    Raises:
        ValueError: the file lacks the density the model needs, or its shapes differ.
    """
    import h5py

    model.generator.load_weights(path)
    density = latent_density(model)
    if density is None:
        return model
    with h5py.File(path, "r") as f:
        if LATENT_DENSITY_GROUP not in f:
            raise ValueError(f"{os.path.basename(os.fspath(path))} has no "
                             f"{LATENT_DENSITY_GROUP!r} group: {type(model).__name__} samples "
                             "its codes from the fitted mixture saved there.")
        group = f[LATENT_DENSITY_GROUP]
        for key in _DENSITY_ARRAYS:
            variable, value = getattr(density, key), group[key][()]
            if tuple(variable.shape) != tuple(value.shape):
                raise ValueError(f"latent density {key}: the file has shape {value.shape}, "
                                 f"the model {tuple(variable.shape)}.")
            variable.assign(value.astype("float32"))
    return model


def file_record(path, packaged=False):
    """``{"file", "sha256", "size", "packaged"}`` of a file, for the registry."""
    return {"file": os.path.basename(path), "sha256": sha256_file(path),
            "size": os.path.getsize(path), "packaged": bool(packaged)}


def conditional_source(model):
    """A ``fn(n, seed)`` drawing samples of a conditional `model` with labels cycling
    over its classes: the protocol of every measurement of a conditional model."""
    def generate(n, seed=None):
        return model.generate(n, seed=seed, labels=np.arange(n) % model.num_classes)
    return generate


def measure(model, dataset, num_samples=10000, seed=0, extractor=None, num_real=None,
            metrics=MEASURED_METRICS, batch_size=256):
    """FID / KID / IS / classes found of a generator, recorded with how they were measured.

    The protocol of the registry's numbers: `num_samples` generated images (sampling
    seed `seed`; a conditional model's labels cycle 0, 1, ..., K-1) against the images
    of the dataset's test split (all of them unless `num_real`), both in the features
    of `extractor` (default: the dataset's shipped domain classifier,
    :func:`keras_gan_zoo.metrics.default_extractor`).

    Args:
        model: a zoo model (``generate``), e.g. from ``load_generator``.
        dataset: the zoo dataset the model was trained on.
        num_samples: generated images.
        seed: sampling seed.
        extractor: feature extractor name (default: the dataset's default).
        num_real: real test images (None: the whole test split), a seeded random subset.
        metrics: names for :func:`keras_gan_zoo.metrics.evaluate`.
        batch_size: images per batch.

    Returns:
        The metrics (rounded to 4 decimals) plus ``extractor``, ``num_generated``,
        ``num_real``, ``real`` (dataset/split), ``seed`` and ``labels``.
    """
    from keras_gan_zoo import metrics as kgz_metrics

    extractor = extractor or kgz_metrics.default_extractor(dataset)
    real = kgz_metrics.real_statistics(dataset, "test", extractor, num_samples=num_real,
                                       seed=0, batch_size=batch_size)
    conditional = bool(getattr(model, "conditional", False))
    source = conditional_source(model) if conditional else model
    scores = kgz_metrics.evaluate(source, real, metrics=metrics, extractor=extractor,
                                  num_samples=int(num_samples), batch_size=batch_size, seed=seed)
    result = {key: (int(value) if key == "classes_found" else round(float(value), 4))
              for key, value in scores.items()}
    result.update({
        "extractor": str(extractor),
        "num_generated": int(num_samples),
        "num_real": int(real.count),
        "real": f"{dataset}/test",
        "seed": seed,
        "labels": f"cycling 0..{model.num_classes - 1}" if conditional else None,
    })
    return result
