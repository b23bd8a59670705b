"""What the app offers for each pretrained checkpoint, read from its registry record.

A description is built from the record (``keras_gan_zoo/applications/weights/<name>.json``)
and the model's class, without loading any weights, so ``GET /api/models`` answers at
once. It says what a client may ask of the model:

- ``kind``: ``"generator"`` (images from noise: adversarial and autoencoding models),
  ``"autoregressive"`` (PixelCNNs: sampling and image completion), ``"translator"``
  (image to image), ``"text"`` (the sentence VAE: sentences sampled or interpolated) or
  ``"video"`` (next-frame predictors: the next frames of a test video);
- ``endpoints``: which of ``generate``, ``complete``, ``translate``, ``sentences``,
  ``predict`` serve it;
- the conditioning it takes: ``classes`` (names, in label order), ``captions``
  (vocabulary and example captions), ``codes`` (InfoGAN's categorical and continuous
  codes), ``truncation`` (StyleGAN's psi); ``walk`` when its latent space can be walked;
  ``completion``, ``translation``, ``sentences`` (vocabulary, length, example lines) and
  ``video`` (context frames, frame shape, test videos) for the other kinds;
- ``available`` and, when not, the ``reason``.

Example:
    >>> description = describe("cgan_mnist")
    >>> description["kind"], description["classes"][:3], description["endpoints"]
    ('generator', ['0', '1', '2'], ['generate'])
    >>> describe("video_gan_moving_mnist")["video"]
    {'context_frames': 4, 'frame_shape': [32, 32, 1], 'dataset': 'moving_mnist',
     'test_videos': 1000}
"""

import inspect
import os

from keras_gan_zoo import applications, registry
from keras_gan_zoo.applications import download

__all__ = ["KINDS", "caption_examples", "describe", "kind_of", "sentence_examples"]

#: Each kind of model and the endpoint that runs it.
KINDS = {"generator": "generate", "autoregressive": "generate", "translator": "translate",
         "text": "sentences", "video": "predict"}

#: How many example captions a text-conditional model's description lists.
NUM_CAPTION_EXAMPLES = 8
#: How many example lines a sentence model's description lists.
NUM_SENTENCE_EXAMPLES = 4


def kind_of(model_class):
    """The kind (a key of :data:`KINDS`) of a zoo model class.

    Example:
        >>> kind_of(registry.model_class("pix2pix"))
        'translator'
    """
    family = getattr(model_class, "family", None)
    if hasattr(model_class, "predict_frames"):  # a next-frame model (a translator of frames)
        return "video"
    if family == "translation":
        return "translator"
    if family == "autoregressive":
        return "autoregressive"
    if family == "sequence":
        return "text"
    return "generator"


def _parameters(function):
    return set(inspect.signature(function).parameters) if function else set()


def _class_names(entry, num_classes):
    """Names of the classes of a conditional model, from its dataset when it has them."""
    from keras_gan_zoo import datasets

    try:
        names = datasets.info(entry["dataset"]).get("class_names")
    except ValueError:
        names = None
    if names and len(names) == num_classes:
        return [str(name) for name in names]
    return [str(label) for label in range(num_classes)]


def caption_examples(vocabulary, count=NUM_CAPTION_EXAMPLES):
    """Captions of the Fashion-MNIST templates written only with words of `vocabulary`:
    the class names and one fuller caption per class (style, size and brightness).

    Example:
        >>> from keras_gan_zoo.datasets import captions
        >>> caption_examples(captions.caption_vocabulary(), count=3)
        ['a dark t-shirt', 'a large trouser', 'a short-sleeved pullover']
    """
    from keras_gan_zoo.datasets import captions

    known = set(vocabulary)
    examples = []
    for label in range(len(captions.CLASS_CAPTION_NAMES)):
        styles = captions.STYLE_VALUES.get(label, ("",))
        written = captions.template_captions(
            label, captions.BRIGHTNESS_VALUES[label % 3],
            captions.SIZE_VALUES[(label * 2) % 3], styles[label % len(styles)])
        caption = written[1 + label % 4]
        if set(caption.split()) <= known:
            examples.append(caption)
    return examples[:count]


def sentence_examples(dataset, vocabulary, count=NUM_SENTENCE_EXAMPLES):
    """The first lines of the test split of a sentence model's corpus written only with
    words of `vocabulary` (the generated ``"verse"`` corpus; other corpora: none).

    Example:
        >>> from keras_gan_zoo.datasets import verse
        >>> sentence_examples("verse", verse.verse_vocabulary(), count=1)
        ['the white horse is whispering behind the cost']
    """
    from keras_gan_zoo.datasets import verse_lines, words

    if dataset != "verse":
        return []
    known = set(vocabulary)
    lines = verse_lines("test")
    return [line for line in lines[:10 * count] if set(words.tokenize(line)) <= known][:count]


def _sentences(entry, model_class, config):
    """What a sentence model writes with: its vocabulary, length and example lines."""
    from keras_gan_zoo.datasets import words

    vocabulary = list(config.get("vocabulary") or ())
    known = [word for word in vocabulary if word not in words.SPECIAL_TOKENS]
    return {"vocabulary_size": len(vocabulary), "vocabulary": known,
            "max_length": int(config.get("max_length") or 0),
            # The language-model baseline (use_latent=False) has no latent to walk.
            "interpolate": bool(config.get("use_latent", True))
            and hasattr(model_class, "interpolate"),
            "examples": sentence_examples(entry["dataset"], known)}


def _video(entry, config):
    """What a next-frame predictor takes: its context frames, frame shape and test videos."""
    from keras_gan_zoo import datasets

    try:
        test_videos = int(datasets.info(entry["dataset"])["num_examples"]["test"])
    except (ValueError, KeyError):
        test_videos = 0
    return {"context_frames": int(config["context_frames"]),
            "frame_shape": [int(side) for side in config["frame_shape"]],
            "dataset": entry["dataset"], "test_videos": test_videos}


def _image_shapes(config):
    """`(input shape, output shape)` of a translator's a -> b direction, from its config."""
    height, width, channels = config["image_shape"]
    scale = config.get("scale") or 1
    target = config.get("target_shape") or (height * scale, width * scale,
                                            config.get("target_channels") or channels)
    return [height, width, channels], list(target)


def _translation(model_class, config):
    source, target = _image_shapes(config)
    names = list(config.get("domain_names") or ("a", "b"))
    directions = {"a_to_b": {"from": names[0], "to": names[1], "input_shape": source,
                             "output_shape": target}}
    if "b_to_a" in model_class.directions:
        directions["b_to_a"] = {"from": names[1], "to": names[0], "input_shape": target,
                                "output_shape": source}
    return {"directions": directions,
            # BiCycleGAN draws a latent code per output: several outputs per input.
            "multimodal": "seed" in _parameters(model_class.translate)}


def _weights_reason(entry):
    """Why the generator file cannot be had, or None when it is packaged, cached or
    downloadable from a configured origin."""
    spec = entry["files"]["generator"]
    places = [os.path.join(download.default_cache_dir(), spec["file"])]
    if spec["packaged"]:
        places.append(os.path.join(download.PACKAGE_DIR, spec["file"]))
    if any(os.path.isfile(path) for path in places) or os.environ.get(download.ORIGIN_ENV):
        return None
    return (f"its generator weights ({spec['file']}) are neither packaged nor cached; set "
            f"${download.ORIGIN_ENV} to the checkpoint origin (docs/applications.md)")


def describe(name):
    """The description of pretrained checkpoint `name` (see the module docstring).

    Args:
        name: a name of ``kgz.applications.list_pretrained()``.

    Returns:
        A JSON-able dict: ``name``, ``architecture``, ``family``, ``kind``, ``dataset``,
        ``description``, ``card``, ``image_shape``, ``endpoints``, ``available``,
        ``reason``, ``classes``, ``captions``, ``codes``, ``truncation``, ``walk``,
        ``completion``, ``translation``, ``sentences``, ``video``.

    Raises:
        ValueError: an unknown name (the message lists the known ones).

    Example:
        >>> edges_to_fashion = describe("pix2pix_fashion_mnist_edges")["translation"]
        >>> edges_to_fashion["directions"]["a_to_b"]["input_shape"]
        [28, 28, 1]
    """
    entry = applications.info(name)
    config = entry["config"]
    model_class = registry.model_class(entry["architecture"])
    kind = kind_of(model_class)
    generate_parameters = _parameters(getattr(model_class, "generate", None))
    num_classes = config.get("num_classes")
    text_conditional = getattr(model_class, "condition_kind", None) == "text"
    description = {
        "name": name, "architecture": entry["architecture"],
        "family": getattr(model_class, "family", None), "kind": kind,
        "dataset": entry["dataset"], "description": entry["description"],
        "card": entry["card"], "image_shape": None, "endpoints": [],
        "available": True, "reason": None, "classes": None, "captions": None, "codes": None,
        "truncation": False, "walk": False, "completion": None, "translation": None,
        "sentences": None, "video": None,
    }
    if kind == "text":
        description["endpoints"] = ["sentences"]
        description["sentences"] = _sentences(entry, model_class, config)
    elif kind == "video":
        description["endpoints"] = ["predict"]
        description["video"] = _video(entry, config)
        description["image_shape"] = list(description["video"]["frame_shape"])
    elif kind == "translator":
        description["translation"] = _translation(model_class, config)
        description["image_shape"] = description["translation"]["directions"]["a_to_b"][
            "output_shape"]
        description["endpoints"] = ["translate"]
    else:
        description["image_shape"] = list(config["image_shape"])
        description["endpoints"] = ["generate"]
        if num_classes:
            description["classes"] = _class_names(entry, num_classes)
        if text_conditional:
            vocabulary = list(config.get("vocabulary") or ())
            description["captions"] = {"vocabulary": vocabulary,
                                       "examples": caption_examples(vocabulary)}
        if "codes" in generate_parameters:
            description["codes"] = {"categorical": list(config.get("categorical_codes") or []),
                                    "continuous": int(config.get("continuous_codes") or 0)}
        description["truncation"] = "psi" in generate_parameters
        description["walk"] = "latents" in generate_parameters
        if kind == "autoregressive":
            description["endpoints"].append("complete")
            description["completion"] = {"visible_rows": config["image_shape"][0] // 2}
    reason = _weights_reason(entry)
    if reason:
        description.update(available=False, reason=reason)
    return description
