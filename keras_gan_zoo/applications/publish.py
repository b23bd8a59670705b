"""Making a checkpoint publishable: compact generator weights, file records, measurements,
registry records and model-card text.

The recipes in ``applications/`` call these after training; the registry's numbers
come from :func:`measure` (a next-frame model's from :func:`measure_next_frame`) run on the
very file that ships. :func:`registry_entry` turns a
recipe run's metrics.json into its registry record, :func:`write_entry` writes that record
as ``weights/<name>.json``, :func:`card_rows` gives the rows of the card's "Pretrained"
table and :func:`training_record` the card's *Training record* (the run's curve and
provenance, which the JSON record leaves out); ``applications/publish_run.py`` applies
them to the repo.

Example:
    >>> from keras_gan_zoo.applications import publish
    >>> publish.save_generator_weights(model, "out/gan_mnist_generator.fp16.weights.h5")
    >>> publish.file_record("out/gan_mnist_generator.fp16.weights.h5")
    {'file': 'gan_mnist_generator.fp16.weights.h5', 'sha256': '...', 'size': 5030208}
    >>> publish.measure(model, "mnist", num_samples=10000)
    {'fid': ..., 'kid': ..., 'extractor': 'mnist', 'num_generated': 10000, ...}
"""

import json
import math
import os
import tempfile
import time

import numpy as np

from keras_gan_zoo.applications import registry
from keras_gan_zoo.utils.files import atomic_output, atomic_write_bytes, sha256_file

__all__ = ["CURVE_KEYS", "MEASURED_METRICS", "PROJECT_MACHINE", "PROVENANCE_PREFIX",
           "TRAINING_RECORD_HEADING", "card_rows", "caption_protocol", "caption_source",
           "entry_json", "evaluation_captions", "file_record", "half_precision_weights",
           "latent_density", "load_generator_weights", "machine_description", "measure",
           "measure_next_frame", "next_frame_table", "print_report", "published_command",
           "recipe_command", "reference_dataset", "registry_entry",
           "sampling_network", "sampling_state", "save_generator_weights", "sequence_networks",
           "text_encoder_network", "training_curves", "training_record", "translation_table",
           "translator_networks", "write_entry", "BASELINES_HEADING", "NEXT_FRAME_HEADING"]

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
    from keras_gan_zoo.models.autoencoding.autoencoder import LatentGaussianMixture

    density = getattr(model, "density", None)
    return density if isinstance(density, LatentGaussianMixture) else None


#: The group of a generator file holding its :func:`sampling_state`.
SAMPLING_STATE_GROUP = "sampling_state"
#: Model variables outside the sampling network that `generate` reads: ProGAN's
#: `images_seen` (its level of detail: without it a shipped model would sample its 4x4
#: start) and the style-based models' `w_avg` (the center of the truncation trick).
SAMPLING_STATE = ("images_seen", "w_avg")


def sampling_state(model):
    """``{name: variable}`` of the :data:`SAMPLING_STATE` variables `model` has: what a
    generator file carries beside the network's weights (in float32 / int64, under the
    group ``sampling_state``) so the shipped model samples as the trained one."""
    import keras

    return {name: getattr(model, name) for name in SAMPLING_STATE
            if isinstance(getattr(model, name, None), keras.Variable)}


#: The group of a text-conditional model's generator file holding its text encoder's
#: weights (float16 kernels, laid out as ``text_encoder.save_weights`` writes them).
TEXT_ENCODER_GROUP = "text_encoder"


def text_encoder_network(model):
    """The network that turns a text-conditional model's captions (``condition_kind ==
    "text"``: GAN-CLS) into the embeddings its generator reads, ``model.text_encoder``; None
    for any other model. A generator file of such a model carries its weights (group
    ``text_encoder``) beside the generator's: without them ``generate(captions=...)`` of a
    shipped model would embed captions with a freshly initialized encoder. The vocabulary
    and tokenizer have no weights: the config rebuilds them."""
    if getattr(model, "condition_kind", None) != "text":
        return None
    return model.text_encoder


def _copy_h5(source, destination):
    """Copies the groups, datasets and attributes of the open h5 group `source` into the
    open h5 group `destination`."""
    destination.attrs.update(source.attrs)
    for key in source.keys():
        source.copy(source[key], destination, name=key)


def sampling_network(model, use_ema=True):
    """The network whose weights a generator file holds: ``model.generator`` (a GAN's
    generator, the decoder of the autoencoding models) or, for an autoregressive model,
    ``model.network``, the causal network that both scores and samples. (A translator's
    file holds its :func:`translator_networks` instead.)

    For an adversarial model trained with a generator EMA (``ema_beta`` /
    ``ema_half_life_images``) it is the EMA generator (``model.ema_generator()``, laid out
    as the generator), so a published file ships the EMA weights as the generator's;
    ``use_ema=False`` gives the trained ``model.generator``.

    Raises:
        TypeError: `model` has neither.
    """
    ema_generator = getattr(model, "ema_generator", None) if use_ema else None
    network = ema_generator() if callable(ema_generator) else None
    if network is not None:
        return network
    for attribute in ("generator", "network"):
        network = getattr(model, attribute, None)
        if network is not None:
            return network
    raise TypeError(f"{type(model).__name__} has no `generator` nor `network` to publish.")


def translator_networks(model):
    """``{direction: network}`` of a translator (``family == "translation"``): the
    networks that translate, ``model.translator(d)`` for each ``d`` of ``model.directions``
    (pix2pix: its U-Net under ``"a_to_b"``; CycleGAN: both generators); None for a model
    of another family."""
    if getattr(model, "family", None) != "translation":
        return None
    return {direction: model.translator(direction) for direction in model.directions}


def sequence_networks(model):
    """``{attribute: layer}`` of every network of a sequence model (``family ==
    "sequence"``) that has neither ``generator`` nor ``network`` to publish: the sentence
    VAE, whose ``generate`` runs its decoder (embeddings, latent-to-state layer, decoder GRU,
    output head) and whose ``encode`` / ``reconstruct`` / ``interpolate`` run its encoder
    (encoder GRU, posterior heads); its generator file holds all of them (float16
    kernels), laid out as ``save_weights`` of a model holding them as attributes writes them.
    The vocabulary has no weights: the config rebuilds it. None for any other model."""
    import keras

    if getattr(model, "family", None) != "sequence" or any(
            getattr(model, attribute, None) is not None for attribute in ("generator", "network")):
        return None
    return {attribute: value for attribute, value in vars(model).items()
            if not attribute.startswith("_") and isinstance(value, keras.layers.Layer)
            and value.weights}


def _translators_holder(networks):
    """A Keras model holding `networks` (``{direction: network}``) as attributes, whose
    ``save_weights`` / ``load_weights`` write / read them under one top-level group per
    direction (``a_to_b/...``, ``b_to_a/...``)."""
    import keras

    class Translators(keras.Model):
        def __init__(self):
            super().__init__(name="translators")
            for direction, network in networks.items():
                setattr(self, direction, network)
            self.built = True

    return Translators()


def _weights_holder(model):
    """What a generator file stores: the translators of a translator (one group per
    direction), every network of a sentence VAE (:func:`sequence_networks`) or the
    :func:`sampling_network`."""
    networks = translator_networks(model) or sequence_networks(model)
    return sampling_network(model) if networks is None else _translators_holder(networks)


def save_generator_weights(model, path):
    """Writes what samples images: the :func:`sampling_network`'s weights with float16 kernels
    (see :func:`half_precision_weights`) and, for a model that decodes codes drawn from a
    fitted density (the autoencoder), that density's parameters in float32 under the
    group ``latent_density``, and the model's :func:`sampling_state` (ProGAN's level of
    detail, the style-based models' ``w_avg``) under ``sampling_state``
    (:func:`load_generator_weights` reads them back). A model trained with a generator
    EMA ships the EMA weights, as the generator's.

    For a translator (``family == "translation"``) the file holds every network that
    translates (:func:`translator_networks`), each under the group of its direction:
    ``a_to_b`` (pix2pix's U-Net) and, for two-domain models, ``b_to_a`` (CycleGAN's two
    generators), so ``translate(images, direction=...)`` works both ways after loading;
    the discriminators are left out.

    For a text-conditional model (:func:`text_encoder_network`: GAN-CLS) the file also holds
    the text encoder's weights (float16 kernels) under the group ``text_encoder``: what turns
    captions into the embeddings the generator reads (the vocabulary is in the config).

    For a sentence VAE (:func:`sequence_networks`) the file holds every network of the model,
    the encoder included (float16 kernels), so ``generate``, ``reconstruct`` and
    ``interpolate`` of the loaded model work; the vocabulary is in the config.
    `path` must end in ``.weights.h5``."""
    import h5py

    path = os.fspath(path)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"Generator weights files end in '.weights.h5'; got {path!r}.")
    density = latent_density(model)
    if density is not None and not float(density.fitted.numpy()):
        raise ValueError("The model's latent density is not fitted: call "
                         "fit_latent_density(training_data) before publishing its generator.")
    state = sampling_state(model)
    with tempfile.TemporaryDirectory() as scratch:
        full = os.path.join(scratch, "generator.weights.h5")
        _weights_holder(model).save_weights(full)
        encoder = text_encoder_network(model)
        if encoder is not None:  # float32 here: halved with the generator's kernels below
            encoder_file = os.path.join(scratch, "text_encoder.weights.h5")
            encoder.save_weights(encoder_file)
            with h5py.File(encoder_file, "r") as src, h5py.File(full, "a") as dst:
                _copy_h5(src, dst.create_group(TEXT_ENCODER_GROUP))
        if density is None and not state:
            return half_precision_weights(full, path)
        half = half_precision_weights(full, os.path.join(scratch, "half.weights.h5"))
        with h5py.File(half, "a") as f:
            if density is not None:
                group = f.create_group(LATENT_DENSITY_GROUP)
                group.attrs["components"] = density.components
                group.attrs["latent_dim"] = density.latent_dim
                for key in _DENSITY_ARRAYS:
                    group.create_dataset(key, data=np.asarray(getattr(density, key).numpy(),
                                                              dtype="float32"))
            if state:
                group = f.create_group(SAMPLING_STATE_GROUP)
                for key, variable in state.items():
                    group.create_dataset(key, data=np.asarray(variable.numpy()))
        with atomic_output(path, suffix=".weights.h5") as tmp:
            with open(half, "rb") as src, open(tmp, "wb") as dst:
                dst.write(src.read())
        return path


def _check_translator_file(model, path, directions):
    """Raises a ValueError unless the file at `path` has a group for every direction."""
    import h5py

    with h5py.File(path, "r") as f:
        found = sorted(key for key in f.keys() if key in ("a_to_b", "b_to_a"))
    missing = [direction for direction in directions if direction not in found]
    if missing:
        holds = (f"the translators {found}" if found
                 else "no translator groups (a single generator's weights?)")
        raise ValueError(f"{os.path.basename(os.fspath(path))} holds {holds}; "
                         f"{type(model).__name__} translates {list(directions)}, so its "
                         f"generator file needs a group for each (missing: {missing}). "
                         "Write it with publish.save_generator_weights(model, path).")


def load_generator_weights(model, path):
    """Loads a file of :func:`save_generator_weights` into `model` (built from the
    same config): the generator's weights, the model's :func:`sampling_state` and, if
    the model samples a fitted latent density, that density (the file must then carry
    them); for a translator, the network of every direction; for a text-conditional model,
    its text encoder (group ``text_encoder``); for a sentence VAE, every network
    (:func:`sequence_networks`). A model with a generator
    EMA gets the file's weights in its generator and its EMA restarts from them
    (``reset_ema``), so ``generate`` samples the published weights with or without
    ``use_ema``.

    Raises:
        ValueError: the file lacks the density, the sampling state or the text encoder the
            model needs or a translator's direction, or its shapes differ.
    """
    import h5py

    networks = translator_networks(model)
    if networks is not None:
        _check_translator_file(model, path, tuple(networks))
        _translators_holder(networks).load_weights(path)
        return model
    networks = sequence_networks(model)
    if networks is not None:
        _load_sequence_networks(model, networks, path)
        return model
    sampling_network(model, use_ema=False).load_weights(path)
    reset_ema = getattr(model, "reset_ema", None)
    if callable(reset_ema):
        reset_ema()  # a generator EMA restarts from the loaded (published) weights
    encoder = text_encoder_network(model)
    if encoder is not None:
        _load_text_encoder(model, encoder, path)
    state = sampling_state(model)
    if state:
        with h5py.File(path, "r") as f:
            if SAMPLING_STATE_GROUP not in f:
                raise ValueError(
                    f"{os.path.basename(os.fspath(path))} has no {SAMPLING_STATE_GROUP!r} "
                    f"group: {type(model).__name__} samples with {', '.join(state)}, saved "
                    "there by save_generator_weights.")
            for key, variable in state.items():
                value = f[SAMPLING_STATE_GROUP][key][()]
                if tuple(variable.shape) != tuple(np.shape(value)):
                    raise ValueError(f"{key}: the file has shape {np.shape(value)}, the model "
                                     f"{tuple(variable.shape)}.")
                variable.assign(np.asarray(value).astype(variable.dtype))
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


def _load_sequence_networks(model, networks, path):
    """Loads a sentence VAE's file (:func:`sequence_networks`), naming what it needs."""
    try:
        _translators_holder(networks).load_weights(path)
    except ValueError as error:
        raise ValueError(
            f"{os.path.basename(os.fspath(path))} does not hold every network of "
            f"{type(model).__name__} ({', '.join(networks)}) in the shapes of its config: "
            "write it with publish.save_generator_weights(model, path) from a model of the "
            f"same config. ({error})") from error


def _load_text_encoder(model, encoder, path):
    """Loads the ``text_encoder`` group of a generator file into `encoder`."""
    import h5py

    with tempfile.TemporaryDirectory() as scratch:
        encoder_file = os.path.join(scratch, "text_encoder.weights.h5")
        with h5py.File(path, "r") as src:
            if TEXT_ENCODER_GROUP not in src:
                raise ValueError(
                    f"{os.path.basename(os.fspath(path))} has no {TEXT_ENCODER_GROUP!r} group: "
                    f"{type(model).__name__} embeds its captions with the text encoder saved "
                    "there by save_generator_weights (a file of the generator alone cannot "
                    "turn captions into images).")
            with h5py.File(encoder_file, "w") as dst:
                _copy_h5(src[TEXT_ENCODER_GROUP], dst)
        encoder.load_weights(encoder_file)


#: How the registry describes the project's machine, whose :func:`machine_description` is
#: ``"2 CPUs, x86_64"`` (``applications/publish_run.py`` records it for runs timed there).
PROJECT_MACHINE = "2 CPU cores (x86_64, AVX512-BF16), no GPU"


def machine_description():
    """``"<n> CPUs, <arch>"``: the machine a recipe run records in its metrics.json (and
    ``applications/publish_run.py`` compares against to record :data:`PROJECT_MACHINE`)."""
    import platform

    return f"{os.cpu_count()} CPUs, {platform.machine()}"


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


def reference_dataset(dataset):
    """The zoo dataset whose test images a model trained on `dataset` is measured
    against: `dataset` itself, except a captioned dataset of unpadded images
    (``"fashion_mnist_captions"``), whose images are its base dataset's
    (``"fashion_mnist"``: the same images without the captions, measured in the base's
    domain-classifier features). A padded captioned dataset (``"fashion_mnist_captions_32"``)
    is its own reference, measured on its content (``metrics.default_extractor``)."""
    from keras_gan_zoo import datasets

    try:
        info = datasets.info(dataset)
    except (ValueError, TypeError):  # not a zoo dataset name
        return dataset
    if info["kind"] == "captions" and not info["padding"] and info.get("base"):
        return info["base"]
    return dataset


_CAPTION_SPLITS = {}


def _caption_split(dataset):
    """The test split of captioned `dataset` in memory (cached per process)."""
    from keras_gan_zoo import datasets
    from keras_gan_zoo.datasets import captions as caption_data

    if dataset not in _CAPTION_SPLITS:
        try:
            kind = datasets.info(dataset)["kind"]
        except (ValueError, TypeError):
            kind = None
        if kind != "captions":
            raise ValueError(
                f"A text-conditional model is measured with captions of the test images of "
                f"the captioned dataset it was trained on; {dataset!r} is not a captioned "
                f"dataset (captioned: {', '.join(datasets.list_datasets('captions'))}).")
        _CAPTION_SPLITS[dataset] = caption_data.caption_arrays(dataset, "test")
    return _CAPTION_SPLITS[dataset]


def evaluation_captions(dataset, n, seed):
    """`n` captions of the test images of captioned `dataset`, the measurement protocol of a
    text-conditional model: for each sample a random test image and one of its captions
    (``numpy.random.default_rng(seed)``).

    Returns:
        ``(captions, labels, columns, rows)``: the captions (list of str), the class of each
        caption's image, which of the image's captions it is (its template) and the image's
        row in the test split.
    """
    data = _caption_split(dataset)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(data.labels), n)
    columns = rng.integers(0, data.captions.shape[1], n)
    return data.captions[rows, columns].tolist(), data.labels[rows], columns, rows


def caption_source(model, dataset):
    """A ``fn(n, seed)`` drawing samples of a text-conditional `model` for captions of the
    test images of `dataset` (:func:`evaluation_captions` with the call's seed, 0 for None): the
    protocol of every measurement of a text-conditional model (the FID checks of a recipe
    and :func:`measure`)."""
    def generate(n, seed=None):
        captions = evaluation_captions(dataset, n, 0 if seed is None else seed)[0]
        return model.generate(n, seed=seed, captions=captions)
    return generate


def caption_protocol(dataset):
    """How :func:`caption_source` chooses captions, as a registry record states it."""
    return (f"for each sample, a random test image of {dataset} and one of its captions, drawn "
            "with the sampling seed of its batch")


def measure(model, dataset, num_samples=10000, seed=0, extractor=None, num_real=None,
            metrics=MEASURED_METRICS, batch_size=256):
    """FID / KID / IS / classes found of a generator, recorded with how they were measured.

    The protocol of the registry's numbers: `num_samples` generated images (sampling
    seed `seed`; a conditional model's labels cycle 0, 1, ..., K-1; a text-conditional
    model's captions are those of random test images, :func:`caption_source`) against
    the images of the dataset's test split (all of them unless `num_real`; a captioned
    dataset's images, :func:`reference_dataset`), both in the features of `extractor`
    (default: the dataset's shipped domain classifier,
    :func:`keras_gan_zoo.metrics.default_extractor`).

    Args:
        model: a zoo model (``generate``), e.g. from ``load_generator``.
        dataset: the zoo dataset the model was trained on (a text-conditional model: its
            captioned dataset, e.g. ``"fashion_mnist_captions"``).
        num_samples: generated images.
        seed: sampling seed.
        extractor: feature extractor name (default: the dataset's default).
        num_real: real test images (None: the whole test split), a seeded random subset.
        metrics: names for :func:`keras_gan_zoo.metrics.evaluate`.
        batch_size: images per batch.

    Returns:
        The metrics (rounded to 4 decimals) plus ``extractor``, ``num_generated``,
        ``num_real``, ``real`` (dataset/split), ``seed`` and ``labels``; for a
        text-conditional model also ``captions`` (how they were chosen,
        :func:`caption_protocol`).
    """
    from keras_gan_zoo import metrics as kgz_metrics

    text = getattr(model, "condition_kind", None) == "text"
    if text:
        _caption_split(dataset)  # a captioned dataset, or a ValueError saying so
    reference = reference_dataset(dataset)
    extractor = extractor or kgz_metrics.default_extractor(reference)
    real = kgz_metrics.real_statistics(reference, "test", extractor, num_samples=num_real,
                                       seed=0, batch_size=batch_size)
    conditional = bool(getattr(model, "conditional", False))
    source = (caption_source(model, dataset) if text
              else conditional_source(model) if conditional else model)
    scores = kgz_metrics.evaluate(source, real, metrics=metrics, extractor=extractor,
                                  num_samples=int(num_samples), batch_size=batch_size, seed=seed)
    result = {key: (int(value) if key == "classes_found" else round(float(value), 4))
              for key, value in scores.items()}
    result.update({
        "extractor": str(extractor),
        "num_generated": int(num_samples),
        "num_real": int(real.count),
        "real": f"{reference}/test",
        "seed": seed,
        "labels": f"cycling 0..{model.num_classes - 1}" if conditional else None,
    })
    if text:
        result["captions"] = caption_protocol(dataset)
    return result


def measure_next_frame(model, dataset, num_sequences=None, n_future=10, baselines=None):
    """PSNR / SSIM / sharpness per future step of a next-frame predictor (VideoGAN),
    recorded with how they were measured: the protocol of the registry's numbers of such
    a model.

    The first `num_sequences` test sequences of the video `dataset` (all of them unless
    given; the test split renders the same ones every time) at the model's frame size
    (``video_gan.load_videos``): from the first ``model.context_frames`` frames of each the
    model predicts `n_future` frames auto-regressively (``predict_frames``), scored against
    the true frames beside the `baselines`
    (:func:`keras_gan_zoo.metrics.video.evaluate_next_frame`; default: copy the last frame).

    Returns:
        The scores of ``evaluate_next_frame`` (``steps``, ``num_sequences``, ``model`` and
        each baseline's lists of one value per step) plus ``context_frames``,
        ``n_future``, ``real`` (dataset/split), ``whole_split``, the headline
        ``psnr_step1`` and ``mean_psnr`` (the model's, over the steps) and ``seconds``.

    Example:
        >>> publish.measure_next_frame(load_generator("video_gan_moving_mnist"),
        ...                            "moving_mnist", n_future=10)["psnr_step1"]
    """
    from keras_gan_zoo import datasets
    from keras_gan_zoo.metrics import video
    from keras_gan_zoo.models.translation import video_gan

    k = model.context_frames
    videos = video_gan.load_videos(dataset, "test", num_sequences, k + n_future,
                                   model.frame_shape[0])
    start = time.perf_counter()
    scores = video.evaluate_next_frame(model, videos, k, n_future, baselines=baselines)
    psnr = scores["model"]["psnr"]
    return {**scores, "context_frames": k, "n_future": int(n_future),
            "real": f"{dataset}/test",
            "whole_split": len(videos) == datasets.info(dataset)["num_examples"]["test"],
            "psnr_step1": psnr[0], "mean_psnr": round(float(np.mean(psnr)), 4),
            "seconds": round(time.perf_counter() - start, 1)}


#: What a registry record's ``training`` copies from a recipe run's metrics.json, and from
#: its ``stopping`` record (when and why training stopped, the best epoch).
_TRAINING_KEYS = ("epochs", "steps", "batch_size", "train_examples", "dtype_policy",
                  "train_seconds")
_STOPPING_KEYS = ("epochs_asked", "max_minutes", "stopped_by", "best_epoch", "fid_every",
                  "fid_samples", "fid_real", "validation_images", "restored_best_weights")
#: The curves of ``stopping``, which the card's Training record keeps instead of the
#: registry record: the FID checks (``[{"epoch", "fid"}, ...]``), an autoregressive run's
#: held-out NLL or a next-frame model's training PSNR after every epoch.
CURVE_KEYS = ("fid_curve", "val_nll_curve", "train_psnr_curve")


def published_command(command):
    """A recipe run's command as the registry records it: the script under
    ``applications/`` (from the repo root) and no ``--out`` (where the run wrote is
    not part of how to reproduce it)."""
    import shlex

    words = shlex.split(command)
    if len(words) < 2 or not words[1].endswith(".py"):
        raise ValueError(f"Expected a recipe command 'python <script>.py [flags]'; "
                         f"got {command!r}.")
    kept, skip = [words[0], "applications/" + os.path.basename(words[1])], False
    for word in words[2:]:
        if skip:
            skip = False
        elif word in ("--out", "-out"):
            skip = True
        elif not word.startswith(("--out=", "-out=")):
            kept.append(word)
    return shlex.join(kept)


def recipe_command(run):
    """The command that reproduces a recipe run (its metrics.json dict), as the registry
    records it: :func:`published_command` of the run's command, preceded, for a run
    continued with ``--resume``, by the commands of the parts before it (joined by
    " && ")."""
    earlier = (run.get("resumed") or {}).get("earlier_command")
    commands = [*(earlier.split(" && ") if earlier else []), run["command"]]
    return " && ".join(published_command(command) for command in commands)


def registry_entry(run, description=None, card=None, measurement_keys=()):
    """The registry record of a finished recipe run.

    Args:
        run: the dict a recipe writes to ``metrics.json`` (``applications/recipe.py``).
        description, card: the record's description and model page (omitted when None;
            a record of the registry needs both).
        measurement_keys: keys of the recipe's own measurements (``run["measurements"]``,
            e.g. the VAE's ``test_nll_nats``) to record beside the FID in ``metrics``.

    Returns:
        The record: architecture, config, dataset, files (the generator file packaged,
        the ``.keras`` served by the origin only), the metrics measured on what ships,
        the training summary (what stopped training, the best epoch, the machine the run
        was timed on; the curve is :func:`training_curves`) and the recipe command
        (:func:`recipe_command`).

    Raises:
        ValueError: `run` has no final evaluation (a run with ``--eval_samples 0``), or
            lacks one of `measurement_keys`.
    """
    if not run.get("evaluation"):
        raise ValueError(f"The run of {run.get('recipe')!r} has no evaluation: a registry "
                         "entry needs the metrics of the shipped file (--eval_samples > 0).")
    measured = run.get("measurements") or {}
    missing = [key for key in measurement_keys if key not in measured]
    if missing:
        raise ValueError(f"The run's measurements have no {missing}; it has "
                         f"{sorted(measured)}.")
    files = {kind: {**record, "packaged": kind == "generator"}
             for kind, record in run["files"].items()}
    training = {key: run[key] for key in _TRAINING_KEYS}
    stopping = run.get("stopping") or {}
    training.update({key: stopping[key] for key in _STOPPING_KEYS if key in stopping})
    training["machine"] = run["machine"]
    entry = {"architecture": run["model"], "config": run["config"], "dataset": run["dataset"],
             "description": description, "files": files,
             "metrics": {**run["evaluation"],
                         **{key: measured[key] for key in measurement_keys},
                         "measured_on": ("the generator file" if "generator" in files
                                         else "the .keras checkpoint")},
             "training": training, "recipe": recipe_command(run),
             "card": card}
    return {key: value for key, value in entry.items() if value is not None}


def training_curves(run):
    """The :data:`CURVE_KEYS` curves of a recipe run's ``stopping`` (its metrics.json dict):
    what the card's :func:`training_record` keeps."""
    stopping = run.get("stopping") or {}
    return {key: stopping[key] for key in CURVE_KEYS if stopping.get(key)}


def entry_json(entry):
    """A registry record as its file holds it: JSON with sorted keys, indented by 2,
    ending with a newline.

    Raises:
        TypeError: a value JSON cannot hold (a set, an array).
        ValueError: NaN or infinity.
    """
    return json.dumps(entry, indent=2, sort_keys=True, allow_nan=False,
                      ensure_ascii=False) + "\n"


def write_entry(path, entry):
    """Writes the record `entry` to `path` (``weights/<name>.json``) atomically, after
    checking that it has every key of a record
    (:func:`keras_gan_zoo.applications.registry.validate_entry`); returns the path."""
    registry.validate_entry(entry, os.fspath(path))
    return atomic_write_bytes(path, entry_json(entry).encode("utf-8"))


def print_report(name, run, out):
    """Prints what publishing a finished recipe run takes: its registry record (JSON), the
    card's Pretrained rows and the ``publish_run.py`` command (for a run with a final
    evaluation), then the sha256 of every file.

    Args:
        name: the checkpoint's registry name.
        run: the run's metrics.json dict.
        out: the run's output directory.
    """
    import shlex

    if run.get("evaluation"):
        entry = registry_entry(run)
        print(f"registry record (keras_gan_zoo/applications/weights/{name}.json; description "
              f"and card to add):\n{entry_json(entry)}", end="")
        print("model card rows (docs/models/<model>.md, \"Pretrained\" table):")
        for key, value in card_rows(entry, curves=training_curves(run)).items():
            print(f"| {key} | {value} |")
        print(f"to apply this run to the repo: python applications/publish_run.py "
              f"--run {shlex.quote(os.fspath(out))} --name {name} --description ... "
              "--provenance ...")
    for record in run["files"].values():
        print(f"sha256 {record['sha256']}  {record['file']} ({record['size']} bytes)")


#: The heading of :func:`training_record`, and how its provenance line starts.
TRAINING_RECORD_HEADING = "### Training record"
PROVENANCE_PREFIX = "Provenance: "


def _every(epochs):
    return "epoch" if epochs == 1 else f"{epochs} epochs"


def _restored(training):
    return ", whose weights were restored" if training.get("restored_best_weights") else ""


def training_record(name, entry, provenance, curves):
    """The *Training record* subsection of a card's Pretrained section (markdown, ending
    with a newline): how checkpoint `name` was made (`provenance`) and every point of its
    run's `curves` (:func:`training_curves`), which its registry record `entry` leaves out.
    """
    training = entry["training"]
    lines = [TRAINING_RECORD_HEADING, "",
             f"How `{name}` was made and every check of its run, which its registry "
             f"record (`keras_gan_zoo/applications/weights/{name}.json`) leaves out.", "",
             PROVENANCE_PREFIX + provenance]
    best = f"best: epoch {training.get('best_epoch')}{_restored(training)}"
    fid_curve = curves.get("fid_curve")
    if fid_curve:
        real = (f" against {training['fid_real']:,} test images" if training.get("fid_real")
                else "")
        lines += ["", f"FID of {training['fid_samples']:,} samples{real}, checked every "
                  f"{_every(training['fid_every'])} (epoch: FID; {best}): "
                  + ", ".join(f"{point['epoch']}: {point['fid']}" for point in fid_curve)]
    nll_curve = curves.get("val_nll_curve")
    if nll_curve:
        lines += ["", f"Validation NLL in nats of the {training['validation_images']:,} "
                  f"held-out training images after epochs 1 to {len(nll_curve)} ({best}): "
                  + ", ".join(map(str, nll_curve))]
    psnr_curve = curves.get("train_psnr_curve")
    if psnr_curve:
        lines += ["", "Training PSNR in dB (the finest scale's prediction of the next frame, "
                  f"mean over the epoch's batches) after epochs 1 to {len(psnr_curve)}: "
                  + ", ".join(map(str, psnr_curve))]
    return "\n".join(lines) + "\n"


def card_rows(entry, previous_fid=None, curves=None):
    """The rows of a model card's "Pretrained" table for a registry record (see
    ``docs/models/*.md``): ``{row name: markdown}`` in table order.

    Args:
        entry: a registry record (:func:`registry_entry`).
        previous_fid: the FID of the checkpoint this one replaces, shown beside the new.
        curves: the run's :func:`training_curves`, summarised in a curve row.
    """
    training, metrics, files = entry["training"], entry["metrics"], entry["files"]
    curves = curves or {}
    rows = {"recipe": f"`{entry['recipe']}`"}
    stop = ""
    if training.get("fid_every"):
        stop = (f"FID of {training['fid_samples']:,} samples checked every "
                f"{_every(training['fid_every'])}, stopped by "
                f"{training.get('stopped_by') or 'the epoch limit'}; ")
    elif training.get("stopped_by"):
        stop = f"stopped by {training['stopped_by']}; "
    d_steps = entry["config"].get("d_steps", 1)
    steps = f"{training['steps']:,} steps of {training['batch_size']}"
    if d_steps > 1:  # AdversarialModel splits each batch into d_steps critic minibatches
        steps = (f"{training['steps']:,} generator updates (batches of "
                 f"{training['batch_size']}, {d_steps} critic updates of "
                 f"{training['batch_size'] // d_steps} each)")
    examples = ("sequences per epoch, new ones every epoch" if "psnr_step1" in metrics
                else "images")
    rows["training"] = (
        f"{training['epochs']:,} epochs, {steps} on {training['train_examples']:,} {examples}, "
        f"`{training['dtype_policy']}`; {stop}{training['train_seconds']:,.0f} s of training "
        "on the project's 2-core CPU")
    curve = curves.get("fid_curve")
    if curve:
        epochs = [point["epoch"] for point in curve]
        shown = ", ".join(map(str, epochs[:2])) + (f", ..., {epochs[-1]}" if len(epochs) > 2
                                                   else "")
        rows[f"FID curve ({training['fid_samples']:,} samples)"] = (
            ", ".join(f"{point['fid']:.1f}" for point in curve)
            + f" (epochs {shown}; best: epoch {training['best_epoch']}{_restored(training)})")
    nll_curve = curves.get("val_nll_curve")
    if nll_curve:  # autoregressive recipes: NLL of held-out training images every epoch
        best = training["best_epoch"]
        rows[f"validation NLL ({training['validation_images']:,} held-out training images)"] = (
            f"{nll_curve[0]:.2f} nats after epoch 1, {nll_curve[best - 1]:.2f} at epoch {best} "
            f"(best{_restored(training)}), {nll_curve[-1]:.2f} at epoch {len(nll_curve)}")
    generator, model = files.get("generator"), files["model"]
    if generator:
        rows["generator weights"] = (
            f"`{generator['file']}`, {generator['size'] / 1e6:.2f} MB (float16 kernels, "
            f"float32 biases and norms), "
            f"{'packaged with the wheel' if generator['packaged'] else 'origin only'}; "
            f"sha256 `{generator['sha256']}`")
    rows["full model"] = (f"`{model['file']}`, {model['size'] / 1e6:.1f} MB, "
                          f"{'packaged' if model['packaged'] else 'not packaged (origin only)'}"
                          f"; sha256 `{model['sha256']}`")
    if "fid" in metrics:
        fid = f"**{metrics['fid']:.2f}**"
        if previous_fid is not None:
            fid += f" (the checkpoint shipped before it: {previous_fid:.2f})"
        if "directions" in metrics and len(metrics["directions"]) > 1:
            rows["FID (mean of both directions)"] = fid
        else:
            rows["FID"] = fid
    if "directions" in metrics:  # a translator: each direction against its baselines
        rows.update(_translation_rows(entry))
    if "psnr_step1" in metrics:  # a next-frame predictor: per future step, and baselines
        rows.update(_next_frame_rows(metrics))
    if "num_test" in metrics:  # an autoregressive model: scored by its likelihood
        rows["test NLL"] = (
            f"**{metrics['test_nll_nats']:.2f} nats** per image, "
            f"{metrics['test_bits_per_dim']:.4f} bits/dim, on the {metrics['num_test']:,} "
            f"images of {metrics['real']} (binarised: {metrics['binarised']})")
        rows["sampling"] = (f"{metrics['samples_per_second']:.2f} samples/s (compiled loop, "
                            "float32, on the project's 2-core CPU)")
    if "kid" in metrics:
        rows["KID"] = f"{metrics['kid']:.3f} ± {metrics['kid_std']:.3f}"
    if "is" in metrics:
        rows["IS (domain classifier)"] = f"{metrics['is']:.2f} ± {metrics['is_std']:.2f}"
    if "classes_found" in metrics:
        from keras_gan_zoo import datasets

        classes = datasets.info(entry["dataset"])["num_classes"]
        rows["classes found"] = (f"{metrics['classes_found']} / {classes}, class entropy "
                                 f"{metrics['class_entropy']:.3f} nats (uniform: "
                                 f"{math.log(classes):.3f})")
    if metrics.get("captions"):  # a text-conditional model: what its samples were drawn for
        rows["captions"] = (f"{metrics['num_generated']:,} samples of the "
                            f"{'generator file' if generator else 'checkpoint'}, "
                            f"{metrics['captions']}")
    return rows


#: The heading of :func:`translation_table`'s subsection in a translator's card.
BASELINES_HEADING = "### Against the baselines"

#: Columns of :func:`translation_table`: (score key, header, format).
_TRANSLATION_COLUMNS = (
    ("fid", "FID", "{:.2f}"),
    ("target_class_share", "assigned to the target class", "{:.1%}"),
    ("class_match", "same class as the ground truth", "{:.1%}"),
    ("l1", "L1", "{:.4f}"),
    ("psnr", "PSNR (dB)", "{:.2f}"),
    ("ssim", "SSIM", "{:.4f}"),
)


def _direction_label(entry, direction):
    a, b = entry["config"].get("domain_names") or ("a", "b")
    return f"{a} -> {b}" if direction == "a_to_b" else f"{b} -> {a}"


def _score_text(key, value, form):
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return form.format(value).replace("%", " %")


def _translation_rows(entry):
    """A translator's card rows: each direction's scores beside its baselines'."""
    metrics = entry["metrics"]
    rows = {}
    for direction, scores in metrics["directions"].items():
        model = scores["model"]
        parts = []
        for key, header, form in _TRANSLATION_COLUMNS:
            if key not in model:
                continue
            others = ", ".join(f"{name} {_score_text(key, other[key], form)}"
                               for name, other in scores.items()
                               if name != "model" and key in other)
            parts.append(f"{header} **{_score_text(key, model[key], form)}**"
                         + (f" ({others})" if others else ""))
        rows[f"{_direction_label(entry, direction)}"] = "; ".join(parts)
    first = next(iter(metrics["directions"].values()))["model"]
    rows["measured on"] = (
        f"the {first['num_images']:,} images of {metrics['real']} per direction translated by "
        f"the shipped generator file, against {first['num_real']:,} real images of the target "
        f"domain, features of the shipped {metrics['extractor']} domain classifier (not "
        "Inception: compare within the zoo only)")
    return rows


def translation_table(entry):
    """A translator's measured numbers against its baselines as a markdown table (one row
    per direction and translator), under the :data:`BASELINES_HEADING` heading; ends
    with a newline."""
    metrics = entry["metrics"]
    directions = metrics["directions"]
    keys = [column for column in _TRANSLATION_COLUMNS
            if any(column[0] in scores for by_name in directions.values()
                   for scores in by_name.values())]
    lines = [BASELINES_HEADING, "",
             f"Measured on the {metrics['num_images']:,} test images of {metrics['real']} "
             f"(per direction), domain-classifier features ({metrics['extractor']}); "
             "the baselines measured the same way.", "",
             "| direction | translator | " + " | ".join(h for _, h, _ in keys) + " |",
             "| --- | --- |" + " ---: |" * len(keys)]
    for direction, by_name in directions.items():
        for name, scores in by_name.items():
            label = f"**{entry.get('name') or entry['architecture']}**" if name == "model" \
                else name
            cells = [(_score_text(key, scores[key], form) if key in scores else "")
                     for key, _, form in keys]
            if name == "model":
                cells = [f"**{c}**" if c else c for c in cells]
            lines.append(f"| {_direction_label(entry, direction)} | {label} | "
                         + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


#: The heading of :func:`next_frame_table`'s subsection in a next-frame model's card.
NEXT_FRAME_HEADING = "### Per future step"

#: Rows of :func:`next_frame_table` per predictor: (score key, label, format).
_NEXT_FRAME_SCORES = (("psnr", "PSNR (dB)", "{:.2f}"), ("ssim", "SSIM", "{:.3f}"),
                      ("sharpness", "sharpness difference (dB)", "{:.2f}"))


def _next_frame_baselines(metrics):
    """``{name: per-step scores}`` of the baselines in a next-frame record's metrics
    (``copy_last``, ``l2_only``, ...): every entry with a per-step ``psnr`` but the model."""
    return {name: scores for name, scores in metrics.items()
            if name != "model" and isinstance(scores, dict) and "psnr" in scores}


def _next_frame_protocol(metrics):
    whole = " (the whole split)" if metrics.get("whole_split") else ""
    return (f"the {metrics['num_sequences']:,} sequences of {metrics['real']}{whole}: "
            f"{metrics['n_future']} frames predicted auto-regressively from "
            f"{metrics['context_frames']} by the shipped generator file")


def _next_frame_rows(metrics):
    """A next-frame model's card rows: PSNR at the first step and over all steps, SSIM at
    the first step, each beside its baselines'; the protocol."""
    baselines = _next_frame_baselines(metrics)

    def beside(key, form, values):
        others = ", ".join(f"{name} {form.format(values(scores[key]))}"
                           for name, scores in baselines.items())
        model = form.format(values(metrics["model"][key]))
        return f"**{model}**" + (f" ({others})" if others else "")

    def mean(values):
        return float(np.mean(values))

    return {"PSNR at step 1": beside("psnr", "{:.2f} dB", lambda v: v[0]),
            f"PSNR, mean of steps 1-{metrics['n_future']}": beside("psnr", "{:.2f} dB", mean),
            "SSIM at step 1": beside("ssim", "{:.3f}", lambda v: v[0]),
            "measured on": _next_frame_protocol(metrics) + "; every step in the table below"}


def next_frame_table(entry):
    """A next-frame model's scores at every future step beside its baselines' as a markdown
    table (a row per score and predictor, a column per step), under the
    :data:`NEXT_FRAME_HEADING` heading; ends with a newline."""
    metrics = entry["metrics"]
    predictors = {f"**{entry.get('name') or entry['architecture']}**": metrics["model"],
                  **_next_frame_baselines(metrics)}
    lines = [NEXT_FRAME_HEADING, "",
             f"Measured on {_next_frame_protocol(metrics)}; the baselines measured the same "
             "way. Higher is better for every score.", "",
             "| score | predictor | " + " | ".join(map(str, metrics["steps"])) + " |",
             "| --- | --- |" + " ---: |" * len(metrics["steps"])]
    for key, label, form in _NEXT_FRAME_SCORES:
        for name, scores in predictors.items():
            cells = [_score_text(key, value, form) for value in scores[key]]
            if name.startswith("**"):
                cells = [f"**{cell}**" for cell in cells]
            lines.append(f"| {label} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
