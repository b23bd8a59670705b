"""Recipe: VAE-GAN on Fashion-MNIST 28x28 (Larsen et al. 2016).

    python applications/vae_gan_fashion_mnist.py --epochs 2 --limit 30000 --out runs/vae_gan_fashion_mnist

Trains `vae_gan` (128-d latent, 32 base filters: discriminator 32-64-128 channels
with 5x5 kernels, encoder / decoder 64-128, dense 512; feature-space reconstruction
at the discriminator's last convolution; RMSprop(3e-4) for the three networks, as
the paper; batch 64; bf16 on a CPU with native bf16), then reports the test-set
reconstruction MSE and the FID/KID of --eval_samples samples against the 10,000
test images (features of the shipped Fashion-MNIST domain classifier). Writes
reconstructions, samples, an interpolation strip and metrics.json to --out.
"""

import json
import os
import time

import numpy as np
from absl import app, flags

import keras_gan_zoo as kgz

flags.DEFINE_integer("epochs", 2, "Training epochs.")
flags.DEFINE_integer("batch_size", 64, "Images per batch (the paper's).")
flags.DEFINE_integer("limit", None, "Use only the first N training images.")
flags.DEFINE_integer("base_filters", 32, "Width unit of the three networks.")
flags.DEFINE_float("gamma", 1e-2, "Weight of the feature reconstruction for the decoder.")
flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"], "Precision policy.")
flags.DEFINE_integer("seed", 0, "Seed of the data order and the noise.")
flags.DEFINE_integer("eval_samples", 10000, "Generated images for FID/KID.")
flags.DEFINE_string("out", "runs/vae_gan_fashion_mnist", "Output directory.")
FLAGS = flags.FLAGS


def main(_):
    os.makedirs(FLAGS.out, exist_ok=True)
    policy = kgz.precision.set_precision(FLAGS.precision)
    train = kgz.datasets.load("fashion_mnist", batch_size=FLAGS.batch_size, seed=FLAGS.seed,
                              limit=FLAGS.limit)
    test = next(iter(kgz.datasets.load("fashion_mnist", "test", batch_size=10000,
                                       shuffle=False))).numpy()
    model = kgz.create_model("vae_gan", image_shape=(28, 28, 1), seed=FLAGS.seed,
                             base_filters=FLAGS.base_filters, gamma=FLAGS.gamma)
    model.compile()
    start = time.perf_counter()
    history = model.fit(train, epochs=FLAGS.epochs, verbose=2)
    train_seconds = time.perf_counter() - start
    recon = model.reconstruct(test)
    scores = kgz.metrics.evaluate(model, "fashion_mnist", metrics=("fid", "kid"),
                                  extractor="fashion_mnist", num_samples=FLAGS.eval_samples,
                                  real_split="test", seed=FLAGS.seed)
    save = lambda images, name, nrow: kgz.utils.save_grid(images, os.path.join(FLAGS.out, name),
                                                          nrow=nrow)
    save(np.concatenate([test[:16], recon[:16]]), "reconstructions.png", 16)
    save(model.generate(64, seed=FLAGS.seed), "samples.png", 8)
    model.interpolation_strip(test[0], test[1], os.path.join(FLAGS.out, "interpolation.png"),
                              steps=10)
    model.save(os.path.join(FLAGS.out, "vae_gan_fashion_mnist.keras"))
    metrics = {
        "dtype_policy": policy, "epochs": FLAGS.epochs, "train_images": FLAGS.limit or 60000,
        "train_seconds": round(train_seconds, 1), "test_mse": float(np.mean((recon - test) ** 2)),
        "test_images": len(test), "fid_samples": FLAGS.eval_samples, **scores,
        "final_train": {k: float(v[-1]) for k, v in history.history.items()},
    }
    kgz.utils.atomic_write_bytes(os.path.join(FLAGS.out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    app.run(main)
