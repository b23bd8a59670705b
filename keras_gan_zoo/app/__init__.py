"""An interactive web app over the pretrained registry: ``keras-gan-zoo serve``.

A FastAPI server (:mod:`.server`) with one hand-written page (``static/``) and the JSON
API the page uses: ``GET /api/models``, ``POST /api/generate`` (samples, latent walks,
classes, captions, InfoGAN codes), ``POST /api/complete`` (PixelCNN completion),
``POST /api/translate`` (pix2pix and the other translators), ``POST /api/sentences``
(the sentence VAE: samples and interpolations) and ``POST /api/predict`` (next-frame
predictors on test videos). :mod:`.catalog` describes
what each checkpoint takes; :mod:`.service` checks requests and runs the models.
Install with ``pip install 'keras-gan-zoo[serve]'``; docs/app.md has the API.

Example:
    >>> from keras_gan_zoo.app import create_app
    >>> app = create_app(models=["dcgan_fashion_mnist"])   # uvicorn.run(app, port=8000)
"""

from keras_gan_zoo.app.server import create_app

__all__ = ["create_app"]
