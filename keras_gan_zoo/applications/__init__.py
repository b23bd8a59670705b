"""Pretrained checkpoints: load a trained generator in one line, sha256-checked.

Each name of :func:`list_pretrained` is a checkpoint trained on this project's CPU
machine by a recipe in ``applications/`` and measured with the domain-classifier
FID / KID (or, for an autoregressive model, its test NLL); its record is the JSON file
``weights/<name>.json``, read when asked (:func:`info`, :data:`PRETRAINED`;
docs/applications.md).

Files are found in the local cache (``$KERAS_GAN_ZOO_CACHE``, default
``~/.keras/keras_gan_zoo/``), then in the copy packaged with the wheel (the generator
weights of the small checkpoints, so :func:`load_generator` works offline on a fresh
install), then downloaded from ``$KERAS_GAN_ZOO_WEIGHTS_URL`` (https://, http://,
file:// or a directory). The full ``.keras`` checkpoints behind :func:`load_model`
(optimizer state included, 2-160 MB) are served by the origin only.

Example:
    >>> import keras_gan_zoo as kgz
    >>> kgz.applications.list_pretrained()
    ['acgan_fashion_mnist', 'acgan_mnist', 'autoencoder_fashion_mnist', ...]
    >>> gan = kgz.applications.load_generator("dcgan_fashion_mnist")
    >>> images = gan.generate(64, seed=0)                 # numpy, in [-1, 1]
    >>> fid = kgz.applications.info("dcgan_fashion_mnist")["metrics"]["fid"]   # measured
    >>> model = kgz.applications.load_model("dcgan_fashion_mnist")   # needs the origin
    >>> model.fit(dataset, epochs=1)                       # resumes with its optimizers
"""

from keras_gan_zoo.applications import publish
from keras_gan_zoo.applications.download import (
    CACHE_ENV,
    ORIGIN_ENV,
    ChecksumError,
    DownloadError,
    WeightsUnavailableError,
    default_cache_dir,
    fetch,
)
from keras_gan_zoo.applications.publish import measure
from keras_gan_zoo.applications.registry import (
    FILE_KINDS,
    PRETRAINED,
    get_entry,
    list_pretrained,
)

__all__ = [
    "CACHE_ENV",
    "ChecksumError",
    "DownloadError",
    "ORIGIN_ENV",
    "PRETRAINED",
    "WeightsUnavailableError",
    "build_from_weights",
    "default_cache_dir",
    "info",
    "list_pretrained",
    "load_generator",
    "load_model",
    "measure",
    "publish",
    "weights_path",
]


def info(name):
    """The registry record of `name` (``weights/<name>.json``) plus its ``name``:
    architecture, config, dataset, description, files (sha256, size, packaged), measured
    metrics, training summary, recipe, card (whose Training record has the run's curve
    and provenance).

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    return get_entry(name)


def weights_path(name, kind="generator", *, cache_dir=None, origin=None, attempts=None,
                 timeout=None):
    """The local path of a checkpoint's file, fetched and sha256-checked if needed.

    Args:
        name: a name of :func:`list_pretrained`.
        kind: ``"generator"`` (the generator's ``.weights.h5``) or ``"model"`` (the
            full ``.keras`` with optimizer state).
        cache_dir: cache directory (default ``$KERAS_GAN_ZOO_CACHE`` or
            ``~/.keras/keras_gan_zoo``).
        origin: URL or directory to download from (default ``$KERAS_GAN_ZOO_WEIGHTS_URL``).
        attempts: tries per download on a broken connection (default 3).
        timeout: socket timeout in seconds of each attempt (default 60).

    Returns:
        A path in the cache or in the installed package.

    Raises:
        ValueError: unknown name or kind; ``ChecksumError`` (a ValueError) when a
            download's sha256 differs from the registry's.
        WeightsUnavailableError: not cached, not packaged and no origin configured.
        DownloadError: the origin lacks the file or the connection kept failing.

    Example:
        >>> weights_path("gan_mnist")
        '.../keras_gan_zoo/applications/weights/gan_mnist_generator.fp16.weights.h5'
    """
    entry = get_entry(name)
    if kind not in FILE_KINDS:
        raise ValueError(f"kind must be one of {FILE_KINDS}; got {kind!r}.")
    what = {"generator": f"The generator weights of {name!r}",
            "model": f"The full model of {name!r} (with its optimizer state)"}[kind]
    return fetch(entry["files"][kind], cache_dir=cache_dir, origin=origin, attempts=attempts,
                 timeout=timeout, what=what, recipe=entry.get("recipe"))


def build_from_weights(architecture, config, weights):
    """Builds ``architecture`` from its ``config`` and loads generator ``weights`` into it.

    The generator is the network that samples: a GAN's generator, the decoder of the
    autoencoding models (VAE, VAE-GAN) and, for the autoencoder, the decoder plus the
    Gaussian mixture fitted on its codes (stored in the same file). For a translator
    (pix2pix, CycleGAN, ...) it is every network that translates, one group per
    direction (:func:`publish.translator_networks`). For a text-conditional model
    (GAN-CLS) it is the generator and the text encoder that embeds the captions (the
    vocabulary is in the config). The other networks (discriminator, critic, encoder)
    keep their fresh initialization; the model is not compiled. A checkpoint trained
    with a generator EMA ships the EMA weights: they are loaded as the generator's and
    the model's EMA restarts from them, so ``generate`` samples them with or without
    ``use_ema``.
    """
    from keras_gan_zoo import registry

    model = registry.model_class(architecture).from_config(dict(config))
    return publish.load_generator_weights(model, weights)


def load_generator(name, *, cache_dir=None, origin=None, attempts=None, timeout=None):
    """The pretrained model `name` with its trained generator, ready to sample.

    Builds the recorded architecture from its config and loads the generator weights
    (float16 kernels cast to the variables' dtype). Works offline for the checkpoints
    packaged with the wheel. Only the generator is trained: the discriminator is freshly
    initialized and the model is not compiled; use :func:`load_model` to fine-tune.

    For the autoencoding models the generator is what samples images: the decoder with
    the N(0, I) prior (``vae``, ``vae_gan``) or, for the ``autoencoder``, the decoder
    and the Gaussian mixture fitted on the training codes (both in the generator file),
    so ``generate(n, seed=)`` draws what the trained model draws. Their encoder is not
    shipped in that file: ``encode`` / ``reconstruct`` need :func:`load_model`.

    The sentence VAE (``sentence_vae_verse``) ships every network, its encoder included, and
    its vocabulary in the config: ``generate``, ``reconstruct`` and ``interpolate`` work on
    the loaded model (``publish.sequence_networks``).

    A text-conditional model (GAN-CLS) comes with its text encoder, so
    ``generate(n, seed=, captions=[...])`` draws what the trained model draws for the same
    captions (words of ``model.vocabulary``).

    A translator (``family == "translation"``: pix2pix, CycleGAN, ...) comes with the
    network of every direction it translates (both generators of a two-domain model), so
    ``translate(images, direction=...)`` works both ways; it has no ``generate``. A
    next-frame model (``video_gan``, a translator of stacked context frames) predicts from
    its file alone: ``predict_frames(context, n_future)``.

    Args:
        name: a name of :func:`list_pretrained`.
        cache_dir, origin, attempts, timeout: see :func:`weights_path`.

    Returns:
        The zoo model (e.g. ``DCGAN``): ``generate(n, seed=...)`` (conditional models take
        ``labels=``, text-conditional ones ``captions=``), ``export_generator(path)``,
        ``generator`` (the Keras network); a translator's ``translate(images, direction=...)``.

    Raises:
        ValueError, WeightsUnavailableError, DownloadError: as :func:`weights_path`.

    Example:
        >>> gan = load_generator("gan_mnist")
        >>> digits = gan.generate(16, seed=0)
        >>> acgan = load_generator("acgan_mnist")
        >>> sevens = acgan.generate(8, seed=0, labels=7)
        >>> clothes = load_generator("autoencoder_fashion_mnist").generate(16, seed=0)
        >>> boots = load_generator("cyclegan_fashion_mnist").translate(sneakers)
    """
    entry = get_entry(name)
    path = weights_path(name, "generator", cache_dir=cache_dir, origin=origin,
                        attempts=attempts, timeout=timeout)
    return build_from_weights(entry["architecture"], entry["config"], path)


def load_model(name, *, cache_dir=None, origin=None, attempts=None, timeout=None,
               compile=True):
    """The full pretrained model `name` (both networks, optimizers and their state).

    The ``.keras`` checkpoints are not packaged with the wheel (2-160 MB each): they
    come from the cache or the origin ``$KERAS_GAN_ZOO_WEIGHTS_URL``.

    Args:
        name: a name of :func:`list_pretrained`.
        cache_dir, origin, attempts, timeout: see :func:`weights_path`.
        compile: restore the optimizers (``keras.models.load_model(compile=...)``).

    Returns:
        The model as saved at the end of training: ``model.fit`` resumes it.

    Raises:
        WeightsUnavailableError: not cached and ``$KERAS_GAN_ZOO_WEIGHTS_URL`` unset.
        ValueError, DownloadError: as :func:`weights_path`.

    Example:
        >>> model = load_model("dcgan_fashion_mnist", origin="https://example.org/kgz/")
        >>> model.fit(kgz.datasets.load("fashion_mnist"), epochs=1)
    """
    import keras

    path = weights_path(name, "model", cache_dir=cache_dir, origin=origin, attempts=attempts,
                        timeout=timeout)
    return keras.models.load_model(path, compile=compile)
