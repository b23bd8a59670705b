"""What the app's endpoints do, without HTTP: load models, check requests, run them.

:class:`ModelPool` loads each pretrained generator on first use (under a lock, once) and
keeps it; :class:`Service` checks a request against the model's description
(:mod:`keras_gan_zoo.app.catalog`) and the caps of :class:`Limits`, runs the model under
the model's own lock and returns JSON-able dicts whose images are PNG data URLs (and
whose sentences are str). A bad request raises :class:`RequestError` with the HTTP status
and a message that says what was expected; the server turns it into
``{"detail": message}``.

Example:
    >>> service = Service(ModelPool(["dcgan_fashion_mnist"]))
    >>> result = service.generate("dcgan_fashion_mnist", seed=0, n=2)
    >>> len(result["images"]), result["images"][0][:22]
    (2, 'data:image/png;base64,')
    >>> service.generate("dcgan_fashion_mnist", seed=-1)
    Traceback (most recent call last):
    ...
    keras_gan_zoo.app.service.RequestError: seed must be an int in [0, 4294967295]; got -1.
"""

import base64
import binascii
import dataclasses
import difflib
import io
import math
import re
import threading
import time

import numpy as np

from keras_gan_zoo import applications, latent
from keras_gan_zoo.app import catalog
from keras_gan_zoo.datasets import words
from keras_gan_zoo.metrics.video import frame_scores
from keras_gan_zoo.utils.images import image_to_array, png_bytes

__all__ = ["Limits", "ModelPool", "RequestError", "Service", "decode_data_url",
           "encode_data_url"]

#: The largest seed (numpy's legacy seed range; JavaScript numbers hold it exactly).
MAX_SEED = 2**32 - 1
#: The interpolations of a latent walk (`kgz.latent.slerp` / `lerp`).
WALK_METHODS = latent.INTERPOLATIONS

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w=.+-]+)*;base64,(?P<data>.*)",
                       re.DOTALL)


class RequestError(Exception):
    """A request the app refuses: `status` (an HTTP 4xx, or 503 when a model's weights
    cannot be loaded) and `detail`, the message returned to the client."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class Limits:
    """The caps of every request.

    Attributes:
        max_n: images per request (`n`, or the points of a latent walk), and sentences
            per request (`n`, or the `steps` of a homotopy).
        max_autoregressive_n: images per request of a PixelCNN (sampling and completion
            run pixel by pixel: about a second per batch on 2 CPU cores).
        max_image_bytes: size of an uploaded image file (the decoded data URL).
        max_image_side: width and height of an uploaded image, in pixels.
        max_sentence_words: words (and punctuation marks) of a sentence sent to a sentence
            model.
        max_video: the largest index of a test video a next-frame predictor is shown
            (videos 0 .. max_video are rendered once per model and kept).
        max_future: frames a next-frame predictor predicts per request.
    """

    max_n: int = 64
    max_autoregressive_n: int = 8
    max_image_bytes: int = 2_000_000
    max_image_side: int = 1024
    max_sentence_words: int = 64
    max_video: int = 99
    max_future: int = 20

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{field.name} must be a positive int; got {value!r}.")

    def n_cap(self, kind):
        """The cap of `n` for a model of `kind` (see :data:`catalog.KINDS`)."""
        return self.max_autoregressive_n if kind == "autoregressive" else self.max_n

    @property
    def max_body_bytes(self):
        """The largest request body: an image as base64 (4/3 of its bytes) plus the rest."""
        return self.max_image_bytes * 4 // 3 + 64_000


def encode_data_url(image):
    """A PNG data URL of one image (H, W, C) in [-1, 1] (or uint8).

    Example:
        >>> encode_data_url(np.zeros((2, 2, 1)))[:30]
        'data:image/png;base64,iVBORw0K'
    """
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def decode_data_url(data_url, limits, field="image"):
    """The image of a data URL (``data:image/png;base64,...``), decoded and checked.

    Args:
        data_url: the string sent by the client.
        limits: :class:`Limits` (byte size and side caps).
        field: the request field, named in the messages.

    Returns:
        A loaded ``PIL.Image.Image`` of any mode.

    Raises:
        RequestError: 422 for anything but a base64 data URL of an image PIL reads,
            413 for a file or an image over the caps.

    Example:
        >>> image = decode_data_url(encode_data_url(np.zeros((4, 6, 1))), Limits())
        >>> image.size
        (6, 4)
    """
    from PIL import Image, UnidentifiedImageError

    expected = f"{field} must be a base64 data URL of a PNG or JPEG image " \
               "('data:image/png;base64,...')"
    match = _DATA_URL.fullmatch(data_url) if isinstance(data_url, str) else None
    if match is None:
        shown = data_url[:40] + "..." if isinstance(data_url, str) and len(data_url) > 40 \
            else data_url
        raise RequestError(422, f"{expected}; got {shown!r}.")
    if match["mime"] and not match["mime"].startswith("image/"):
        raise RequestError(422, f"{expected}; got a data URL of type {match['mime']!r}.")
    encoded = re.sub(r"\s+", "", match["data"])
    if len(encoded) * 3 // 4 > limits.max_image_bytes:
        raise RequestError(413, f"{field} is about {len(encoded) * 3 // 4:,} bytes; the cap is "
                                f"{limits.max_image_bytes:,} bytes.")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise RequestError(422, f"{expected}; its base64 data is malformed ({error}).") from None
    try:
        image = Image.open(io.BytesIO(raw))
    except UnidentifiedImageError:
        raise RequestError(422, f"{expected}; its {len(raw):,} bytes are not an image file "
                                "(PNG, JPEG, GIF, BMP, WebP...).") from None
    except (OSError, Image.DecompressionBombError) as error:
        raise RequestError(422, f"{expected}; it cannot be opened: {error}.") from None
    width, height = image.size
    side = limits.max_image_side
    if width > side or height > side:
        raise RequestError(413, f"{field} is {width}x{height} pixels; the cap is {side}x{side}.")
    try:
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise RequestError(422, f"{field} cannot be decoded: {error} (a truncated or "
                                "corrupt file?).") from None
    return image


class ModelPool:
    """The pretrained models the app serves, each loaded on first use and kept.

    Args:
        names: names of ``kgz.applications.list_pretrained()`` (or shell patterns such
            as ``"*mnist"``); None serves them all.
        loader: builds a model from its name (default
            ``kgz.applications.load_generator``).

    Raises:
        ValueError: a name that is not pretrained or a pattern that matches none (the
            message lists the known names).

    Example:
        >>> pool = ModelPool(["cgan_mnist", "pix2pix_*"])
        >>> pool.names
        ['cgan_mnist', 'pix2pix_fashion_mnist_edges']
    """

    def __init__(self, names=None, loader=None):
        known = applications.list_pretrained()
        if isinstance(names, str):
            names = [names]
        chosen = []
        for name in (known if names is None else list(names)):
            matches = applications.list_pretrained(name)
            if not matches:
                applications.info(name)  # an unknown name: the message lists the known ones
                raise ValueError(f"{name!r} matches no pretrained model; known: "
                                 f"{', '.join(known)}.")
            chosen.extend(match for match in matches if match not in chosen)
        if not chosen:
            raise ValueError("No models to serve; pass names of "
                             f"kgz.applications.list_pretrained(): {', '.join(known)}.")
        self.names = chosen
        self.descriptions = {name: catalog.describe(name) for name in chosen}
        self._loader = loader or applications.load_generator
        self._models = {}
        self._load_lock = threading.Lock()
        self._run_locks = {name: threading.Lock() for name in chosen}

    def description(self, name):
        """The description of a served model; RequestError 404 for another name."""
        if not isinstance(name, str) or name not in self.descriptions:
            hint = ""
            if isinstance(name, str) and name in applications.list_pretrained():
                hint = " It is pretrained, but this server was started without it (--models)."
            raise RequestError(404, f"Unknown model {name!r}.{hint} This server serves: "
                                    f"{', '.join(self.names)} (GET /api/models).")
        return self.descriptions[name]

    def model(self, name):
        """The loaded model `name` (loaded now if it is the first use)."""
        loaded = self._models.get(name)
        if loaded is not None:  # no lock: a model being loaded does not hold up the others
            return loaded
        with self._load_lock:
            if name not in self._models:
                try:
                    self._models[name] = self._loader(name)
                except (RuntimeError, OSError) as error:  # no weights: not the client's fault
                    raise RequestError(503, f"{name} cannot be loaded: {error}") from None
            return self._models[name]

    def run_lock(self, name):
        """The lock held while model `name` runs (one request at a time per model)."""
        return self._run_locks[name]

    @property
    def loaded(self):
        """Names of the models loaded so far."""
        return sorted(self._models)


def _check_int(value, field, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
            or not low <= value <= high:
        raise RequestError(422, f"{field} must be an int in [{low}, {high}]; got {value!r}.")
    return int(value)


def _walk_times(walk, cap):
    """The t values of a walk: its `t` (a number or a list in [0, 1]) or `steps` evenly
    spaced ones from 0 to 1 (at most `cap`)."""
    t, steps = walk.get("t"), walk.get("steps")
    if (t is None) == (steps is None):
        raise RequestError(422, "walk needs exactly one of t (a number in [0, 1] or a list of "
                                "them) and steps (an int >= 2: t = 0, ..., 1 evenly spaced).")
    if steps is not None:
        steps = _check_int(steps, "walk.steps", 2, cap)
        return np.linspace(0.0, 1.0, steps)
    values = t if isinstance(t, (list, tuple)) else [t]
    if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                             and 0.0 <= v <= 1.0 for v in values):
        raise RequestError(422, f"walk.t must be a number in [0, 1] or a non-empty list of "
                                f"them; got {t!r}.")
    return np.asarray(values, "float64")


def _check_temperature(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise RequestError(422, f"temperature must be a number > 0 (1 samples the model's "
                                f"distribution, lower is more conservative); got {value!r}.")
    return float(value)


def _psnr(value):
    """A PSNR for JSON: rounded, None for an exact prediction (inf)."""
    return round(float(value), 4) if math.isfinite(value) else None


def _seed_latent(model, seed):
    """The latent `generate(1, seed=seed)` draws (its prior: `random_latents`, or
    `sample_prior` for the autoencoding models)."""
    draw = getattr(model, "random_latents", None) or model.sample_prior
    return draw(1, seed)[0]


class Service:
    """The app's operations over a :class:`ModelPool`: `generate`, `complete`,
    `translate`, `sentences` and `predict`.

    Each returns a JSON-able dict with ``images`` (PNG data URLs; ``sentences`` for a
    sentence model, ``context`` / ``predicted`` / ``truth`` frames for a next-frame
    predictor) and what produced them, and raises :class:`RequestError` for a bad request.

    Args:
        pool: the :class:`ModelPool` served.
        limits: the caps (:class:`Limits`; default ``Limits()``).

    Example:
        >>> service = Service(ModelPool(["cgan_mnist"]), Limits(max_n=16))
        >>> sevens = service.generate("cgan_mnist", seed=3, n=4, labels=7)
        >>> sevens["labels"], sevens["width"]
        ([7, 7, 7, 7], 28)
    """

    def __init__(self, pool, limits=None):
        self.pool = pool
        self.limits = limits or Limits()
        self._videos = {}  # a next-frame predictor's name -> its rendered test videos
        self._video_locks = {name: threading.Lock() for name in pool.names}

    def models(self):
        """The descriptions of the served models, each with its cap of `n` (``max_n``)
        and, for a next-frame predictor, the caps of `video` and `future` (``video``'s
        ``max_video`` and ``max_future``)."""
        return [self._listed(self.pool.descriptions[name]) for name in self.pool.names]

    def _listed(self, description):
        listed = {**description, "max_n": self.limits.n_cap(description["kind"])}
        if description["video"]:
            video = description["video"]
            listed["video"] = {**video,
                               "max_video": max(0, min(self.limits.max_video,
                                                       video["test_videos"] - 1)),
                               "max_future": self.limits.max_future}
        return listed

    # ------------------------------------------------------------------ checks
    def _usable(self, name, endpoint):
        description = self.pool.description(name)
        if not description["available"]:
            raise RequestError(409, f"{name} is unavailable in the app: "
                                    f"{description['reason']}.")
        if endpoint not in description["endpoints"]:
            kind = {"translator": "a translator (POST /api/translate with an image)",
                    "generator": "a generator (POST /api/generate)",
                    "autoregressive": "a PixelCNN (POST /api/generate or /api/complete)",
                    "text": "a sentence model (POST /api/sentences)",
                    "video": "a next-frame video predictor (POST /api/predict)"}
            offers = [other for other, info in self.pool.descriptions.items()
                      if endpoint in info["endpoints"] and info["available"]]
            raise RequestError(400, f"{name} is {kind[description['kind']]}; POST "
                                    f"/api/{endpoint} serves "
                                    f"{', '.join(offers) or 'no model of this server'}.")
        return description

    def _count(self, n, description, field="n", unit="images"):
        cap = self.limits.n_cap(description["kind"])
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise RequestError(422, f"{field} must be an int in [1, {cap}]; got {n!r}.")
        if n > cap:
            raise RequestError(422, f"{field} is {n}; the cap of {description['name']} is "
                                    f"{cap} {unit} per request.")
        return int(n)

    def _conditions(self, description, n, labels, captions, codes, psi):
        """The keyword arguments of `generate` for these conditions, checked against
        what the model takes."""
        name, conditions = description["name"], {}
        accepted = {"labels": description["classes"], "captions": description["captions"],
                    "codes": description["codes"], "psi": description["truncation"]}
        given = {"labels": labels, "captions": captions, "codes": codes, "psi": psi}
        refused = [field for field, value in given.items()
                   if value is not None and not accepted[field]]
        if refused:
            takes = [field for field, what in accepted.items() if what]
            raise RequestError(422, f"{name} takes no {refused[0]}; its conditions: "
                                    f"{', '.join(takes) or 'none (it is unconditional)'}.")
        if description["classes"]:
            # Like `keras-gan-zoo sample`: without labels the images cycle through the classes.
            conditions["labels"] = (np.arange(n) % len(description["classes"])
                                    if labels is None else np.asarray(labels))
        if description["captions"]:
            if not captions:  # None, "" or []
                examples = description["captions"]["examples"]
                raise RequestError(422, f"{name} draws from captions: pass captions (one "
                                        f"str for all images, or {n}), e.g. "
                                        f"{examples[0] if examples else 'a dark pullover'!r}.")
            conditions["captions"] = captions
        if codes is not None:
            conditions["codes"] = {kind: value for kind, value in codes.items()
                                   if value is not None}
        if psi is not None:
            conditions["psi"] = float(psi)
        return conditions

    def _run(self, name, function):
        """Runs `function(model)` under the model's lock; a ValueError or TypeError of
        the model (labels out of range, a caption word it does not know...) is a 422."""
        model = self.pool.model(name)
        with self.pool.run_lock(name):
            try:
                return function(model)
            except (ValueError, TypeError) as error:
                raise RequestError(422, f"{name}: {error}") from None

    @staticmethod
    def _input_array(image, description, shape, resize, field="image"):
        """A decoded upload (a PIL image) as a model input of `shape` (H, W, C): its
        size must be `shape`'s unless `resize`."""
        height, width = shape[:2]
        if image.size != (width, height) and not resize:
            raise RequestError(422, f"{description['name']} takes {width}x{height} images "
                                    f"(width x height) here; {field} is {image.size[0]}x"
                                    f"{image.size[1]}. Send a {width}x{height} image or pass "
                                    "\"resize\": true.")
        try:
            return image_to_array(image, shape)
        except ValueError as error:
            raise RequestError(422, f"{field}: {error}") from None

    # -------------------------------------------------------------- endpoints
    def generate(self, model, seed=None, n=None, labels=None, captions=None, codes=None,
                 psi=None, walk=None):
        """Images from noise: `n` samples of `seed`, or a latent walk.

        Args:
            model: a served model's name.
            seed: int in [0, MAX_SEED] (default 0); image i of `n` is the i-th draw.
            n: images (default 8; capped by `Limits`).
            labels: class-conditional models: one class for all images or n classes
                (default: the images cycle through the classes).
            captions: text-conditional models: one caption for all images or n.
            codes: InfoGAN: ``{"categorical": ..., "continuous": ...}`` as in its
                ``generate(codes=)``; codes not given are drawn from the seed.
            psi: StyleGAN's truncation (1 is off).
            walk: ``{"from_seed", "to_seed", "t" or "steps", "method"}``: the images of
                points on the path between the latents of two seeds (`generate(1,
                seed=s)` draws seed s's latent), instead of `seed` and `n`.

        Returns:
            ``{"model", "images", "width", "height", "seed", "n", "labels", "captions",
            "walk", "seconds"}``.
        """
        description = self._usable(model, "generate")
        start = time.perf_counter()
        times = None
        if walk is not None:
            if seed is not None or n is not None:
                raise RequestError(422, "pass either seed and n (samples) or walk (a latent "
                                        "walk between two seeds), not both.")
            if not description["walk"]:
                raise RequestError(422, f"{model} has no latent space to walk (it samples "
                                        "pixel by pixel); pass seed and n.")
            from_seed = _check_int(walk.get("from_seed"), "walk.from_seed", 0, MAX_SEED)
            to_seed = _check_int(walk.get("to_seed"), "walk.to_seed", 0, MAX_SEED)
            method = walk.get("method") or "slerp"
            if method not in WALK_METHODS:
                raise RequestError(422, f"walk.method must be one of {list(WALK_METHODS)}; "
                                        f"got {method!r}.")
            times = _walk_times(walk, self.limits.n_cap(description["kind"]))
            count = self._count(len(times), description, "the number of walk points")
        else:
            seed = 0 if seed is None else _check_int(seed, "seed", 0, MAX_SEED)
            count = self._count(8 if n is None else n, description)
        conditions = self._conditions(description, count, labels, captions, codes, psi)

        def run(network):
            if times is None:
                return network.generate(count, seed=seed, **conditions)
            interpolate = latent.slerp if method == "slerp" else latent.lerp
            path = interpolate(_seed_latent(network, from_seed), _seed_latent(network, to_seed),
                               times)
            return network.generate(count, latents=path, **conditions)

        images = self._run(model, run)
        result = {
            "model": model, "images": [encode_data_url(image) for image in images],
            "width": int(images.shape[2]), "height": int(images.shape[1]),
            "seed": seed, "n": count,
            "labels": None if "labels" not in conditions
            else [int(label) for label in np.broadcast_to(conditions["labels"], (count,))],
            "captions": None if "captions" not in conditions else (
                [conditions["captions"]] * count if isinstance(conditions["captions"], str)
                else list(conditions["captions"])),
            "walk": None if times is None else {
                "from_seed": from_seed, "to_seed": to_seed, "method": method,
                "t": [float(t) for t in times]},
        }
        return {**result, "seconds": round(time.perf_counter() - start, 3)}

    def complete(self, model, image, visible_rows=None, n=None, seed=None, labels=None,
                 resize=False):
        """A PixelCNN completes the top rows of an image `n` times.

        Args:
            model: a served PixelCNN's name.
            image: a PNG/JPEG data URL, the model's width and either its height or
                `visible_rows` high (only the top `visible_rows` rows are used).
            visible_rows: rows kept, 1..H-1 (default H // 2: the top half).
            n: completions (default 4).
            seed: int in [0, MAX_SEED] (default 0).
            labels: a class-conditional PixelCNN's class(es).
            resize: resize an image of another size to the model's.

        Returns:
            ``{"model", "input" (the kept rows as the model sees them, the rest black),
            "images", "visible_rows", "seed", "width", "height", "seconds"}``.
        """
        description = self._usable(model, "complete")
        start = time.perf_counter()
        height, width, channels = description["image_shape"]
        rows = description["completion"]["visible_rows"] if visible_rows is None \
            else _check_int(visible_rows, "visible_rows", 1, height - 1)
        count = self._count(4 if n is None else n, description)
        seed = 0 if seed is None else _check_int(seed, "seed", 0, MAX_SEED)
        conditions = self._conditions(description, count, labels, None, None, None)
        decoded = decode_data_url(image, self.limits)
        if decoded.size == (width, rows):  # only the visible rows were sent
            top = self._input_array(decoded, description, (rows, width, channels), False)
            array = np.concatenate([top, -np.ones((height - rows, width, channels), "float32")])
        else:
            array = self._input_array(decoded, description, (height, width, channels), resize)
        batch = np.repeat(array[None], count, axis=0)
        completed = self._run(model, lambda network: network.complete(
            batch, visible_rows=rows, seed=seed, **conditions))
        shown = completed[0].copy()
        shown[rows:] = -1.0
        return {"model": model, "input": encode_data_url(shown),
                "images": [encode_data_url(picture) for picture in completed],
                "visible_rows": rows, "seed": seed, "width": width, "height": height,
                "seconds": round(time.perf_counter() - start, 3)}

    def translate(self, model, image, direction="a_to_b", n=None, seed=None, resize=False):
        """A translator turns an image into its counterpart (an edge sketch into an
        article, a sneaker into a boot, a low-resolution image into a sharper one).

        Args:
            model: a served translator's name.
            image: a PNG/JPEG data URL of the direction's input size.
            direction: ``"a_to_b"`` or, for two-domain models, ``"b_to_a"``.
            n: outputs: 1, or up to the cap for a multimodal model (BiCycleGAN), which
                draws one latent code per output from `seed`.
            seed: multimodal models: int in [0, MAX_SEED]; without it BiCycleGAN
                uses z = 0 (its one deterministic output).
            resize: resize an image of another size to the input size.

        Returns:
            ``{"model", "direction", "from", "to", "input" (as the model saw it),
            "images", "seed", "width", "height", "seconds"}``.
        """
        description = self._usable(model, "translate")
        start = time.perf_counter()
        translation = description["translation"]
        if direction not in translation["directions"]:
            raise RequestError(422, f"{model} translates {list(translation['directions'])}; "
                                    f"got direction {direction!r}.")
        route = translation["directions"][direction]
        multimodal = translation["multimodal"]
        if not multimodal and (seed is not None or (n is not None and n != 1)):
            raise RequestError(422, f"{model} has one output per image: it takes no seed "
                                    "and n must be 1.")
        count = self._count(1 if n is None else n, description)
        if seed is not None:
            seed = _check_int(seed, "seed", 0, MAX_SEED)
        elif count > 1:
            seed = 0  # n outputs need n drawn codes
        array = self._input_array(decode_data_url(image, self.limits), description,
                                  tuple(route["input_shape"]), resize)
        batch = np.repeat(array[None], count, axis=0)
        extra = {"seed": seed} if multimodal else {}
        images = self._run(model, lambda network: network.translate(
            batch, direction=direction, **extra))
        return {"model": model, "direction": direction, "from": route["from"],
                "to": route["to"], "input": encode_data_url(array),
                "images": [encode_data_url(picture) for picture in images], "seed": seed,
                "width": int(images.shape[2]), "height": int(images.shape[1]),
                "seconds": round(time.perf_counter() - start, 3)}

    def sentences(self, model, n=None, seed=None, temperature=None, greedy=None,
                  between=None, steps=None):
        """A sentence model's sentences: `n` samples of `seed`, or a homotopy between two
        sentences.

        Args:
            model: a served sentence model's name.
            n: sentences (default 8; capped by `Limits.max_n`): `model.generate(n,
                seed=seed, temperature=temperature, greedy=greedy)`.
            seed: int in [0, MAX_SEED] (default 0): the latents and the words drawn.
            temperature: a number > 0 (default 1.0): the decoder's sampling temperature.
            greedy: the most likely word at each step instead of a sampled one (default
                False).
            between: ``[first, second]``, two sentences written with the model's words:
                `steps` points on the line between their posterior means, each decoded
                greedily (`model.interpolate`), instead of `n`, `seed`, `temperature`
                and `greedy`.
            steps: the points of the homotopy, both ends included (default 5; capped
                by `Limits.max_n`).

        Returns:
            ``{"model", "sentences", "seed", "n", "temperature", "greedy", "between",
            "steps", "seconds"}``; the fields of the other mode are None.

        Example:
            >>> service = Service(ModelPool(["sentence_vae_verse"]))
            >>> len(service.sentences("sentence_vae_verse", n=3, seed=0)["sentences"])
            3
            >>> service.sentences("sentence_vae_verse", between=["the moon", "the mooon"])
            Traceback (most recent call last):
            ...
            keras_gan_zoo.app.service.RequestError: between has 1 word not in the vocabulary of
            sentence_vae_verse: 'mooon' (close: 'moon', ...); write with its words ...
        """
        description = self._usable(model, "sentences")
        start = time.perf_counter()
        result = {"model": model, "sentences": None, "seed": None, "n": None,
                  "temperature": None, "greedy": None, "between": None, "steps": None}
        if between is not None:
            given = [field for field, value in (("n", n), ("seed", seed),
                                                ("temperature", temperature),
                                                ("greedy", greedy)) if value is not None]
            if given:
                raise RequestError(422, "pass either n, seed, temperature and greedy (samples) "
                                        "or between and steps (a homotopy between two "
                                        f"sentences), not both; got between and {given[0]}.")
            if not description["sentences"]["interpolate"]:
                raise RequestError(422, f"{model} has no latent space to interpolate in (a "
                                        "language model); pass n and seed.")
            first, second = self._sentence_pair(between, description)
            steps = 5 if steps is None else _check_int(
                steps, "steps", 2, self.limits.n_cap(description["kind"]))

            def homotopy(network):
                try:
                    return network.interpolate(first, second, steps=steps, unknown="error")
                except ValueError as error:  # words outside the vocabulary: named, not <unk>
                    raise self._sentence_error(description, (first, second), error) from None

            texts = self._run(model, homotopy)
            result.update(between=[first, second], steps=steps)
        else:
            if steps is not None:
                raise RequestError(422, "steps counts the points of a homotopy: pass it with "
                                        "between (two sentences), or pass n for samples.")
            count = self._count(8 if n is None else n, description, unit="sentences")
            seed = 0 if seed is None else _check_int(seed, "seed", 0, MAX_SEED)
            temperature = 1.0 if temperature is None else _check_temperature(temperature)
            if greedy is None:
                greedy = False
            elif not isinstance(greedy, (bool, np.bool_)):
                raise RequestError(422, f"greedy must be true or false; got {greedy!r}.")
            texts = self._run(model, lambda network: network.generate(
                count, seed=seed, temperature=temperature, greedy=bool(greedy)))
            result.update(seed=seed, n=count, temperature=temperature, greedy=bool(greedy))
        return {**result, "sentences": [str(text) for text in texts],
                "seconds": round(time.perf_counter() - start, 3)}

    def _sentence_pair(self, between, description):
        """`between` checked: two sentences, each with a word and at most the cap."""
        if not isinstance(between, (list, tuple)) or len(between) != 2 \
                or not all(isinstance(sentence, str) for sentence in between):
            shown = repr(between)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise RequestError(422, f"between must be two sentences [first, second]; got "
                                    f"{shown}.")
        examples = description["sentences"]["examples"] or ["the moon is rising"]
        cap = self.limits.max_sentence_words
        for i, sentence in enumerate(between):
            tokens = words.tokenize(sentence)
            if not tokens:
                raise RequestError(422, f"between[{i}] has no word: write a sentence, e.g. "
                                        f"{examples[i % len(examples)]!r}.")
            if len(tokens) > cap:
                raise RequestError(422, f"between[{i}] has {len(tokens)} words and marks; the "
                                        f"cap is {cap} per sentence.")
        return between[0], between[1]

    @staticmethod
    def _sentence_error(description, sentences, error):
        """The RequestError of a model's ValueError on `sentences`: the words outside its
        vocabulary, each with the close ones it knows, or the model's message."""
        vocabulary = description["sentences"]["vocabulary"]
        known = set(vocabulary)
        unknown = list(dict.fromkeys(token for sentence in sentences
                                     for token in words.tokenize(sentence)
                                     if token not in known))
        if not unknown:
            return RequestError(422, f"{description['name']}: {error}")
        described = []
        for word in unknown:
            close = difflib.get_close_matches(word, vocabulary, n=3, cutoff=0.6)
            described.append(f"{word!r} (close: {', '.join(map(repr, close))})" if close
                             else f"{word!r} (no close word)")
        plural = "word" if len(unknown) == 1 else "words"
        return RequestError(422, f"between has {len(unknown)} {plural} not in the vocabulary "
                                 f"of {description['name']}: {', '.join(described)}; write "
                                 "with its words (sentences.vocabulary in GET /api/models).")

    def test_videos(self, model):
        """The test videos a next-frame predictor is shown: the first ``max_video + 1`` of
        its dataset's test split, ``context_frames + max_future`` frames each at its frame
        size (`load_videos`), float32 in [-1, 1]. Rendered on first use and kept (the
        test split renders the same videos every time; a video's first frames do not
        depend on how many are rendered)."""
        from keras_gan_zoo.models.translation.video_gan import load_videos

        info = self._listed(self._usable(model, "predict"))["video"]
        with self._video_locks[model]:
            if model not in self._videos:
                try:
                    self._videos[model] = load_videos(
                        info["dataset"], "test", num_sequences=info["max_video"] + 1,
                        num_frames=info["context_frames"] + info["max_future"],
                        frame_size=info["frame_shape"][0])
                except (RuntimeError, OSError, ValueError) as error:
                    raise RequestError(503, f"The test videos of {info['dataset']} cannot be "
                                            f"rendered: {error}") from None
            return self._videos[model]

    def predict(self, model, video=None, future=None):
        """A next-frame predictor's next frames of a test video, beside the true ones.

        Args:
            model: a served next-frame predictor's name.
            video: the index of a test video of the model's dataset, 0 .. ``max_video``
                (default 0; see :meth:`test_videos`).
            future: frames to predict, 1 .. ``Limits.max_future`` (default 10):
                `model.predict_frames(context[None], future)[0]`, each prediction fed
                back as the last context frame.

        Returns:
            ``{"model", "video", "future", "context" (the frames the model sees),
            "predicted", "truth" (the true next frames), "psnr" (dB, per predicted frame
            against the true one: `kgz.metrics.video.frame_scores`; None where exact),
            "width", "height", "seconds"}``; frames are PNG data URLs.

        Example:
            >>> service = Service(ModelPool(["video_gan_moving_mnist"]), Limits(max_video=9))
            >>> frames = service.predict("video_gan_moving_mnist", video=3, future=5)
            >>> len(frames["context"]), len(frames["predicted"]), len(frames["psnr"])
            (4, 5, 5)
        """
        description = self._usable(model, "predict")
        start = time.perf_counter()
        info = self._listed(description)["video"]
        index = 0 if video is None else _check_int(video, "video", 0, info["max_video"])
        future = min(10, info["max_future"]) if future is None \
            else _check_int(future, "future", 1, info["max_future"])
        k = info["context_frames"]
        videos = self.test_videos(model)
        context, truth = videos[index, :k], videos[index, k:k + future]
        predicted = self._run(model, lambda network: network.predict_frames(
            context[None], future)[0])
        psnr = frame_scores(predicted[None], truth[None])["psnr"]
        height, width = info["frame_shape"][:2]
        return {"model": model, "video": index, "future": future,
                "context": [encode_data_url(frame) for frame in context],
                "predicted": [encode_data_url(frame) for frame in predicted],
                "truth": [encode_data_url(frame) for frame in truth],
                "psnr": [_psnr(value) for value in psnr], "width": int(width),
                "height": int(height), "seconds": round(time.perf_counter() - start, 3)}
