"""Recipe: VAE on binarised MNIST (the 4,500 offline digits), test NLL by IWAE.

    python applications/vae_mnist.py --epochs 160 --nll_k 2000 --out runs/vae_mnist

Trains `vae` (Bernoulli decoder, dynamic binarisation: a fresh Bernoulli draw of
every image at every step as in the IWAE paper, 32-d latent, 32 base filters,
Adam(1e-3, eps=1e-4), batch 100, float32), then reports on the 500 test digits,
binarised once with seed 0: the importance-weighted estimate of log p(x) with
--nll_k samples per digit (the test NLL in nats, the IWAE paper's measure), the
ELBO, and the reconstruction BCE (nats per digit, decoding the posterior mean).
Writes reconstructions, samples, an interpolation strip and metrics.json to --out.
"""

import json
import os
import time

import numpy as np
import tensorflow as tf
from absl import app, flags

import keras_gan_zoo as kgz

flags.DEFINE_integer("epochs", 160, "Training epochs.")
flags.DEFINE_integer("batch_size", 100, "Images per batch.")
flags.DEFINE_integer("latent_dim", 32, "Size of z.")
flags.DEFINE_integer("base_filters", 32, "Channels of the first encoder convolution.")
flags.DEFINE_integer("nll_k", 2000, "Importance samples per test digit.")
flags.DEFINE_enum("precision", "fp32", ["auto", "fp32", "bf16", "fp16"], "Precision policy.")
flags.DEFINE_integer("seed", 0, "Seed of the data order, binarisation and samples.")
flags.DEFINE_string("out", "runs/vae_mnist", "Output directory.")
FLAGS = flags.FLAGS


def main(_):
    os.makedirs(FLAGS.out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    train = kgz.datasets.load("mnist", batch_size=FLAGS.batch_size, seed=FLAGS.seed)
    test = next(iter(kgz.datasets.load("mnist", "test", batch_size=10000, shuffle=False,
                                       drop_remainder=False))).numpy()
    model = kgz.create_model("vae", image_shape=(28, 28, 1), seed=FLAGS.seed,
                             latent_dim=FLAGS.latent_dim, base_filters=FLAGS.base_filters)
    model.compile()
    start = time.perf_counter()
    history = model.fit(train, epochs=FLAGS.epochs, verbose=2)
    train_seconds = time.perf_counter() - start
    binary = model.binarize(test, seed=FLAGS.seed)  # one fixed binarisation of the test set
    start = time.perf_counter()
    log_px = model.log_likelihood(binary, k=FLAGS.nll_k, seed=FLAGS.seed)
    nll_seconds = time.perf_counter() - start
    elbo = model.elbo(binary, samples=100, seed=FLAGS.seed)
    codes = model.encode(binary)
    logits = model.decoder(codes).numpy().astype("float64")
    targets = (binary + 1) / 2
    bce = np.sum(np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits))),
                 axis=(1, 2, 3))
    recon = model.decode(codes)
    save = lambda images, name, nrow: kgz.utils.save_grid(images, os.path.join(FLAGS.out, name),
                                                          nrow=nrow)
    save(np.concatenate([binary[:16], recon[:16]]), "reconstructions.png", 16)
    save(model.generate(64, seed=FLAGS.seed), "samples.png", 8)
    model.interpolation_strip(binary[0], binary[1], os.path.join(FLAGS.out, "interpolation.png"),
                              steps=10)
    model.save(os.path.join(FLAGS.out, "vae_mnist.keras"))
    metrics = {
        "dtype_policy": policy, "epochs": FLAGS.epochs, "train_images": 4500,
        "train_seconds": round(train_seconds, 1), "nll_seconds": round(nll_seconds, 1),
        "test_digits": len(test), "nll_k": FLAGS.nll_k,
        "test_nll_nats": float(-log_px.mean()),
        "test_nll_bits_per_dim": float(kgz.metrics.bits_per_dim(-log_px.mean(), 784)),
        "test_negative_elbo_nats": float(-elbo.mean()),
        "test_reconstruction_bce_nats": float(bce.mean()),
        "final_train": {k: float(v[-1]) for k, v in history.history.items()},
    }
    kgz.utils.atomic_write_bytes(os.path.join(FLAGS.out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    app.run(main)
