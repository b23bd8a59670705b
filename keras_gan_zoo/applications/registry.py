"""The registry of pretrained checkpoints: what each one is, its files, its numbers.

Every entry records:

- ``architecture``: the zoo model name (``kgz.create_model``) and ``config``, the
  model's ``get_config()``: ``load_generator`` builds ``cls.from_config(config)``;
- ``dataset`` the model was trained on;
- ``files``: ``"generator"``, the generator's ``.weights.h5`` with float16 kernels
  (what ``load_generator`` loads; packaged with the wheel when ``packaged``), and
  ``"model"``, the full ``.keras`` checkpoint with the optimizer state (what
  ``load_model`` loads, served by the origin only), each with ``sha256`` and ``size``;
- ``metrics``: FID / KID / IS / classes found measured on the shipped generator file by
  :func:`keras_gan_zoo.applications.publish.measure`, with the extractor and the
  numbers of generated and real images;
- ``training``: epochs, steps, batch, precision and time on this project's 2-core CPU;
- ``recipe``: the command that produced the checkpoint, and ``provenance`` notes;
- ``card``: the model page with the samples of the shipped weights.

The numbers use the zoo's domain-classifier features, not Inception: they compare
checkpoints of this zoo with each other, not with published FIDs. Re-measure an entry with
``measure(load_generator(name), entry["dataset"], num_samples=10000, seed=0)``; the float32
``.keras`` checkpoints measure within 0.001 FID of their float16-kernel generator files.
"""

import copy
import difflib
import fnmatch

__all__ = ["PRETRAINED", "get_entry", "list_pretrained"]

_MACHINE = "2 CPU cores (x86_64, AVX512-BF16), no GPU"

PRETRAINED = {
    "dcgan_fashion_mnist": {
        "architecture": "dcgan",
        "config": {"name": "dcgan",
                   "latent_dim": 100,
                   "num_classes": None,
                   "d_steps": 1,
                   "latent_distribution": "normal",
                   "seed": 0,
                   "label_smoothing": 0.0,
                   "feature_matching": None,
                   "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1],
                   "base_filters": 64,
                   "minibatch_discrimination": 0},
        "dataset": "fashion_mnist",
        "description": ("DCGAN (ngf = ndf = 64) on Fashion-MNIST, 13 epochs: trained with FID "
                        "checks every epoch until a 30-minute budget (the FID was still "
                        "improving)."),
        "files": {"generator": {"file": "dcgan_fashion_mnist_generator.fp16.weights.h5",
                                "sha256": "1954b54ec5bf066d3277b201bf16776a3d316da4aada0ed6366b29ad6682d16e",
                                "size": 1553584,
                                "packaged": True},
                  "model": {"file": "dcgan_fashion_mnist.keras",
                            "sha256": "29a1f2018ca34006a4f866fdf436c1ee23e4f7ac8d330572b24a597cda2ea276",
                            "size": 18054070,
                            "packaged": False}},
        "metrics": {"fid": 14.2589,
                    "kid": 0.5144,
                    "kid_std": 0.0904,
                    "is": 5.881,
                    "is_std": 0.0778,
                    "classes_found": 10,
                    "class_entropy": 2.2942,
                    "extractor": "fashion_mnist",
                    "num_generated": 10000,
                    "num_real": 10000,
                    "real": "fashion_mnist/test",
                    "seed": 0,
                    "labels": None,
                    "measured_on": "the generator file"},
        "training": {"epochs": 13,
                     "steps": 6084,
                     "batch_size": 128,
                     "train_examples": 59904,
                     "dtype_policy": "mixed_bfloat16",
                     "train_seconds": 1724.8,
                     "epochs_asked": 60,
                     "stopped_by": "time budget (30 min)",
                     "best_epoch": 13,
                     "fid_every": 1,
                     "fid_samples": 2000,
                     "fid_curve": [{"epoch": 1, "fid": 88.7396}, {"epoch": 2, "fid": 60.0913},
                                   {"epoch": 3, "fid": 44.7316}, {"epoch": 4, "fid": 37.0324},
                                   {"epoch": 5, "fid": 32.8913}, {"epoch": 6, "fid": 29.4158},
                                   {"epoch": 7, "fid": 24.0956}, {"epoch": 8, "fid": 23.1461},
                                   {"epoch": 9, "fid": 20.5087}, {"epoch": 10, "fid": 19.6497},
                                   {"epoch": 11, "fid": 17.2917}, {"epoch": 12, "fid": 15.9588},
                                   {"epoch": 13, "fid": 15.2552}],
                     "machine": _MACHINE},
        "recipe": ("python applications/dcgan_fashion_mnist.py --epochs 60 --fid_every 1 "
                   "--patience 3 --max_minutes 30"),
        "provenance": ("Trained by this recipe at the commit that added this entry (niced, "
                       "sharing the 2 cores with a CI run, so train_seconds is inflated); "
                       "config, time and sha256s from the metrics.json of the run. Replaces "
                       "the 5-epoch checkpoint of 2026-11-22 (FID 30.26)."),
        "card": "docs/models/dcgan.md",
    },
    "gan_mnist": {
        "architecture": "gan",
        "config": {"name": "gan",
                   "latent_dim": 100,
                   "num_classes": None,
                   "d_steps": 1,
                   "latent_distribution": "uniform",
                   "seed": 0,
                   "label_smoothing": 0.0,
                   "feature_matching": None,
                   "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1],
                   "g_hidden_units": 1200,
                   "d_hidden_units": 240,
                   "pieces": 5,
                   "dropout": 0.5,
                   "input_dropout": 0.2,
                   "loss": "nonsaturating",
                   "optimizer": "adam",
                   "minibatch_discrimination": 0},
        "dataset": "mnist",
        "description": ("Goodfellow et al.'s MLP GAN (2x1200 ReLU generator, maxout "
                        "discriminator) on the 4,500 offline MNIST digits: FID of 2,000 "
                        "samples checked every 10 epochs; the 20-minute budget stopped it at "
                        "epoch 311 and the weights of the best check (epoch 290) were "
                        "restored."),
        "files": {"generator": {"file": "gan_mnist_generator.fp16.weights.h5",
                                "sha256": "c2132a05677fedc49ad897eecdc8f11bc0bfd4cec3dad3a7485cafdd72c0613d",
                                "size": 5030208,
                                "packaged": True},
                  "model": {"file": "gan_mnist.keras",
                            "sha256": "ac083ab6b786d39ae25144294e8ea0f7b1f40864dd01c225a0065717305a366e",
                            "size": 74780767,
                            "packaged": False}},
        "metrics": {"fid": 28.4681,
                    "kid": 2.503,
                    "kid_std": 0.1399,
                    "is": 7.2987,
                    "is_std": 0.1017,
                    "classes_found": 10,
                    "class_entropy": 2.2459,
                    "extractor": "mnist",
                    "num_generated": 10000,
                    "num_real": 500,
                    "real": "mnist/test",
                    "seed": 0,
                    "labels": None,
                    "measured_on": "the generator file"},
        "training": {"epochs": 311,
                     "steps": 13995,
                     "batch_size": 100,
                     "train_examples": 4500,
                     "dtype_policy": "mixed_bfloat16",
                     "train_seconds": 1199.8,
                     "epochs_asked": 1000,
                     "max_minutes": 20.0,
                     "stopped_by": "time budget (20 min)",
                     "best_epoch": 290,
                     "fid_every": 10,
                     "fid_samples": 2000,
                     "fid_real": 500,
                     "fid_curve": [{"epoch": 10, "fid": 1979.876},
                                   {"epoch": 20, "fid": 659.9682},
                                   {"epoch": 30, "fid": 485.2043},
                                   {"epoch": 40, "fid": 200.7909},
                                   {"epoch": 50, "fid": 144.611}, {"epoch": 60, "fid": 99.167},
                                   {"epoch": 70, "fid": 89.3538}, {"epoch": 80, "fid": 90.111},
                                   {"epoch": 90, "fid": 75.2271},
                                   {"epoch": 100, "fid": 66.5483},
                                   {"epoch": 110, "fid": 71.9256},
                                   {"epoch": 120, "fid": 56.5519},
                                   {"epoch": 130, "fid": 56.3389},
                                   {"epoch": 140, "fid": 55.4596},
                                   {"epoch": 150, "fid": 51.7877},
                                   {"epoch": 160, "fid": 44.3421},
                                   {"epoch": 170, "fid": 48.911},
                                   {"epoch": 180, "fid": 50.6727},
                                   {"epoch": 190, "fid": 44.038}, {"epoch": 200, "fid": 44.766},
                                   {"epoch": 210, "fid": 40.4958},
                                   {"epoch": 220, "fid": 40.939},
                                   {"epoch": 230, "fid": 37.9814},
                                   {"epoch": 240, "fid": 38.7037},
                                   {"epoch": 250, "fid": 38.8614},
                                   {"epoch": 260, "fid": 35.9823},
                                   {"epoch": 270, "fid": 35.075},
                                   {"epoch": 280, "fid": 34.6777},
                                   {"epoch": 290, "fid": 28.0582},
                                   {"epoch": 300, "fid": 28.3866},
                                   {"epoch": 310, "fid": 32.6654}],
                     "restored_best_weights": True,
                     "machine": _MACHINE},
        "recipe": ("python applications/gan_mnist.py --epochs 1000 --fid_every 10 --patience 3 "
                   "--max_minutes 20"),
        "provenance": ("Trained by this recipe at the commit that added this entry, alone on "
                       "the machine; config, time, FID curve, sha256s and the 10,000-sample "
                       "metrics of the shipped generator file from the run's metrics.json. "
                       "Replaces the 150-epoch checkpoint of 2026-11-22 (FID 45.34)."),
        "card": "docs/models/gan.md",
    },
    "lsgan_fashion_mnist": {
        "architecture": "lsgan",
        "config": {"name": "lsgan", "latent_dim": 100, "num_classes": None, "d_steps": 1,
                   "latent_distribution": "normal", "seed": 0, "label_smoothing": 0.0,
                   "feature_matching": None, "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1], "base_filters": 64, "a": 0.0, "b": 1.0,
                   "c": 1.0},
        "dataset": "fashion_mnist",
        "description": "LSGAN (0-1 coding, DCGAN networks) on Fashion-MNIST 28x28, 4 epochs.",
        "files": {
            "generator": {
                "file": "lsgan_fashion_mnist_generator.fp16.weights.h5",
                "sha256": "6e35f23be2228e57c26668299c690addb46024dc8a712d66111efe3d70036ed5",
                "size": 1553584, "packaged": True},
            "model": {
                "file": "lsgan_fashion_mnist.keras",
                "sha256": "861c7b2a4c30ea1ca210ccffea4e4ec97678032620be38113c7258f9d542599a",
                "size": 10854145, "packaged": False},
        },
        "metrics": {"fid": 35.2867, "kid": 1.3381, "kid_std": 0.1392, "is": 4.7017,
                    "is_std": 0.054, "classes_found": 10, "class_entropy": 2.2633,
                    "extractor": "fashion_mnist", "num_generated": 10000, "num_real": 10000,
                    "real": "fashion_mnist/test", "seed": 0, "labels": None,
                    "measured_on": "the generator file"},
        "training": {"epochs": 4, "steps": 3748, "batch_size": 64, "train_examples": 60000,
                     "dtype_policy": "mixed_bfloat16", "train_seconds": 290.3,
                     "machine": _MACHINE},
        "recipe": ("python applications/lsgan_fashion_mnist.py --epochs 4 "
                   "--out runs/lsgan_fashion_mnist"),
        "provenance": ("Trained by this recipe before it evaluated FID itself (its defaults "
                       "as committed in fd69521 match the run); the config, time and the "
                       ".keras sha256 are those the run's metrics.json recorded."),
        "card": "docs/models/lsgan.md",
    },
    "wgan_fashion_mnist": {
        "architecture": "wgan",
        "config": {"name": "wgan", "latent_dim": 100, "num_classes": None, "d_steps": 5,
                   "latent_distribution": "normal", "seed": 0, "label_smoothing": 0.0,
                   "feature_matching": None, "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1], "base_filters": 64, "clip_value": 0.01,
                   "normalization": "batch"},
        "dataset": "fashion_mnist",
        "description": ("WGAN (weight clipping, n_critic = 5) on Fashion-MNIST 28x28, "
                        "6 epochs (1,122 generator updates): early, blurry samples."),
        "files": {
            "generator": {
                "file": "wgan_fashion_mnist_generator.fp16.weights.h5",
                "sha256": "5793dda3be16c6b944f0321318652430de5c69c2b5434f8a0813f555a74ee970",
                "size": 1553584, "packaged": True},
            "model": {
                "file": "wgan_fashion_mnist.keras",
                "sha256": "6db4ffebda05ad3bb8340fd2452d18419c5d900562b4ee79e6840aba54b67c95",
                "size": 7255951, "packaged": False},
        },
        "metrics": {"fid": 84.4548, "kid": 2.6156, "kid_std": 0.1732, "is": 2.7044,
                    "is_std": 0.0482, "classes_found": 9, "class_entropy": 1.9917,
                    "extractor": "fashion_mnist", "num_generated": 10000, "num_real": 10000,
                    "real": "fashion_mnist/test", "seed": 0, "labels": None,
                    "measured_on": "the generator file"},
        "training": {"epochs": 6, "steps": 1122, "batch_size": 320, "train_examples": 60000,
                     "dtype_policy": "mixed_bfloat16", "train_seconds": 333.7,
                     "machine": _MACHINE},
        "recipe": ("python applications/wgan_fashion_mnist.py --epochs 6 "
                   "--out runs/wgan_fashion_mnist"),
        "provenance": ("Trained by this recipe (its defaults as committed in fd69521 match "
                       "the run); the config, time and the .keras sha256 are those the run's "
                       "metrics.json recorded. steps = generator updates (each batch of 320 "
                       "makes 5 critic updates of 64)."),
        "card": "docs/models/wgan.md",
    },
    "wgan_gp_fashion_mnist": {
        "architecture": "wgan_gp",
        "config": {"name": "wgangp",
                   "latent_dim": 100,
                   "num_classes": None,
                   "d_steps": 5,
                   "latent_distribution": "normal",
                   "seed": 0,
                   "label_smoothing": 0.0,
                   "feature_matching": None,
                   "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1],
                   "base_filters": 64,
                   "gp_weight": 10.0,
                   "normalization": "layer"},
        "dataset": "fashion_mnist",
        "description": ("WGAN-GP (DCGAN generator, layer-norm critic, ngf = ndf = 64) on "
                        "Fashion-MNIST, 28 epochs: FID of 2,000 samples checked after every "
                        "epoch until the 45-minute budget (the FID was still improving)."),
        "files": {"generator": {"file": "wgan_gp_fashion_mnist_generator.fp16.weights.h5",
                                "sha256": "ee9d19f34ef2a30809a8029ab12994408a00dbe3e2bffa5cdcd30197933162ff",
                                "size": 1553584,
                                "packaged": True},
                  "model": {"file": "wgan_gp_fashion_mnist.keras",
                            "sha256": "a7b3d29eeeb00122a90897aba34b7882e874a389b683ee9c1a90b4abe0ecf839",
                            "size": 18298275,
                            "packaged": False}},
        "metrics": {"fid": 19.1415,
                    "kid": 0.7631,
                    "kid_std": 0.1156,
                    "is": 5.6169,
                    "is_std": 0.1227,
                    "classes_found": 10,
                    "class_entropy": 2.2984,
                    "extractor": "fashion_mnist",
                    "num_generated": 10000,
                    "num_real": 10000,
                    "real": "fashion_mnist/test",
                    "seed": 0,
                    "labels": None,
                    "measured_on": "the generator file"},
        "training": {"epochs": 28,
                     "steps": 5236,
                     "batch_size": 320,
                     "train_examples": 59840,
                     "dtype_policy": "mixed_bfloat16",
                     "train_seconds": 2675.3,
                     "epochs_asked": 100,
                     "max_minutes": 45.0,
                     "stopped_by": "time budget (45 min)",
                     "best_epoch": 28,
                     "fid_every": 1,
                     "fid_samples": 2000,
                     "fid_real": 2000,
                     "fid_curve": [{"epoch": 1, "fid": 87.6526}, {"epoch": 2, "fid": 80.5108},
                                   {"epoch": 3, "fid": 71.6186}, {"epoch": 4, "fid": 63.1578},
                                   {"epoch": 5, "fid": 56.367}, {"epoch": 6, "fid": 51.1241},
                                   {"epoch": 7, "fid": 47.509}, {"epoch": 8, "fid": 43.7877},
                                   {"epoch": 9, "fid": 42.0606}, {"epoch": 10, "fid": 39.0614},
                                   {"epoch": 11, "fid": 36.8284}, {"epoch": 12, "fid": 34.4715},
                                   {"epoch": 13, "fid": 32.6323}, {"epoch": 14, "fid": 32.1396},
                                   {"epoch": 15, "fid": 30.2791}, {"epoch": 16, "fid": 29.7961},
                                   {"epoch": 17, "fid": 27.5141}, {"epoch": 18, "fid": 27.2922},
                                   {"epoch": 19, "fid": 26.4255}, {"epoch": 20, "fid": 26.1313},
                                   {"epoch": 21, "fid": 25.177}, {"epoch": 22, "fid": 24.0597},
                                   {"epoch": 23, "fid": 23.1918}, {"epoch": 24, "fid": 22.7079},
                                   {"epoch": 25, "fid": 22.0686}, {"epoch": 26, "fid": 21.4123},
                                   {"epoch": 27, "fid": 20.9522},
                                   {"epoch": 28, "fid": 20.6293}],
                     "restored_best_weights": False,
                     "machine": _MACHINE},
        "recipe": ("python applications/wgan_gp_fashion_mnist.py --epochs 100 --fid_every 1 "
                   "--patience 3 --max_minutes 45"),
        "provenance": ("Trained by this recipe at the commit that added this entry, alone on "
                       "the machine; config, time, FID curve, sha256s and the 10,000-sample "
                       "metrics of the shipped generator file from the run's metrics.json. "
                       "steps = generator updates (each after 5 critic updates of 64 images). "
                       "Replaces the 4-epoch checkpoint of 2026-11-22 (FID 58.87)."),
        "card": "docs/models/wgan_gp.md",
    },
    "acgan_mnist": {
        "architecture": "acgan",
        "config": {"name": "acgan",
                   "latent_dim": 100,
                   "num_classes": 10,
                   "d_steps": 1,
                   "latent_distribution": "normal",
                   "seed": 0,
                   "label_smoothing": 0.0,
                   "feature_matching": None,
                   "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1],
                   "base_filters": 64,
                   "class_weight": 1.0},
        "dataset": "mnist",
        "description": ("ACGAN (DCGAN networks, ngf = ndf = 64, auxiliary 10-way class head) "
                        "on the 4,500 offline MNIST digits: FID of 2,000 samples checked every "
                        "5 epochs; early stopping after 3 checks without improvement stopped "
                        "it at epoch 175 and restored epoch 160."),
        "files": {"generator": {"file": "acgan_mnist_generator.fp16.weights.h5",
                                "sha256": "5ef33d10b4517534e6b52dcbc530fe7fc11fc0314748eb9330b9391d7478f6e2",
                                "size": 1689312,
                                "packaged": True},
                  "model": {"file": "acgan_mnist.keras",
                            "sha256": "09d0bed459a196af2ef25ab46a91752068888de8936ccfad9fd2f90c2a248331",
                            "size": 20579402,
                            "packaged": False}},
        "metrics": {"fid": 4.8247,
                    "kid": 0.0708,
                    "kid_std": 0.0783,
                    "is": 9.4456,
                    "is_std": 0.0385,
                    "classes_found": 10,
                    "class_entropy": 2.3014,
                    "extractor": "mnist",
                    "num_generated": 10000,
                    "num_real": 500,
                    "real": "mnist/test",
                    "seed": 0,
                    "labels": "cycling 0..9",
                    "measured_on": "the generator file"},
        "training": {"epochs": 175,
                     "steps": 7875,
                     "batch_size": 100,
                     "train_examples": 4500,
                     "dtype_policy": "mixed_bfloat16",
                     "train_seconds": 1151.5,
                     "epochs_asked": 300,
                     "max_minutes": 30.0,
                     "stopped_by": "early stopping (patience 3 FID checks)",
                     "best_epoch": 160,
                     "fid_every": 5,
                     "fid_samples": 2000,
                     "fid_real": 500,
                     "fid_curve": [{"epoch": 5, "fid": 167.7146}, {"epoch": 10, "fid": 91.5634},
                                   {"epoch": 15, "fid": 69.4522}, {"epoch": 20, "fid": 44.6774},
                                   {"epoch": 25, "fid": 26.8125}, {"epoch": 30, "fid": 18.5892},
                                   {"epoch": 35, "fid": 15.2648}, {"epoch": 40, "fid": 14.6665},
                                   {"epoch": 45, "fid": 14.4894}, {"epoch": 50, "fid": 12.8512},
                                   {"epoch": 55, "fid": 12.2318}, {"epoch": 60, "fid": 11.5891},
                                   {"epoch": 65, "fid": 9.8208}, {"epoch": 70, "fid": 9.4901},
                                   {"epoch": 75, "fid": 8.7405}, {"epoch": 80, "fid": 7.9629},
                                   {"epoch": 85, "fid": 7.0421}, {"epoch": 90, "fid": 6.3153},
                                   {"epoch": 95, "fid": 6.386}, {"epoch": 100, "fid": 6.1547},
                                   {"epoch": 105, "fid": 5.5769}, {"epoch": 110, "fid": 5.7871},
                                   {"epoch": 115, "fid": 5.4186}, {"epoch": 120, "fid": 5.6947},
                                   {"epoch": 125, "fid": 5.4008}, {"epoch": 130, "fid": 5.5195},
                                   {"epoch": 135, "fid": 5.4563}, {"epoch": 140, "fid": 5.3891},
                                   {"epoch": 145, "fid": 5.2448}, {"epoch": 150, "fid": 5.6173},
                                   {"epoch": 155, "fid": 5.1627}, {"epoch": 160, "fid": 4.914},
                                   {"epoch": 165, "fid": 5.2722}, {"epoch": 170, "fid": 5.2944},
                                   {"epoch": 175, "fid": 5.3737}],
                     "restored_best_weights": True,
                     "machine": _MACHINE},
        "recipe": ("python applications/acgan_mnist.py --epochs 300 --fid_every 5 --patience 3 "
                   "--max_minutes 30"),
        "provenance": ("Trained by this recipe at the commit that added this entry, alone on "
                       "the machine; config, time, FID curve and sha256s from the run's "
                       "metrics.json; the 10,000-sample metrics measured on the shipped "
                       "generator file. Replaces the 30-epoch checkpoint of 2026-11-22 (FID "
                       "21.72)."),
        "card": "docs/models/acgan.md",
    },
    "infogan_mnist": {
        "architecture": "infogan",
        "config": {"name": "info_gan",
                   "d_steps": 1,
                   "latent_distribution": "uniform",
                   "seed": 0,
                   "label_smoothing": 0.0,
                   "feature_matching": None,
                   "historical_averaging": 0.0,
                   "noise_dim": 62,
                   "categorical_codes": [10],
                   "continuous_codes": 2,
                   "image_shape": [28, 28, 1],
                   "base_filters": 64,
                   "hidden_units": 1024,
                   "q_units": 128,
                   "categorical_weight": 1.0,
                   "continuous_weight": 1.0,
                   "learn_continuous_std": False},
        "dataset": "mnist",
        "description": ("InfoGAN (Chen et al.'s MNIST networks: 62 noise variables, one 10-way "
                        "categorical and two continuous codes) on the 4,500 offline MNIST "
                        "digits: FID of 2,000 samples checked every 5 epochs; early stopping "
                        "after 3 checks without improvement stopped it at epoch 80 and "
                        "restored epoch 65."),
        "files": {"generator": {"file": "infogan_mnist_generator.fp16.weights.h5",
                                "sha256": "e36963c66a2f031e6a7b4a8e9f5dbd40401c81231d2e02eb8d065fcfee773575",
                                "size": 13359992,
                                "packaged": True},
                  "model": {"file": "infogan_mnist.keras",
                            "sha256": "d81cd37a382a6491e58a8d464d0341c8a8cb20b1571c59ae8c297ab05bc0ab6f",
                            "size": 266921365,
                            "packaged": False}},
        "metrics": {"fid": 4.3535,
                    "kid": 0.1083,
                    "kid_std": 0.0751,
                    "is": 9.2062,
                    "is_std": 0.0461,
                    "classes_found": 10,
                    "class_entropy": 2.2966,
                    "extractor": "mnist",
                    "num_generated": 10000,
                    "num_real": 500,
                    "real": "mnist/test",
                    "seed": 0,
                    "labels": None,
                    "measured_on": "the generator file"},
        "training": {"epochs": 80,
                     "steps": 3600,
                     "batch_size": 100,
                     "train_examples": 4500,
                     "dtype_policy": "mixed_bfloat16",
                     "train_seconds": 1022.6,
                     "epochs_asked": 300,
                     "max_minutes": 20.0,
                     "stopped_by": "early stopping (patience 3 FID checks)",
                     "best_epoch": 65,
                     "fid_every": 5,
                     "fid_samples": 2000,
                     "fid_real": 500,
                     "fid_curve": [{"epoch": 5, "fid": 5283.6771},
                                   {"epoch": 10, "fid": 134.0525},
                                   {"epoch": 15, "fid": 34.3652}, {"epoch": 20, "fid": 16.2976},
                                   {"epoch": 25, "fid": 10.1085}, {"epoch": 30, "fid": 8.7595},
                                   {"epoch": 35, "fid": 7.9446}, {"epoch": 40, "fid": 6.1488},
                                   {"epoch": 45, "fid": 7.5621}, {"epoch": 50, "fid": 6.2167},
                                   {"epoch": 55, "fid": 5.5564}, {"epoch": 60, "fid": 6.7273},
                                   {"epoch": 65, "fid": 4.8709}, {"epoch": 70, "fid": 7.4245},
                                   {"epoch": 75, "fid": 8.1356}, {"epoch": 80, "fid": 4.9837}],
                     "restored_best_weights": True,
                     "machine": _MACHINE},
        "recipe": ("python applications/infogan_mnist.py --epochs 300 --fid_every 5 --patience "
                   "3 --max_minutes 20"),
        "provenance": ("Trained by this recipe at the commit that added this entry, alone on "
                       "the machine; config, time, FID curve and sha256s from the run's "
                       "metrics.json; the 10,000-sample metrics measured on the shipped "
                       "generator file. Replaces the 20-epoch checkpoint of 2026-12-01 (FID "
                       "13.27)."),
        "card": "docs/models/infogan.md",
    },
    "autoencoder_fashion_mnist": {
        "architecture": "autoencoder",
        "config": {"name": "autoencoder", "latent_dim": 16, "seed": 0,
                   "image_shape": [28, 28, 1], "base_filters": 32, "density_components": 10,
                   "density_on_epoch_end": True, "density_samples": 10000},
        "dataset": "fashion_mnist",
        "description": ("Convolutional autoencoder (16-d code) on Fashion-MNIST 28x28, "
                        "sampling a 10-component Gaussian mixture fitted on the 59,904 "
                        "training codes; the weights of epoch 4 (best FID check of 9)."),
        "files": {
            # The decoder (float16 kernels) and the code mixture (float32, group
            # "latent_density"): load_generator samples exactly as the model does.
            "generator": {
                "file": "autoencoder_fashion_mnist_generator.fp16.weights.h5",
                "sha256": "1e5230f17d246f501473631af699c9f835caca08e89d96234c38e12edd8a4956",
                "size": 215748, "packaged": True},
            "model": {
                "file": "autoencoder_fashion_mnist.keras",
                "sha256": "f45bc4b0832cb52cc50b945e1c46bdf35f053791faf49da775c9f142750abdf4",
                "size": 2113408, "packaged": False},
        },
        "metrics": {"fid": 9.4375, "kid": 0.3662, "kid_std": 0.0924, "is": 7.0358,
                    "is_std": 0.0521, "classes_found": 10, "class_entropy": 2.2598,
                    "extractor": "fashion_mnist", "num_generated": 10000, "num_real": 10000,
                    "real": "fashion_mnist/test", "seed": 0, "labels": None,
                    "test_mse": 0.04438, "measured_on": "the generator file"},
        "training": {"epochs": 9, "steps": 4212, "batch_size": 128, "train_examples": 59904,
                     "dtype_policy": "mixed_bfloat16", "train_seconds": 248.8,
                     "epochs_asked": 40, "stopped_by": "time budget (4.5 min)",
                     "best_epoch": 4, "fid_every": 2, "fid_samples": 2000,
                     "fid_curve": [{"epoch": 2, "fid": 13.3012}, {"epoch": 4, "fid": 9.2286},
                                   {"epoch": 6, "fid": 9.3886}, {"epoch": 8, "fid": 9.8993}],
                     "mixture_seconds": 32.8, "wall_seconds": 307,
                     "machine": _MACHINE},
        "recipe": "python applications/autoencoder_fashion_mnist.py --out runs/autoencoder_fashion_mnist",
        "provenance": ("Trained by this recipe with its defaults (seed 0) under the CPU lock; "
                       "the FID of 2,000 samples was checked every 2 epochs, the 4.5-minute "
                       "budget stopped training after epoch 9 and the weights of epoch 4 "
                       "(the best check) were restored, then the mixture was fitted on all "
                       "training codes. wall_seconds is the whole command; the rest is what "
                       "the run's metrics.json recorded. test_mse: 10,000 test images, "
                       "[-1, 1] scale, of the .keras checkpoint."),
        "card": "docs/models/autoencoder.md",
    },
    "vae_gan_fashion_mnist": {
        "architecture": "vae_gan",
        "config": {"name": "vaegan", "latent_dim": 128, "num_classes": None, "d_steps": 1,
                   "latent_distribution": "normal", "seed": 0, "label_smoothing": 0.0,
                   "feature_matching": None, "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1], "base_filters": 32, "hidden_units": 512,
                   "gamma": 0.01},
        "dataset": "fashion_mnist",
        "description": ("VAE-GAN (Larsen et al.; 128-d latent, encoder / decoder 64-128, "
                        "discriminator 32-64-128) on 29,952 Fashion-MNIST images, 1 epoch; "
                        "the generator is the decoder, sampling N(0, I)."),
        "files": {
            "generator": {
                "file": "vae_gan_fashion_mnist_generator.fp16.weights.h5",
                "sha256": "7fca72bda815a6063969cb6cd62efff226aabe8d29a5de6ef09df85296b2cc2e",
                "size": 2053424, "packaged": True},
            "model": {
                "file": "vae_gan_fashion_mnist.keras",
                "sha256": "709962b36a13165189f8d6f01c5b5ce972867ac5df655689cfe0ef4532ed91b6",
                "size": 128642244, "packaged": False},
        },
        "metrics": {"fid": 157.8435, "kid": 4.772, "kid_std": 0.1774, "is": 1.4298,
                    "is_std": 0.0214, "classes_found": 3, "class_entropy": 0.8251,
                    "extractor": "fashion_mnist", "num_generated": 10000, "num_real": 10000,
                    "real": "fashion_mnist/test", "seed": 0, "labels": None,
                    "test_mse": 0.07612, "measured_on": "the generator file"},
        "training": {"epochs": 1, "steps": 468, "batch_size": 64, "train_examples": 29952,
                     "dtype_policy": "mixed_bfloat16", "train_seconds": 179.5,
                     "epochs_asked": 2, "stopped_by": "time budget (5.5 min)",
                     "best_epoch": 1, "fid_every": 1, "fid_samples": 2000,
                     "fid_curve": [{"epoch": 1, "fid": 160.8782}],
                     "wall_seconds": 208, "machine": _MACHINE},
        "recipe": "python applications/vae_gan_fashion_mnist.py --out runs/vae_gan_fashion_mnist",
        "provenance": ("Trained by this recipe with its defaults (seed 0, first 30,000 "
                       "training images) under the CPU lock: the first epoch took 179.5 s "
                       "with its FID check, so the 5.5-minute budget stopped training after "
                       "it (`--epochs 1 --max_minutes 0` trains the same run on any "
                       "machine). wall_seconds is the whole command; the rest is what the "
                       "run's metrics.json recorded. test_mse: 10,000 test images, [-1, 1] "
                       "scale, of the .keras checkpoint. An early checkpoint: reconstructions "
                       "are recognisable, but prior samples are noisy textures (the "
                       "posterior is far from N(0, I): KL 73 nats per image) that the "
                       "classifier puts in 3 classes."),
        "card": "docs/models/vae_gan.md",
    },
    "vae_mnist": {
        "architecture": "vae",
        "config": {"name": "vae", "latent_dim": 32, "seed": 0, "image_shape": [28, 28, 1],
                   "base_filters": 32, "likelihood": "bernoulli", "beta": 1.0,
                   "binarization": "dynamic"},
        "dataset": "mnist",
        "description": ("VAE (Bernoulli decoder, dynamic binarisation, 32-d latent) on the "
                        "4,500 offline MNIST digits; the weights of epoch 80 (best FID check "
                        "of 82 epochs). generate decodes z ~ N(0, I) to the mean image."),
        "files": {
            "generator": {
                "file": "vae_mnist_generator.fp16.weights.h5",
                "sha256": "779049400e82e4d67d0fd2f9825d185d45673094bd1b434c519e9baf4fd0572d",
                "size": 299272, "packaged": True},
            "model": {
                "file": "vae_mnist.keras",
                "sha256": "4344946661ebe7d692e210334f2d7f8f28368ef83dabc914cf113fdb1c82f652",
                "size": 4510502, "packaged": False},
        },
        "metrics": {"fid": 61.6081, "kid": 5.4126, "kid_std": 0.1573, "is": 5.6349,
                    "is_std": 0.0912, "classes_found": 10, "class_entropy": 2.2414,
                    "extractor": "mnist", "num_generated": 10000, "num_real": 500,
                    "real": "mnist/test", "seed": 0, "labels": None,
                    "test_nll_nats": 97.272, "nll_k": 2000,
                    "test_negative_elbo_nats": 106.189,
                    "measured_on": "the generator file"},
        "training": {"epochs": 82, "steps": 3690, "batch_size": 100, "train_examples": 4500,
                     "dtype_policy": "float32", "train_seconds": 178.1,
                     "epochs_asked": 200, "stopped_by": "time budget (3 min)",
                     "best_epoch": 80, "fid_every": 10, "fid_samples": 2000,
                     "fid_curve": [{"epoch": 10, "fid": 117.223}, {"epoch": 20, "fid": 82.8025},
                                   {"epoch": 30, "fid": 73.2569}, {"epoch": 40, "fid": 68.9372},
                                   {"epoch": 50, "fid": 66.2437}, {"epoch": 60, "fid": 64.3784},
                                   {"epoch": 70, "fid": 63.3518}, {"epoch": 80, "fid": 61.0454}],
                     "wall_seconds": 266, "machine": _MACHINE},
        "recipe": "python applications/vae_mnist.py --out runs/vae_mnist",
        "provenance": ("Trained by this recipe with its defaults (seed 0) under the CPU lock: "
                       "the FID of 2,000 samples against the 500 test digits was checked "
                       "every 10 epochs and still improved at every check; the 3-minute "
                       "budget stopped training after epoch 82 and the weights of epoch 80 "
                       "(the last check) were restored. `--epochs 82 --max_minutes 0` "
                       "trains the same run on any machine. wall_seconds is the whole "
                       "command (IWAE NLL with k = 2,000 included); the rest is what the "
                       "run's metrics.json recorded. test_nll_nats / "
                       "test_negative_elbo_nats: the 500 test digits binarised once (seed "
                       "0), of the .keras checkpoint."),
        "card": "docs/models/vae.md",
    },
    "cgan_mnist": {
        "architecture": "cgan",
        "config": {"name": "cgan",
                   "latent_dim": 100,
                   "num_classes": 10,
                   "d_steps": 1,
                   "latent_distribution": "normal",
                   "seed": 0,
                   "label_smoothing": 0.0,
                   "feature_matching": None,
                   "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1],
                   "architecture": "conv",
                   "base_filters": 64,
                   "z_units": 200,
                   "label_units": 1000,
                   "hidden_units": 1200,
                   "d_units": 240,
                   "dropout": 0.5},
        "dataset": "mnist",
        "description": ("CGAN (conv: DCGAN networks, ngf = ndf = 64, the label appended to z "
                        "and as one plane per class to D's input) on the 4,500 offline MNIST "
                        "digits: FID of 2,000 samples checked every 5 epochs; early stopping "
                        "after 3 checks without improvement stopped it at epoch 115 and "
                        "restored epoch 100."),
        "files": {"generator": {"file": "cgan_mnist_generator.fp16.weights.h5",
                                "sha256": "9717fcbb640c8cdbc1d50c197451a60720b733572e87e9892146b25be210974c",
                                "size": 1689312,
                                "packaged": True},
                  "model": {"file": "cgan_mnist.keras",
                            "sha256": "209793e6786d1575d0ddcb23d5200e9f487be39bcc1d4cc6bbbd476b4fdb1026",
                            "size": 19533924,
                            "packaged": False}},
        "metrics": {"fid": 3.0818,
                    "kid": 0.0237,
                    "kid_std": 0.0897,
                    "is": 9.7204,
                    "is_std": 0.0484,
                    "classes_found": 10,
                    "class_entropy": 2.3025,
                    "extractor": "mnist",
                    "num_generated": 10000,
                    "num_real": 500,
                    "real": "mnist/test",
                    "seed": 0,
                    "labels": "cycling 0..9",
                    "measured_on": "the generator file"},
        "training": {"epochs": 115,
                     "steps": 5175,
                     "batch_size": 100,
                     "train_examples": 4500,
                     "dtype_policy": "mixed_bfloat16",
                     "train_seconds": 732.3,
                     "epochs_asked": 300,
                     "max_minutes": 20.0,
                     "stopped_by": "early stopping (patience 3 FID checks)",
                     "best_epoch": 100,
                     "fid_every": 5,
                     "fid_samples": 2000,
                     "fid_real": 500,
                     "fid_curve": [{"epoch": 5, "fid": 113.7591}, {"epoch": 10, "fid": 67.4591},
                                   {"epoch": 15, "fid": 45.7726}, {"epoch": 20, "fid": 32.5858},
                                   {"epoch": 25, "fid": 23.9727}, {"epoch": 30, "fid": 17.8606},
                                   {"epoch": 35, "fid": 14.5439}, {"epoch": 40, "fid": 10.0288},
                                   {"epoch": 45, "fid": 9.4427}, {"epoch": 50, "fid": 7.4175},
                                   {"epoch": 55, "fid": 5.4195}, {"epoch": 60, "fid": 5.4113},
                                   {"epoch": 65, "fid": 4.2889}, {"epoch": 70, "fid": 4.0621},
                                   {"epoch": 75, "fid": 3.6027}, {"epoch": 80, "fid": 3.4367},
                                   {"epoch": 85, "fid": 3.395}, {"epoch": 90, "fid": 3.3925},
                                   {"epoch": 95, "fid": 3.5187}, {"epoch": 100, "fid": 3.3245},
                                   {"epoch": 105, "fid": 3.3406}, {"epoch": 110, "fid": 3.4044},
                                   {"epoch": 115, "fid": 3.3246}],
                     "restored_best_weights": True,
                     "machine": _MACHINE},
        "recipe": ("python applications/cgan_mnist.py --epochs 300 --fid_every 5 --patience 3 "
                   "--max_minutes 20"),
        "provenance": ("Trained by this recipe at the commit that added this entry, alone on "
                       "the machine; config, time, FID curve and sha256s from the run's "
                       "metrics.json; the 10,000-sample metrics measured on the shipped "
                       "generator file. Replaces the 50-epoch checkpoint of 2026-12-01 (FID "
                       "5.98)."),
        "card": "docs/models/cgan.md",
    },
    "lapgan_fashion_mnist": {
        "architecture": "lapgan",
        "config": {"name": "lapgan",
                   "latent_dim": 1080,
                   "num_classes": None,
                   "d_steps": 1,
                   "latent_distribution": "uniform",
                   "seed": 0,
                   "label_smoothing": 0.0,
                   "feature_matching": None,
                   "historical_averaging": 0.0,
                   "image_shape": [28, 28, 1],
                   "num_levels": 3,
                   "coarse_latent_dim": 100,
                   "coarse_units": 1200,
                   "coarse_d_units": 600,
                   "level_filters": 32,
                   "dropout": 0.0,
                   "batch_norm": True},
        "dataset": "fashion_mnist",
        "description": ("LAPGAN (7 -> 14 -> 28 pyramid, level_filters 32) on Fashion-MNIST, 4 "
                        "epochs."),
        "files": {"generator": {"file": "lapgan_fashion_mnist_generator.fp16.weights.h5",
                                "sha256": "19f41fbd0b93a704a7a5f8ecd6796cf7e2430fb73f90d83063a0c872c30acceb",
                                "size": 3586512,
                                "packaged": True},
                  "model": {"file": "lapgan_fashion_mnist.keras",
                            "sha256": "662f8016e5fc520eb201eb391b810fc2b8459840938e7385669101ba1a9aaa30",
                            "size": 43944274,
                            "packaged": False}},
        "metrics": {"fid": 43.8003,
                    "kid": 1.3831,
                    "kid_std": 0.1195,
                    "is": 4.8937,
                    "is_std": 0.0945,
                    "classes_found": 10,
                    "class_entropy": 2.2252,
                    "extractor": "fashion_mnist",
                    "num_generated": 10000,
                    "num_real": 10000,
                    "real": "fashion_mnist/test",
                    "seed": 0,
                    "labels": None,
                    "measured_on": "the generator file"},
        "training": {"epochs": 4,
                     "steps": 1872,
                     "batch_size": 128,
                     "train_examples": 59904,
                     "dtype_policy": "mixed_bfloat16",
                     "train_seconds": 514.3,
                     "machine": _MACHINE},
        "recipe": "python applications/lapgan_fashion_mnist.py",
        "provenance": ("Trained by this recipe at the commit that added this entry; config, "
                       "time and sha256s from the metrics.json of the run."),
        "card": "docs/models/lapgan.md",
    },
}


def list_pretrained(pattern="*"):
    """Names of the pretrained checkpoints matching a shell-style `pattern`.

    Example:
        >>> list_pretrained("*fashion_mnist")
        ['dcgan_fashion_mnist', 'lsgan_fashion_mnist', ...]
    """
    return sorted(name for name in PRETRAINED if fnmatch.fnmatch(name, pattern))


def get_entry(name):
    """A deep copy of the registry entry `name` (plus its ``"name"``).

    Raises:
        ValueError: an unknown name; the message lists the known ones.
    """
    if not isinstance(name, str) or name not in PRETRAINED:
        known = sorted(PRETRAINED)
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown pretrained model {name!r}.{hint} "
                         f"Known pretrained models: {', '.join(known)}.")
    return {"name": name, **copy.deepcopy(PRETRAINED[name])}
