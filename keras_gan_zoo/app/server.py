"""The web app over the pretrained registry: one page and the JSON API it uses.

``keras-gan-zoo serve`` runs :func:`create_app` with uvicorn. The routes:

- ``GET /``: the page (``static/index.html``, ``app.js``, ``app.css``; no build step, no
  CDN: it works offline);
- ``GET /api/models``: the served models and what each takes (:mod:`.catalog`), and the
  caps;
- ``POST /api/generate``: samples of a seed, or a latent walk between two seeds, with the
  model's conditions (classes, captions, InfoGAN codes, StyleGAN truncation);
- ``POST /api/complete``: a PixelCNN completes the top rows of an uploaded or drawn image;
- ``POST /api/translate``: a translator turns an image into its counterpart (an edge
  sketch into an article with pix2pix);
- ``POST /api/sentences``: the sentence VAE samples sentences of a seed, or decodes the
  homotopy between two sentences;
- ``POST /api/predict``: a next-frame predictor continues a test video, beside the true
  frames and their PSNR;
- ``GET /api/openapi.json``: the API's schema.

Images go both ways as PNG data URLs (a video's frames come back as them too). Models
load on first use and stay loaded; a request runs in the server's thread pool (the
endpoints are plain functions), one at a time per model, so the server keeps answering
while a model works. A bad request gets a 4xx whose
body is ``{"detail": "..."}`` saying what was expected (docs/app.md lists them).

Example:
    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app(models=["dcgan_fashion_mnist"], max_n=16))
    >>> response = client.post("/api/generate", json={"model": "dcgan_fashion_mnist",
    ...                                                "seed": 0, "n": 4})
    >>> response.status_code, len(response.json()["images"])
    (200, 4)
    >>> client.post("/api/generate", json={"model": "dcgan_fashion_mnist", "n": 100}).json()
    {'detail': 'n is 100; the cap of dcgan_fashion_mnist is 16 images per request.'}
"""

import os
from typing import Literal, Optional, Union

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from keras_gan_zoo.app.service import MAX_SEED, Limits, ModelPool, RequestError, Service

__all__ = ["STATIC_DIR", "create_app"]

#: The page's files.
STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")

#: What each request field takes: the schema's descriptions and the validation messages.
EXPECTED = {
    "model": "a model name of GET /api/models",
    "seed": f"an int in [0, {MAX_SEED}]",
    "n": "an int >= 1 (the cap of each model is its max_n in GET /api/models)",
    "labels": "a class index (an int) or one per image",
    "captions": "a caption (a str) or one per image",
    "codes": 'InfoGAN codes: {"categorical": int or list, "continuous": number or list}',
    "categorical": "a category index (an int), one per categorical code, or one per image",
    "continuous": "a number, one per continuous code, or one per image",
    "psi": "a number: the truncation psi (1 is off)",
    "walk": '{"from_seed": int, "to_seed": int, "t": number or list in [0, 1] | "steps": '
            'int >= 2, "method": "slerp" | "lerp"}',
    "from_seed": f"an int in [0, {MAX_SEED}]",
    "to_seed": f"an int in [0, {MAX_SEED}]",
    "t": "a number in [0, 1] or a list of them",
    "steps": "an int >= 2",
    "method": '"slerp" or "lerp"',
    "image": "a base64 data URL of a PNG or JPEG image ('data:image/png;base64,...')",
    "visible_rows": "an int: the rows kept, 1 .. height - 1",
    "direction": '"a_to_b" or "b_to_a"',
    "resize": "true or false",
    "temperature": "a number > 0: the sampling temperature (1 samples the model's "
                   "distribution, lower is more conservative)",
    "greedy": "true or false (true: the most likely word at each step)",
    "between": "two sentences [first, second] written with the model's words",
    "video": "an int: the index of a test video, 0 .. max_video of GET /api/models",
    "future": "an int >= 1: the frames to predict (the cap is max_future of GET "
              "/api/models)",
}

Number = Union[StrictInt, StrictFloat]


def _field(name, default=None):
    return Field(default, description=EXPECTED[name])


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Walk(_Request):
    """A latent walk: the images of points between the latents of two seeds."""

    from_seed: StrictInt = _field("from_seed", ...)
    to_seed: StrictInt = _field("to_seed", ...)
    t: Optional[Union[Number, list[Number]]] = _field("t")
    steps: Optional[StrictInt] = _field("steps")
    method: Literal["slerp", "lerp"] = _field("method", "slerp")


class Codes(_Request):
    """InfoGAN's codes; a code not given is drawn from the seed."""

    categorical: Optional[Union[StrictInt, list[StrictInt], list[list[StrictInt]]]] = \
        _field("categorical")
    continuous: Optional[Union[Number, list[Number], list[list[Number]]]] = \
        _field("continuous")


class GenerateRequest(_Request):
    """``POST /api/generate``: `n` samples of `seed`, or a `walk`."""

    model: StrictStr = _field("model", ...)
    seed: Optional[StrictInt] = _field("seed")
    n: Optional[StrictInt] = _field("n")
    labels: Optional[Union[StrictInt, list[StrictInt]]] = _field("labels")
    captions: Optional[Union[StrictStr, list[StrictStr]]] = _field("captions")
    codes: Optional[Codes] = _field("codes")
    psi: Optional[Number] = _field("psi")
    walk: Optional[Walk] = _field("walk")


class CompleteRequest(_Request):
    """``POST /api/complete``: a PixelCNN completes the top `visible_rows` of `image`."""

    model: StrictStr = _field("model", ...)
    image: StrictStr = _field("image", ...)
    visible_rows: Optional[StrictInt] = _field("visible_rows")
    n: Optional[StrictInt] = _field("n")
    seed: Optional[StrictInt] = _field("seed")
    labels: Optional[Union[StrictInt, list[StrictInt]]] = _field("labels")
    resize: StrictBool = _field("resize", False)


class TranslateRequest(_Request):
    """``POST /api/translate``: a translator's output(s) for `image`."""

    model: StrictStr = _field("model", ...)
    image: StrictStr = _field("image", ...)
    direction: StrictStr = _field("direction", "a_to_b")
    n: Optional[StrictInt] = _field("n")
    seed: Optional[StrictInt] = _field("seed")
    resize: StrictBool = _field("resize", False)


class SentencesRequest(_Request):
    """``POST /api/sentences``: `n` sentences of `seed`, or a homotopy `between` two."""

    model: StrictStr = _field("model", ...)
    n: Optional[StrictInt] = _field("n")
    seed: Optional[StrictInt] = _field("seed")
    temperature: Optional[Number] = _field("temperature")
    greedy: Optional[StrictBool] = _field("greedy")
    between: Optional[list[StrictStr]] = _field("between")
    steps: Optional[StrictInt] = _field("steps")


class PredictRequest(_Request):
    """``POST /api/predict``: the next `future` frames of test video `video`."""

    model: StrictStr = _field("model", ...)
    video: Optional[StrictInt] = _field("video")
    future: Optional[StrictInt] = _field("future")


def _shown(value):
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _validation_message(errors):
    """One sentence per field from pydantic's errors: the field, what it takes, what came."""
    sentences = {}
    for error in errors:
        location = [part for part in error.get("loc", ()) if part != "body"]
        kind = error.get("type", "")
        if kind == "json_invalid":
            return (f"The request body is not valid JSON ({error.get('ctx', {}).get('error', '')})"
                    '; send a JSON object such as {"model": "dcgan_fashion_mnist", "seed": 0}.')
        if not location:
            return ('The request body must be a JSON object such as {"model": '
                    '"dcgan_fashion_mnist", "seed": 0}; got ' f"{_shown(error.get('input'))}.")
        # A union's alternatives add their type to the location: keep the fields' names.
        path = [str(part) for part in location if isinstance(part, int) or part in EXPECTED]
        field = ".".join(path) or str(location[0])
        if field in sentences:
            continue
        name = next((part for part in reversed(path) if part in EXPECTED), None)
        if kind == "extra_forbidden":
            sentences[field] = f"{field} is not a field of this request"
        elif kind == "missing":
            sentences[field] = f"{field} is required: {EXPECTED.get(name, 'a value')}"
        else:
            sentences[field] = (f"{field} must be {EXPECTED.get(name, 'valid')}; got "
                                f"{_shown(error.get('input'))} ({error.get('msg')})")
    return "; ".join(sentences.values()) + "."


def create_app(models=None, *, max_n=64, max_autoregressive_n=8, max_image_bytes=2_000_000,
               max_image_side=1024, max_sentence_words=64, max_video=99, max_future=20,
               loader=None):
    """The FastAPI app: the page and the JSON API over pretrained checkpoints.

    Args:
        models: names (or shell patterns) of ``kgz.applications.list_pretrained()`` to
            serve; None serves every one. Each loads on its first request.
        max_n: images per request (samples, walk points, translations), and sentences
            per request (samples, homotopy steps).
        max_autoregressive_n: images per request of a PixelCNN (they sample pixel by
            pixel).
        max_image_bytes: size of an uploaded image file; larger bodies get a 413.
        max_image_side: width and height of an uploaded image, in pixels.
        max_sentence_words: words of a sentence sent to a sentence model.
        max_video: the largest test-video index of a next-frame predictor (videos 0 ..
            max_video are rendered on first use and kept).
        max_future: frames a next-frame predictor predicts per request.
        loader: builds a model from its name (default
            ``kgz.applications.load_generator``).

    Returns:
        A ``fastapi.FastAPI``; run it with ``uvicorn.run(app)`` or ``keras-gan-zoo serve``.

    Raises:
        ValueError: an unknown model name, or a cap that is not a positive int.

    Example:
        >>> app = create_app(models=["cgan_mnist", "pixelcnn_mnist"])
        >>> [route.path for route in app.routes if route.path.startswith("/api/")]
        ['/api/openapi.json', '/api/models', '/api/generate', '/api/complete',
         '/api/translate', '/api/sentences', '/api/predict']
    """
    limits = Limits(max_n=max_n, max_autoregressive_n=max_autoregressive_n,
                    max_image_bytes=max_image_bytes, max_image_side=max_image_side,
                    max_sentence_words=max_sentence_words, max_video=max_video,
                    max_future=max_future)
    service = Service(ModelPool(models, loader=loader), limits)
    # No /docs: FastAPI's interactive docs load their scripts from a CDN (offline here).
    app = FastAPI(title="keras_gan_zoo", summary="Pretrained generators of keras_gan_zoo",
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.state.service = service

    @app.exception_handler(RequestError)
    def refused(request, error):
        return JSONResponse({"detail": error.detail}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    def invalid(request, error):
        return JSONResponse({"detail": _validation_message(error.errors())}, status_code=422)

    @app.middleware("http")
    async def cap_body(request: Request, call_next):
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limits.max_body_bytes:
            return JSONResponse({"detail": (
                f"The request body is {int(length):,} bytes; the cap is "
                f"{limits.max_body_bytes:,} (an image of at most {limits.max_image_bytes:,} "
                "bytes as a base64 data URL).")}, status_code=413)
        return await call_next(request)

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(os.path.join(STATIC_DIR, "index.html"))

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/api/models")
    def list_models():
        """The served models (name, kind, image shape, conditions, availability) and the
        caps of a request."""
        return {"models": service.models(),
                "limits": {"max_n": limits.max_n,
                           "max_autoregressive_n": limits.max_autoregressive_n,
                           "max_image_bytes": limits.max_image_bytes,
                           "max_image_side": limits.max_image_side,
                           "max_sentence_words": limits.max_sentence_words,
                           "max_video": limits.max_video, "max_future": limits.max_future,
                           "max_seed": MAX_SEED}}

    @app.post("/api/generate")
    def generate(request: GenerateRequest):
        """Samples of a seed, or the images of a latent walk between two seeds."""
        fields = request.model_dump(exclude={"codes", "walk"})
        return service.generate(
            **fields, codes=request.codes.model_dump() if request.codes else None,
            walk=request.walk.model_dump() if request.walk else None)

    @app.post("/api/complete")
    def complete(request: CompleteRequest):
        """A PixelCNN's completions of the top rows of an image."""
        return service.complete(**request.model_dump())

    @app.post("/api/translate")
    def translate(request: TranslateRequest):
        """A translator's output(s) for an image."""
        return service.translate(**request.model_dump())

    @app.post("/api/sentences")
    def sentences(request: SentencesRequest):
        """A sentence model's samples of a seed, or its homotopy between two sentences."""
        return service.sentences(**request.model_dump())

    @app.post("/api/predict")
    def predict(request: PredictRequest):
        """A next-frame predictor's next frames of a test video, beside the true ones."""
        return service.predict(**request.model_dump())

    return app
