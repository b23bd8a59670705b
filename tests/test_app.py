"""The web app of `keras-gan-zoo serve`: its JSON API and its page.

The API runs through FastAPI's TestClient over `create_app` with a few small shipped
checkpoints (unconditional, class-conditional, InfoGAN, text-conditional, a PixelCNN, the
pix2pix edges translator, the sentence VAE and the next-frame video GAN). Images are
compared with the Python API's (`generate` / `translate` / `complete` / `predict_frames` of
the model, as 8-bit PNGs), sentences with `generate` / `interpolate` of the model loaded
by `kgz.applications.load_generator`. Every kind of bad request gets a 4xx whose message
says what was expected; the TestClient re-raises server errors, so a 500 fails the test.
One test starts `python -m keras_gan_zoo.cli serve` and drives the page in headless
Chromium: images, sentences and a video's frames.
"""

import base64
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings

import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import cli
from keras_gan_zoo.app import create_app
from keras_gan_zoo.app.service import MAX_SEED
from keras_gan_zoo.metrics.video import frame_scores
from keras_gan_zoo.models.translation.video_gan import load_videos
from keras_gan_zoo.utils.images import to_uint8

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 for its TestClient; httpx works the same.
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

MODELS = ["dcgan_fashion_mnist", "cgan_mnist", "infogan_mnist", "gan_cls_fashion_mnist",
          "pixelcnn_mnist", "pix2pix_fashion_mnist_edges", "sentence_vae_verse",
          "video_gan_moving_mnist"]
CAPS = {"max_n": 16, "max_autoregressive_n": 4, "max_image_bytes": 50_000,
        "max_image_side": 256, "max_sentence_words": 12, "max_video": 9, "max_future": 6}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMEDRIVER, CHROMIUM = "/usr/bin/chromedriver", "/usr/bin/chromium"


@pytest.fixture(scope="module")
def app():
    return create_app(MODELS, **CAPS)


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app)


def model_of(app, name):
    """The model the app serves under `name` (loaded now if it was not)."""
    return app.state.service.pool.model(name)


def png_url(array):
    """A PNG data URL of a uint8 (H, W) or (H, W, C) array."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8).squeeze()).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def decoded(data_url):
    """The pixels of a PNG data URL as uint8 (H, W, C)."""
    assert data_url.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    assert image.format == "PNG"
    array = np.asarray(image)
    return array[..., None] if array.ndim == 2 else array


def post(client, path, body):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------------------- /api/models

def test_models_lists_what_each_model_takes_without_loading_any():
    app = create_app(MODELS, **CAPS)
    listing = TestClient(app).get("/api/models").json()
    models = {model["name"]: model for model in listing["models"]}
    assert list(models) == MODELS
    assert app.state.service.pool.loaded == []  # listing reads the registry records only
    assert listing["limits"] == {**CAPS, "max_seed": MAX_SEED}

    dcgan = models["dcgan_fashion_mnist"]
    assert (dcgan["kind"], dcgan["image_shape"], dcgan["endpoints"], dcgan["max_n"]) == (
        "generator", [28, 28, 1], ["generate"], 16)
    assert dcgan["available"] and dcgan["walk"] and dcgan["classes"] is None
    assert models["cgan_mnist"]["classes"] == [str(digit) for digit in range(10)]
    assert models["infogan_mnist"]["codes"] == {"categorical": [10], "continuous": 2}
    captions = models["gan_cls_fashion_mnist"]["captions"]
    assert captions["examples"] and all(set(example.split()) <= set(captions["vocabulary"])
                                        for example in captions["examples"])
    pixelcnn = models["pixelcnn_mnist"]
    assert (pixelcnn["endpoints"], pixelcnn["completion"], pixelcnn["max_n"], pixelcnn["walk"]) \
        == (["generate", "complete"], {"visible_rows": 14}, 4, False)
    pix2pix = models["pix2pix_fashion_mnist_edges"]
    assert pix2pix["endpoints"] == ["translate"]
    assert pix2pix["translation"] == {"multimodal": False, "directions": {"a_to_b": {
        "from": "edges", "to": "fashion", "input_shape": [28, 28, 1],
        "output_shape": [28, 28, 1]}}}
    text = models["sentence_vae_verse"]
    assert (text["kind"], text["available"], text["endpoints"], text["max_n"]) == (
        "text", True, ["sentences"], 16)
    sentences = text["sentences"]
    assert (sentences["vocabulary_size"], sentences["max_length"], sentences["interpolate"]) \
        == (496, 24, True)
    assert sentences["examples"] == kgz.datasets.verse_lines("test")[:4]
    assert "moon" in sentences["vocabulary"] and "<unk>" not in sentences["vocabulary"]
    video = models["video_gan_moving_mnist"]
    assert (video["kind"], video["available"], video["endpoints"], video["image_shape"]) == (
        "video", True, ["predict"], [32, 32, 1])
    assert video["video"] == {"context_frames": 4, "frame_shape": [32, 32, 1],
                              "dataset": "moving_mnist", "test_videos": 1000,
                              "max_video": 9, "max_future": 6}
    assert app.state.service.pool.loaded == []

    # A model listed as unavailable (its weights cannot be had) is refused with the reason.
    app.state.service.pool.descriptions["dcgan_fashion_mnist"].update(
        available=False, reason="its generator weights are missing")
    refused = TestClient(app).post("/api/generate", json={"model": "dcgan_fashion_mnist"})
    assert refused.status_code == 409 and refused.json()["detail"] == (
        "dcgan_fashion_mnist is unavailable in the app: its generator weights are missing.")


# -------------------------------------------------------------------------- /api/generate

def test_generate_returns_the_models_images_as_pngs(app, client):
    result = post(client, "/api/generate", {"model": "dcgan_fashion_mnist", "seed": 5, "n": 3})
    assert (result["n"], result["seed"], result["width"], result["height"]) == (3, 5, 28, 28)
    pixels = np.stack([decoded(url) for url in result["images"]])
    expected = to_uint8(model_of(app, "dcgan_fashion_mnist").generate(3, seed=5))
    np.testing.assert_array_equal(pixels, expected)

    again = post(client, "/api/generate", {"model": "dcgan_fashion_mnist", "seed": 5, "n": 3})
    other = post(client, "/api/generate", {"model": "dcgan_fashion_mnist", "seed": 6, "n": 3})
    assert again["images"] == result["images"]
    assert not set(other["images"]) & set(result["images"])


def test_generate_with_classes_codes_and_captions(app, client):
    cycling = post(client, "/api/generate", {"model": "cgan_mnist", "seed": 1, "n": 4})
    assert cycling["labels"] == [0, 1, 2, 3]  # as `keras-gan-zoo sample`: one per class
    sevens = post(client, "/api/generate", {"model": "cgan_mnist", "seed": 1, "n": 4,
                                            "labels": 7})
    assert sevens["labels"] == [7] * 4
    np.testing.assert_array_equal(
        np.stack([decoded(url) for url in sevens["images"]]),
        to_uint8(model_of(app, "cgan_mnist").generate(4, seed=1, labels=7)))

    codes = {"categorical": 3, "continuous": [0.5, -1.0]}
    coded = post(client, "/api/generate", {"model": "infogan_mnist", "seed": 2, "n": 2,
                                           "codes": codes})
    np.testing.assert_array_equal(
        np.stack([decoded(url) for url in coded["images"]]),
        to_uint8(model_of(app, "infogan_mnist").generate(2, seed=2, codes=codes)))

    boots = post(client, "/api/generate", {"model": "gan_cls_fashion_mnist", "seed": 0, "n": 2,
                                           "captions": "a dark ankle boot"})
    assert boots["captions"] == ["a dark ankle boot"] * 2 and len(boots["images"]) == 2


def test_walk_starts_and_ends_at_the_images_of_its_two_seeds(client):
    def first_image(model, seed, **conditions):
        return post(client, "/api/generate", {"model": model, "seed": seed, "n": 1,
                                              **conditions})["images"][0]

    walk = post(client, "/api/generate", {"model": "dcgan_fashion_mnist",
                                          "walk": {"from_seed": 3, "to_seed": 9,
                                                   "t": [0, 0.5, 1]}})
    assert walk["walk"] == {"from_seed": 3, "to_seed": 9, "method": "slerp",
                            "t": [0.0, 0.5, 1.0]}
    start, middle, end = walk["images"]
    assert start == first_image("dcgan_fashion_mnist", 3)
    assert end == first_image("dcgan_fashion_mnist", 9)
    assert middle not in (start, end)

    strip = post(client, "/api/generate", {"model": "cgan_mnist", "labels": 2, "walk": {
        "from_seed": 0, "to_seed": 1, "steps": 5, "method": "lerp"}})
    assert strip["walk"]["t"] == [0.0, 0.25, 0.5, 0.75, 1.0] and strip["labels"] == [2] * 5
    assert strip["images"][0] == first_image("cgan_mnist", 0, labels=2)
    assert strip["images"][-1] == first_image("cgan_mnist", 1, labels=2)


# -------------------------------------------------------------- /api/complete, /api/translate

def test_complete_keeps_the_top_rows_and_samples_the_rest(app, client):
    digit = np.zeros((28, 28), np.uint8)
    digit[4:7, 6:22] = 255   # the bar of a 7
    digit[7:14, 15:18] = 255
    # The client may send the kept rows only (what the page's canvas has above the line).
    result = post(client, "/api/complete", {"model": "pixelcnn_mnist", "n": 2, "seed": 4,
                                            "image": png_url(digit[:14])})
    completions = np.stack([decoded(url) for url in result["images"]])
    assert completions.shape == (2, 28, 28, 1) and result["visible_rows"] == 14
    np.testing.assert_array_equal(completions[:, :14, :, 0],
                                  np.broadcast_to(digit[:14], (2, 14, 28)))
    assert (decoded(result["input"])[14:] == 0).all()
    # What the model completes from the whole image, whatever its lower rows hold.
    whole = digit.copy()
    whole[14:] = np.random.default_rng(0).integers(0, 256, (14, 28))
    inputs = np.repeat(whole[None, ..., None].astype("float32") / 127.5 - 1.0, 2, axis=0)
    expected = model_of(app, "pixelcnn_mnist").complete(inputs, visible_rows=14, seed=4)
    np.testing.assert_array_equal(completions, to_uint8(expected))


def test_translate_a_sketch_into_an_article(app, client):
    sketch = np.full((28, 28), 255, np.uint8)  # edge maps: dark lines on white
    sketch[5:23, 8:10] = sketch[5:23, 18:20] = sketch[5:7, 8:20] = sketch[21:23, 8:20] = 0
    result = post(client, "/api/translate", {"model": "pix2pix_fashion_mnist_edges",
                                             "image": png_url(sketch)})
    assert (result["from"], result["to"], result["direction"]) == ("edges", "fashion", "a_to_b")
    model = model_of(app, "pix2pix_fashion_mnist_edges")
    expected = model.translate(sketch[None, ..., None].astype("float32") / 127.5 - 1.0)
    np.testing.assert_array_equal(decoded(result["images"][0])[None], to_uint8(expected))
    np.testing.assert_array_equal(decoded(result["input"])[..., 0], sketch)

    # Another size is refused unless the client asks for a resize; RGB becomes grayscale.
    large = np.repeat(np.repeat(np.stack([sketch] * 3, axis=-1), 2, axis=0), 2, axis=1)
    resized = post(client, "/api/translate", {"model": "pix2pix_fashion_mnist_edges",
                                              "image": png_url(large), "resize": True})
    assert decoded(resized["images"][0]).shape == (28, 28, 1)


# ------------------------------------------------------------- /api/sentences, /api/predict

def test_sentences_are_the_models_samples_and_homotopies(client):
    model = kgz.applications.load_generator("sentence_vae_verse")
    sampled = post(client, "/api/sentences", {"model": "sentence_vae_verse", "n": 3, "seed": 4,
                                              "temperature": 0.7})
    assert sampled["sentences"] == model.generate(3, seed=4, temperature=0.7, greedy=False)
    assert (sampled["n"], sampled["seed"], sampled["temperature"], sampled["greedy"],
            sampled["between"], sampled["steps"]) == (3, 4, 0.7, False, None, None)
    greedy = post(client, "/api/sentences", {"model": "sentence_vae_verse", "n": 2, "seed": 4,
                                             "greedy": True})
    assert greedy["sentences"] == model.generate(2, seed=4, greedy=True)
    default = post(client, "/api/sentences", {"model": "sentence_vae_verse"})
    assert default["sentences"] == model.generate(8, seed=0) and default["temperature"] == 1.0

    first, second = kgz.datasets.verse_lines("test")[:2]
    homotopy = post(client, "/api/sentences", {"model": "sentence_vae_verse",
                                               "between": [first, second], "steps": 4})
    assert homotopy["sentences"] == model.interpolate(first, second, steps=4)
    assert (homotopy["between"], homotopy["steps"], homotopy["seed"], homotopy["n"]) == (
        [first, second], 4, None, None)
    five = post(client, "/api/sentences", {"model": "sentence_vae_verse",
                                           "between": ["The moon is rising", "a sailor sings"]})
    assert five["sentences"] == model.interpolate("the moon is rising", "a sailor sings")
    assert len(five["sentences"]) == 5


def test_predict_continues_a_test_video_beside_the_truth(app, client):
    result = post(client, "/api/predict", {"model": "video_gan_moving_mnist", "video": 7,
                                           "future": 5})
    assert (result["video"], result["future"], result["width"], result["height"]) == (
        7, 5, 32, 32)
    assert (len(result["context"]), len(result["predicted"]), len(result["truth"]),
            len(result["psnr"])) == (4, 5, 5, 5)
    videos = load_videos("moving_mnist", "test", 8, num_frames=4 + 5, frame_size=32)
    context, truth = videos[7, :4], videos[7, 4:]
    model = kgz.applications.load_generator("video_gan_moving_mnist")
    predicted = model.predict_frames(context[None], 5)[0]
    frames = {key: np.stack([decoded(url) for url in result[key]])
              for key in ("context", "predicted", "truth")}
    np.testing.assert_array_equal(frames["context"], to_uint8(context))
    np.testing.assert_array_equal(frames["truth"], to_uint8(truth))
    np.testing.assert_array_equal(frames["predicted"], to_uint8(predicted))
    assert result["psnr"] == pytest.approx(frame_scores(predicted[None], truth[None])["psnr"],
                                           abs=1e-3)

    # The test videos are rendered once per model; a request reuses them.
    service = app.state.service
    assert service.test_videos("video_gan_moving_mnist") is \
        service.test_videos("video_gan_moving_mnist")
    again = post(client, "/api/predict", {"model": "video_gan_moving_mnist", "video": 7,
                                          "future": 5})
    assert again["predicted"] == result["predicted"]
    longest = post(client, "/api/predict", {"model": "video_gan_moving_mnist", "video": 9,
                                            "future": 6})
    assert len(longest["predicted"]) == len(longest["truth"]) == 6
    default = post(client, "/api/predict", {"model": "video_gan_moving_mnist"})
    assert (default["video"], default["future"]) == (0, 6)  # 10, capped by max_future


# ------------------------------------------------------------------------- bad requests

def _noise_png(side):
    return png_url(np.random.default_rng(0).integers(0, 256, (side, side, 3)))


GOOD_IMAGE = png_url(np.zeros((28, 28), np.uint8))
_NOISE = base64.b64decode(_noise_png(28).split(",", 1)[1])
BAD_REQUESTS = {
    "unknown model": ("generate", {"model": "nope"}, 404,
                      ["Unknown model 'nope'", "dcgan_fashion_mnist, cgan_mnist"]),
    "model not served": ("generate", {"model": "wgan_fashion_mnist"}, 404,
                         ["started without it"]),
    "no model": ("generate", {"seed": 0}, 422, ["model is required"]),
    "negative seed": ("generate", {"model": "dcgan_fashion_mnist", "seed": -1}, 422,
                      [f"seed must be an int in [0, {MAX_SEED}]; got -1"]),
    "seed not an int": ("generate", {"model": "dcgan_fashion_mnist", "seed": "abc"}, 422,
                        [f"seed must be an int in [0, {MAX_SEED}]", "'abc'"]),
    "fractional seed": ("generate", {"model": "dcgan_fashion_mnist", "seed": 1.5}, 422,
                        ["seed must be an int"]),
    "huge seed": ("generate", {"model": "dcgan_fashion_mnist", "seed": 2**40}, 422,
                  [f"[0, {MAX_SEED}]"]),
    "n over the cap": ("generate", {"model": "dcgan_fashion_mnist", "n": 17}, 422,
                       ["n is 17; the cap of dcgan_fashion_mnist is 16 images"]),
    "n zero": ("generate", {"model": "dcgan_fashion_mnist", "n": 0}, 422,
               ["n must be an int in [1, 16]"]),
    "pixelcnn n over its cap": ("generate", {"model": "pixelcnn_mnist", "n": 5}, 422,
                                ["the cap of pixelcnn_mnist is 4"]),
    "misspelt field": ("generate", {"model": "dcgan_fashion_mnist", "sead": 1}, 422,
                       ["sead is not a field of this request"]),
    "labels to an unconditional model": ("generate", {"model": "dcgan_fashion_mnist",
                                                      "labels": 3}, 422,
                                         ["takes no labels", "unconditional"]),
    "label out of range": ("generate", {"model": "cgan_mnist", "labels": 10}, 422,
                           ["labels must be in [0, 10)"]),
    "labels of the wrong length": ("generate", {"model": "cgan_mnist", "n": 3,
                                                "labels": [1, 2]}, 422, ["3 ints"]),
    "no caption": ("generate", {"model": "gan_cls_fashion_mnist"}, 422,
                   ["draws from captions", "e.g."]),
    "unknown word": ("generate", {"model": "gan_cls_fashion_mnist", "captions": "a drak boot"},
                     422, ["'drak' (close: 'dark')"]),
    "bad codes": ("generate", {"model": "infogan_mnist", "codes": {"categorical": 12}}, 422,
                  ["categorical code 0 takes values in [0, 10)"]),
    "walk without t": ("generate", {"model": "dcgan_fashion_mnist",
                                    "walk": {"from_seed": 0, "to_seed": 1}}, 422,
                       ["exactly one of t", "steps"]),
    "walk t out of range": ("generate", {"model": "dcgan_fashion_mnist", "walk": {
        "from_seed": 0, "to_seed": 1, "t": 1.5}}, 422, ["walk.t must be a number in [0, 1]"]),
    "walk and seed": ("generate", {"model": "dcgan_fashion_mnist", "seed": 0, "walk": {
        "from_seed": 0, "to_seed": 1, "t": 0}}, 422, ["either seed and n", "not both"]),
    "walk too long": ("generate", {"model": "dcgan_fashion_mnist", "walk": {
        "from_seed": 0, "to_seed": 1, "steps": 40}}, 422,
        ["walk.steps must be an int in [2, 16]"]),
    "walk of too many points": ("generate", {"model": "dcgan_fashion_mnist", "walk": {
        "from_seed": 0, "to_seed": 1, "t": [0.5] * 17}}, 422,
        ["the number of walk points is 17; the cap of dcgan_fashion_mnist is 16"]),
    "walk of a pixelcnn": ("generate", {"model": "pixelcnn_mnist", "walk": {
        "from_seed": 0, "to_seed": 1, "t": 0}}, 422, ["no latent space to walk"]),
    "walk method": ("generate", {"model": "dcgan_fashion_mnist", "walk": {
        "from_seed": 0, "to_seed": 1, "t": 0, "method": "cubic"}}, 422,
                    ['walk.method must be "slerp" or "lerp"']),
    "generate with a translator": ("generate", {"model": "pix2pix_fashion_mnist_edges"}, 400,
                                   ["is a translator", "POST /api/translate"]),
    "generate with the sentence model": ("generate", {"model": "sentence_vae_verse"}, 400,
                                         ["is a sentence model (POST /api/sentences)",
                                          "POST /api/generate serves dcgan_fashion_mnist"]),
    "translate with a generator": ("translate", {"model": "dcgan_fashion_mnist",
                                                 "image": GOOD_IMAGE}, 400,
                                   ["is a generator", "serves pix2pix_fashion_mnist_edges"]),
    "complete with a generator": ("complete", {"model": "dcgan_fashion_mnist",
                                               "image": GOOD_IMAGE}, 400,
                                  ["POST /api/complete serves pixelcnn_mnist"]),
    "not a data URL": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                     "image": "edges.png"}, 422,
                       ["image must be a base64 data URL", "'edges.png'"]),
    "not base64": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                 "image": "data:image/png;base64,@@@"}, 422,
                   ["base64 data is malformed"]),
    "not an image": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                   "image": "data:image/png;base64,"
                                            + base64.b64encode(b"hello world").decode()}, 422,
                     ["are not an image file"]),
    "truncated image": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                      "image": "data:image/png;base64,"
                                               + base64.b64encode(_NOISE[:len(_NOISE) // 2])
                                               .decode()}, 422,
                        ["image cannot be decoded", "truncated"]),
    "a text data URL": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                      "image": "data:text/plain;base64,aGVsbG8="}, 422,
                        ["'text/plain'"]),
    "wrong image size": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                       "image": png_url(np.zeros((20, 30), np.uint8))}, 422,
                         ["takes 28x28 images", "image is 30x20", '"resize": true']),
    "image over the side cap": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                              "image": png_url(np.zeros((8, 300), np.uint8)),
                                              "resize": True}, 413,
                                ["image is 300x8 pixels; the cap is 256x256"]),
    "image over the byte cap": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                              "image": _noise_png(150), "resize": True}, 413,
                                ["the cap is 50,000 bytes"]),
    "direction it lacks": ("translate", {"model": "pix2pix_fashion_mnist_edges",
                                         "image": GOOD_IMAGE, "direction": "b_to_a"}, 422,
                           ["translates ['a_to_b']"]),
    "variations of a one-to-one translator": ("translate", {
        "model": "pix2pix_fashion_mnist_edges", "image": GOOD_IMAGE, "n": 2}, 422,
        ["one output per image"]),
    "visible rows out of range": ("complete", {"model": "pixelcnn_mnist", "image": GOOD_IMAGE,
                                               "visible_rows": 28}, 422,
                                  ["visible_rows must be an int in [1, 27]"]),
    "no image": ("complete", {"model": "pixelcnn_mnist"}, 422, ["image is required"]),
    "sentences with a generator": ("sentences", {"model": "dcgan_fashion_mnist"}, 400,
                                   ["is a generator", "POST /api/sentences serves "
                                                      "sentence_vae_verse"]),
    "unknown words": ("sentences", {"model": "sentence_vae_verse",
                                    "between": ["the mooon is rising", "a sailor sings xyz"]},
                      422, ["between has 2 words not in the vocabulary of sentence_vae_verse",
                            "'mooon' (close: 'moon'", "'xyz' (no close word)"]),
    "an empty sentence": ("sentences", {"model": "sentence_vae_verse",
                                        "between": ["the moon is rising", "  "]}, 422,
                          ["between[1] has no word", "e.g."]),
    "one sentence": ("sentences", {"model": "sentence_vae_verse",
                                   "between": ["the moon is rising"]}, 422,
                     ["between must be two sentences [first, second]"]),
    "a sentence not a str": ("sentences", {"model": "sentence_vae_verse",
                                           "between": ["the moon is rising", 3]}, 422,
                             ["between.1 must be two sentences"]),
    "a sentence over the cap": ("sentences", {"model": "sentence_vae_verse", "between": [
        "the moon " * 7, "a sailor sings"]}, 422, ["between[0] has 14 words", "the cap is 12"]),
    "between and seed": ("sentences", {"model": "sentence_vae_verse", "seed": 1,
                                       "between": ["the moon", "the sea"]}, 422,
                         ["either n, seed, temperature and greedy", "not both"]),
    "steps without between": ("sentences", {"model": "sentence_vae_verse", "steps": 3}, 422,
                              ["pass it with between"]),
    "homotopy too long": ("sentences", {"model": "sentence_vae_verse", "steps": 17,
                                        "between": ["the moon", "the sea"]}, 422,
                          ["steps must be an int in [2, 16]; got 17"]),
    "zero temperature": ("sentences", {"model": "sentence_vae_verse", "temperature": 0}, 422,
                         ["temperature must be a number > 0", "got 0."]),
    "temperature not a number": ("sentences", {"model": "sentence_vae_verse",
                                               "temperature": "hot"}, 422,
                                 ["temperature must be a number > 0", "'hot'"]),
    "greedy not a bool": ("sentences", {"model": "sentence_vae_verse", "greedy": "yes"}, 422,
                          ["greedy must be true or false"]),
    "sentences over the cap": ("sentences", {"model": "sentence_vae_verse", "n": 17}, 422,
                               ["the cap of sentence_vae_verse is 16 sentences per request"]),
    "predict with the sentence model": ("predict", {"model": "sentence_vae_verse"}, 400,
                                        ["is a sentence model", "POST /api/predict serves "
                                                                "video_gan_moving_mnist"]),
    "predict with a generator": ("predict", {"model": "cgan_mnist"}, 400,
                                 ["cgan_mnist is a generator"]),
    "generate with the video model": ("generate", {"model": "video_gan_moving_mnist"}, 400,
                                      ["is a next-frame video predictor (POST /api/predict)"]),
    "video out of range": ("predict", {"model": "video_gan_moving_mnist", "video": 10}, 422,
                           ["video must be an int in [0, 9]; got 10"]),
    "negative video": ("predict", {"model": "video_gan_moving_mnist", "video": -1}, 422,
                       ["video must be an int in [0, 9]; got -1"]),
    "video not an int": ("predict", {"model": "video_gan_moving_mnist", "video": "first"}, 422,
                         ["video must be an int: the index of a test video", "'first'"]),
    "no future": ("predict", {"model": "video_gan_moving_mnist", "future": 0}, 422,
                  ["future must be an int in [1, 6]; got 0"]),
    "future over the cap": ("predict", {"model": "video_gan_moving_mnist", "future": 7}, 422,
                            ["future must be an int in [1, 6]; got 7"]),
    "a field predict lacks": ("predict", {"model": "video_gan_moving_mnist", "seed": 0}, 422,
                              ["seed is not a field of this request"]),
}


def test_bad_requests_get_a_4xx_that_says_what_was_expected(client):
    # One test over every case (a test's teardown clears Keras' session, ~1 s each here);
    # the failure lists every case that went wrong.
    wrong = []
    for case, (endpoint, body, status, fragments) in BAD_REQUESTS.items():
        response = client.post(f"/api/{endpoint}", json=body)
        detail = response.json().get("detail")
        missing = [fragment for fragment in fragments
                   if not isinstance(detail, str) or fragment not in detail]
        if response.status_code != status or missing:
            wrong.append(f"{case}: {response.status_code} (expected {status}), detail "
                         f"{detail!r} lacks {missing}")
    assert not wrong, "\n".join(wrong)


def test_malformed_and_oversized_bodies(client):
    broken = client.post("/api/generate", content=b'{"model": ',
                         headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
    listed = client.post("/api/generate", json=[1, 2])
    assert listed.status_code == 422 and "must be a JSON object" in listed.json()["detail"]
    huge = client.post("/api/translate", content=b"x" * 200_000,
                       headers={"Content-Type": "application/json"})
    assert huge.status_code == 413 and "The request body is 200,000 bytes" in \
        huge.json()["detail"]


# ------------------------------------------------------------------- the page, the command

def test_page_is_served_with_its_files_and_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="generate"' in page.text
    for name in ("app.js", "app.css"):
        served = client.get(f"/static/{name}")
        assert served.status_code == 200 and f"/static/{name}" in page.text
        assert "http://" not in served.text and "https://" not in served.text
    assert "https://" not in page.text  # no CDN: the machine may be offline
    assert client.get("/api/openapi.json").json()["paths"].keys() >= {
        "/api/models", "/api/generate", "/api/complete", "/api/translate", "/api/sentences",
        "/api/predict"}
    assert 'id="sample-sentences"' in page.text and 'id="predict"' in page.text


def test_serve_says_what_to_install_without_fastapi(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    assert cli.main(["serve", "--port", "0"]) == 2
    assert "pip install 'keras-gan-zoo[serve]'" in capsys.readouterr().err


def test_serve_refuses_an_unknown_model(capsys):
    assert cli.main(["serve", "--models", "dcgan_fashion_mnistt"]) == 2
    error = capsys.readouterr().err
    assert "Unknown pretrained model 'dcgan_fashion_mnistt'" in error
    assert "Did you mean 'dcgan_fashion_mnist'?" in error


# ---------------------------------------------------------------------- a real browser

#: The models the browser test's server serves: images, sentences, a video's frames.
BROWSED = ["dcgan_fashion_mnist", "sentence_vae_verse", "video_gan_moving_mnist"]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`keras-gan-zoo serve` in a subprocess on a free port; its URL. Always stopped."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [REPO, os.environ.get("PYTHONPATH")])), "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = open(tmp_path / "serve.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_gan_zoo.cli", "serve", "--port", str(port),
         "--models", *BROWSED], cwd=str(tmp_path), env=env, stdout=log,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"serve exited with {process.returncode}:\n"
                            + (tmp_path / "serve.log").read_text(errors="replace"))
            try:
                with urllib.request.urlopen(url + "api/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("serve did not answer within 90 s:\n"
                                + (tmp_path / "serve.log").read_text(errors="replace"))
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.skipif(not (shutil.which(CHROMEDRIVER) and shutil.which(CHROMIUM)),
                    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")
def test_page_in_headless_chromium_generates_images_sentences_and_frames(server):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service as ChromeService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1200,800"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=ChromeService(CHROMEDRIVER), options=options)
    try:
        driver.get(server)
        wait = WebDriverWait(driver, 60)
        # Enabled once the page has listed the models through GET /api/models.
        wait.until(expected_conditions.element_to_be_clickable((By.ID, "generate"))).click()
        wait.until(lambda d: d.execute_script(
            "const images = [...document.querySelectorAll('#images img')];"
            "return images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0);"))
        sizes = driver.execute_script(
            "return [...document.querySelectorAll('#images img')]"
            ".map(i => [i.naturalWidth, i.naturalHeight]);")
        count = int(driver.find_element(By.ID, "n").get_attribute("value"))
        assert sizes == [[28, 28]] * count
        assert driver.find_element(By.ID, "model").get_attribute("value") == \
            "dcgan_fashion_mnist"
        assert not driver.find_element(By.ID, "error").is_displayed()
        assert "dcgan_fashion_mnist" in driver.find_element(By.ID, "status").text

        # The sentence VAE: the sample panel lists n sentences; the homotopy its steps.
        Select(driver.find_element(By.ID, "model")).select_by_value("sentence_vae_verse")
        assert not driver.find_element(By.ID, "sample-panel").is_displayed()
        driver.find_element(By.ID, "sample-sentences").click()
        count = int(driver.find_element(By.ID, "sentence-n").get_attribute("value"))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#images li")) == count)
        assert driver.find_element(By.ID, "between-first").get_attribute("value") == \
            kgz.datasets.verse_lines("test")[0]
        driver.find_element(By.ID, "interpolate").click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#images li").text
                   .startswith("t = 0.00"))
        steps = int(driver.find_element(By.ID, "between-steps").get_attribute("value"))
        assert len(driver.find_elements(By.CSS_SELECTOR, "#images li")) == steps

        # The video GAN: three labelled rows of frames, the predicted ones with their PSNR.
        Select(driver.find_element(By.ID, "model")).select_by_value("video_gan_moving_mnist")
        driver.find_element(By.ID, "predict").click()
        wait.until(lambda d: d.execute_script(
            "const images = [...document.querySelectorAll('#images .frames img')];"
            "return images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0);"))
        future = int(driver.find_element(By.ID, "future").get_attribute("value"))
        titles = [title.text for title in driver.find_elements(By.CSS_SELECTOR, ".frame-title")]
        frames = driver.execute_script(
            "return [...document.querySelectorAll('#images .frames img')]"
            ".map(i => [i.naturalWidth, i.naturalHeight]);")
        assert titles == ["context", "predicted", "truth"]
        assert frames == [[32, 32]] * (4 + 2 * future)
        captions = [caption.text for caption in driver.find_elements(
            By.CSS_SELECTOR, ".frames figcaption")]
        assert captions[4].startswith("t+1") and captions[4].endswith(" dB")
        assert not driver.find_element(By.ID, "error").is_displayed()
    finally:
        driver.quit()
