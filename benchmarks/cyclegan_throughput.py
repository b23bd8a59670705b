"""CycleGAN training throughput: the zoo's `fit` against a keras.io-style train_step.

Both sides train the SAME networks, built by the same functions with the same
sizes and the same initial weights (copied from the zoo model): two
`resnet_generator`s and two instance-norm `patch_discriminator`s (the zoo's
defaults for 28x28x1 images: 3 residual blocks, 1-layer PatchGAN, `--base-filters`
64), on the same in-memory sneaker (domain a) / ankle boot (domain b) batches of
Fashion-MNIST, in one process. Only the train step differs:

- textbook: the keras.io "CycleGAN" example's `train_step` (a keras.Model
  subclass, one persistent tape, LSGAN losses via `keras.losses.MeanSquaredError`,
  L1 cycle and identity losses via `keras.losses.MeanAbsoluteError`, cycle 10,
  identity 0.5 x 10, four Adam(2e-4, 0.5) optimizers, one per network, no image
  pool, no loss scaling). As in keras.io, each generator takes the gradient of its
  OWN total loss only, so G misses the part of the cycle gradient that flows back
  through F in |F(G(x)) - x| (and F the part through G in |G(F(y)) - y|); the
  authors' code and the zoo back-propagate the joint generator loss into both;
- zoo: `kgz.create_model("cyclegan")`, a bare `compile()` and `fit`: the same
  losses plus the pool of 50 generated images per domain that the discriminators
  see, one optimizer per player, one `minimize` call (the overflow decision that
  skips a step for both players is active under mixed_float16 only), the step
  counter and the batch checks.

Each side runs in float32 and in mixed_bfloat16 (native on a CPU with
AVX512-BF16 / AMX), at every `--batch-sizes` (1 as in the paper, and 16).

Run:
    python benchmarks/cyclegan_throughput.py               # ~4.5 min on 2 idle CPU cores
    python benchmarks/cyclegan_throughput.py --batch-sizes 1 --rounds 7 --json out.json

Prints one table row per configuration: pairs/s (one pair = an image of each
domain, consumed per wall-clock second, timed after warm-up steps that include
tracing), pairs per CPU-second of this process (steadier on a shared virtual
machine), and the zoo/textbook ratio (median over rounds of the per-round
ratio). Rounds interleave all configurations, so load from other processes on
the machine hits both sides alike. Then the last losses of each run, so a reader
sees both train.
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gan_zoo as kgz  # noqa: E402
from keras_gan_zoo.models.translation.cyclegan import resnet_generator  # noqa: E402
from keras_gan_zoo.models.translation.pix2pix import patch_discriminator  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)
SNEAKER, ANKLE_BOOT = 7, 9
PRECISIONS = ("float32", "mixed_bfloat16")


# ------------------------------------------------------------------ textbook
adv_loss_fn = keras.losses.MeanSquaredError()


def generator_loss_fn(fake):
    return adv_loss_fn(tf.ones_like(fake), fake)


def discriminator_loss_fn(real, fake):
    real_loss = adv_loss_fn(tf.ones_like(real), real)
    fake_loss = adv_loss_fn(tf.zeros_like(fake), fake)
    return (real_loss + fake_loss) * 0.5


class TextbookCycleGAN(keras.Model):
    """The keras.io CycleGAN example's model (A. K. Nain), on the zoo's networks:
    G: a -> b, F: b -> a, D_X judges domain a, D_Y domain b."""

    def __init__(self, generator_G, generator_F, discriminator_X, discriminator_Y,
                 lambda_cycle=10.0, lambda_identity=0.5):
        super().__init__()
        self.gen_G = generator_G
        self.gen_F = generator_F
        self.disc_X = discriminator_X
        self.disc_Y = discriminator_Y
        self.lambda_cycle = lambda_cycle
        self.lambda_identity = lambda_identity
        # Epoch means under the zoo's names, so History shows comparable numbers.
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("d_loss", "g_loss", "g_gan", "cycle", "identity")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs):
        return self.gen_G(inputs)

    def compile(self, gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer,
                gen_loss_fn, disc_loss_fn):
        super().compile()
        self.gen_G_optimizer = gen_G_optimizer
        self.gen_F_optimizer = gen_F_optimizer
        self.disc_X_optimizer = disc_X_optimizer
        self.disc_Y_optimizer = disc_Y_optimizer
        self.generator_loss_fn = gen_loss_fn
        self.discriminator_loss_fn = disc_loss_fn
        self.cycle_loss_fn = keras.losses.MeanAbsoluteError()
        self.identity_loss_fn = keras.losses.MeanAbsoluteError()

    def train_step(self, batch_data):
        real_x, real_y = batch_data
        with tf.GradientTape(persistent=True) as tape:
            fake_y = self.gen_G(real_x, training=True)
            fake_x = self.gen_F(real_y, training=True)
            cycled_x = self.gen_F(fake_y, training=True)
            cycled_y = self.gen_G(fake_x, training=True)
            same_x = self.gen_F(real_x, training=True)
            same_y = self.gen_G(real_y, training=True)

            disc_real_x = self.disc_X(real_x, training=True)
            disc_fake_x = self.disc_X(fake_x, training=True)
            disc_real_y = self.disc_Y(real_y, training=True)
            disc_fake_y = self.disc_Y(fake_y, training=True)

            gen_G_loss = self.generator_loss_fn(disc_fake_y)
            gen_F_loss = self.generator_loss_fn(disc_fake_x)
            cycle_loss_G = self.cycle_loss_fn(real_y, cycled_y) * self.lambda_cycle
            cycle_loss_F = self.cycle_loss_fn(real_x, cycled_x) * self.lambda_cycle
            id_loss_G = (self.identity_loss_fn(real_y, same_y)
                         * self.lambda_cycle * self.lambda_identity)
            id_loss_F = (self.identity_loss_fn(real_x, same_x)
                         * self.lambda_cycle * self.lambda_identity)
            total_loss_G = gen_G_loss + cycle_loss_G + id_loss_G
            total_loss_F = gen_F_loss + cycle_loss_F + id_loss_F

            disc_X_loss = self.discriminator_loss_fn(disc_real_x, disc_fake_x)
            disc_Y_loss = self.discriminator_loss_fn(disc_real_y, disc_fake_y)

        grads_G = tape.gradient(total_loss_G, self.gen_G.trainable_variables)
        grads_F = tape.gradient(total_loss_F, self.gen_F.trainable_variables)
        disc_X_grads = tape.gradient(disc_X_loss, self.disc_X.trainable_variables)
        disc_Y_grads = tape.gradient(disc_Y_loss, self.disc_Y.trainable_variables)
        self.gen_G_optimizer.apply_gradients(zip(grads_G, self.gen_G.trainable_variables))
        self.gen_F_optimizer.apply_gradients(zip(grads_F, self.gen_F.trainable_variables))
        self.disc_X_optimizer.apply_gradients(zip(disc_X_grads, self.disc_X.trainable_variables))
        self.disc_Y_optimizer.apply_gradients(zip(disc_Y_grads, self.disc_Y.trainable_variables))

        values = {
            "d_loss": disc_X_loss + disc_Y_loss,
            "g_loss": total_loss_G + total_loss_F,
            "g_gan": gen_G_loss + gen_F_loss,
            "cycle": (cycle_loss_G + cycle_loss_F) / self.lambda_cycle,
            "identity": (id_loss_G + id_loss_F) / (self.lambda_cycle * self.lambda_identity),
        }
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


# ---------------------------------------------------------------------- data
def _split_domains(images, labels):
    return images[labels == SNEAKER], images[labels == ANKLE_BOOT]


def domain_images(count, source):
    """`count` images of each domain as float32 numpy in [-1, 1], and where from."""
    if source == "random":
        rng = np.random.default_rng(0)
        return (rng.uniform(-1, 1, (2, count, *IMAGE_SHAPE)).astype("float32"),
                "uniform noise in [-1, 1]")
    try:
        ds = kgz.datasets.load("fashion_mnist_sneaker_boot", batch_size=count, seed=0)
    except (ValueError, KeyError, RuntimeError):
        ds = None  # not (yet) in this version of the zoo, or its files are missing
    if ds is not None:
        batch = next(iter(ds))
        a, b = (batch["a"], batch["b"]) if isinstance(batch, dict) else batch[:2]
        return (np.stack([np.asarray(a, "float32"), np.asarray(b, "float32")]),
                'Fashion-MNIST sneakers / ankle boots (datasets.load('
                '"fashion_mnist_sneaker_boot"))')
    ds = kgz.datasets.load("fashion_mnist", batch_size=10_000, with_labels=True, seed=0)
    images, labels = (np.asarray(t) for t in next(iter(ds)))
    a, b = _split_domains(images, labels)
    rng = np.random.default_rng(1)  # unaligned: b in its own order
    return (np.stack([a[:count], rng.permutation(b)[:count]]).astype("float32"),
            'Fashion-MNIST sneakers (7) / ankle boots (9) filtered from datasets.load('
            '"fashion_mnist", with_labels=True)')


def pairs_dataset(domains, batch_size, steps):
    """`steps` unaligned (a, b) batches, held in memory so input costs nothing."""
    n = batch_size * steps
    a = np.resize(domains[0], (n, *IMAGE_SHAPE)).reshape(steps, batch_size, *IMAGE_SHAPE)
    b = np.resize(domains[1], (n, *IMAGE_SHAPE)).reshape(steps, batch_size, *IMAGE_SHAPE)
    return tf.data.Dataset.from_tensor_slices((a, b))


# ------------------------------------------------------------------- models
def build_pair(policy, base_filters, num_blocks, seed):
    """The zoo's CycleGAN and a TextbookCycleGAN with the same weights, under `policy`."""
    keras.mixed_precision.set_global_policy(policy)
    zoo = kgz.create_model("cyclegan", image_shape=IMAGE_SHAPE, base_filters=base_filters,
                           num_blocks=num_blocks, seed=seed)
    zoo.compile()
    nets = {
        "gen_G": resnet_generator(IMAGE_SHAPE, IMAGE_SHAPE[-1], zoo.base_filters,
                                  zoo.num_blocks, name="generator_G"),
        "gen_F": resnet_generator(IMAGE_SHAPE, IMAGE_SHAPE[-1], zoo.base_filters,
                                  zoo.num_blocks, name="generator_F"),
        "disc_X": patch_discriminator(IMAGE_SHAPE, 0, zoo.base_filters, zoo.patch_layers,
                                      norm="instance", name="discriminator_X"),
        "disc_Y": patch_discriminator(IMAGE_SHAPE, 0, zoo.base_filters, zoo.patch_layers,
                                      norm="instance", name="discriminator_Y"),
    }
    twins = {"gen_G": zoo.generator_a_to_b, "gen_F": zoo.generator_b_to_a,
             "disc_X": zoo.discriminator_a, "disc_Y": zoo.discriminator_b}
    for key, net in nets.items():
        net.set_weights(twins[key].get_weights())
    textbook = TextbookCycleGAN(nets["gen_G"], nets["gen_F"], nets["disc_X"], nets["disc_Y"])
    textbook.compile(*(keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)
                       for _ in range(4)),
                     gen_loss_fn=generator_loss_fn, disc_loss_fn=discriminator_loss_fn)
    keras.mixed_precision.set_global_policy("float32")
    return zoo, textbook


def timed_fit(model, dataset, steps, batch_size):
    start, cpu_start = time.perf_counter(), os.times()
    history = model.fit(dataset.take(steps), epochs=1, verbose=0)
    seconds, cpu_end = time.perf_counter() - start, os.times()
    cpu_seconds = (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system)
    losses = {k: round(float(v[-1]), 3) for k, v in history.history.items()}
    return steps * batch_size / seconds, steps * batch_size / max(cpu_seconds, 1e-9), losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", default="1,16",
                        help="comma-separated batch sizes (1 is the paper's)")
    parser.add_argument("--base-filters", type=int, default=64)
    parser.add_argument("--num-blocks", type=int, default=None,
                        help="residual blocks per generator (default: the zoo's for 28 px, 3)")
    parser.add_argument("--precisions", default=",".join(PRECISIONS),
                        help="comma-separated Keras policies")
    parser.add_argument("--images-per-round", type=int, default=32,
                        help="pairs per timed round and configuration (steps = this / batch)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timed rounds")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps (tracing)")
    parser.add_argument("--data", choices=("real", "random"), default="real")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    precisions = [p.strip() for p in args.precisions.split(",")]
    steps_for = {b: max(1, args.images_per_round // b) for b in batch_sizes}
    domains, source = domain_images(
        max(b * max(steps_for[b], args.warmup) for b in batch_sizes), args.data)
    datasets = {b: pairs_dataset(domains, b, max(steps_for[b], args.warmup))
                for b in batch_sizes}

    t0 = time.perf_counter()
    configs = []  # (variant, policy, batch, model)
    for batch in batch_sizes:
        for policy in precisions:
            zoo, textbook = build_pair(policy, args.base_filters, args.num_blocks, seed=0)
            for variant, model in (("zoo CycleGAN fit", zoo),
                                   ("keras.io-style train_step", textbook)):
                model.fit(datasets[batch].take(args.warmup), epochs=1, verbose=0)
                configs.append((variant, policy, batch, model))
    zoo0 = configs[0][3]
    print(f"CycleGAN {'x'.join(map(str, IMAGE_SHAPE))}, base_filters {zoo0.base_filters}, "
          f"{zoo0.num_blocks} residual blocks, {zoo0.patch_layers}-layer PatchGAN, "
          f"pool {zoo0.pool_size}; data: {source}")
    print(f"median of {args.rounds} interleaved rounds x {args.images_per_round} pairs; "
          f"build + warm-up {time.perf_counter() - t0:.0f} s; TF {tf.__version__}, "
          f"Keras {keras.__version__}, {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()}); "
          f"loadavg before timing {os.getloadavg()[0]:.2f}")

    rates = [[] for _ in configs]
    cpu_rates = [[] for _ in configs]
    last_losses = [None] * len(configs)
    for _ in range(args.rounds):
        for i, (_, _, batch, model) in enumerate(configs):
            rate, cpu_rate, last_losses[i] = timed_fit(model, datasets[batch], steps_for[batch],
                                                       batch)
            rates[i].append(rate)
            cpu_rates[i].append(cpu_rate)

    rows = []
    for i, (variant, policy, batch, _) in enumerate(configs):
        row = {"variant": variant, "precision": policy, "batch": batch,
               "pairs_per_s": float(np.median(rates[i])),
               "pairs_per_cpu_s": float(np.median(cpu_rates[i])),
               "rounds": [round(x, 1) for x in rates[i]],
               "cpu_rounds": [round(x, 1) for x in cpu_rates[i]], "losses": last_losses[i]}
        if i % 2 == 0:  # the zoo row; its textbook twin follows
            row["ratio"] = float(np.median(np.divide(rates[i], rates[i + 1])))
            row["cpu_ratio"] = float(np.median(np.divide(cpu_rates[i], cpu_rates[i + 1])))
        rows.append(row)

    print(f"| {'variant':<26} | {'precision':<14} | {'batch':>5} | {'pairs/s':>8} "
          f"| {'pairs/CPU-s':>11} | {'ratio zoo/textbook (wall, CPU)':>30} |")
    print(f"|{'-' * 28}|{'-' * 16}|{'-' * 7}|{'-' * 10}|{'-' * 13}|{'-' * 32}|")
    for row in rows:
        ratio = (f"{row['ratio']:.2f}x, {row['cpu_ratio']:.2f}x" if "ratio" in row else "")
        print(f"| {row['variant']:<26} | {row['precision']:<14} | {row['batch']:>5} "
              f"| {row['pairs_per_s']:>8.1f} | {row['pairs_per_cpu_s']:>11.1f} "
              f"| {ratio:>30} |")
    print()
    print("Per-round pairs/s and the last losses (epoch means of the last round; "
          "g_loss = g_gan + 10 cycle + 5 identity, d_loss = sum of both halved D losses):")
    for row in rows:
        losses = ", ".join(f"{k} {row['losses'][k]}" for k in
                           ("d_loss", "g_loss", "g_gan", "cycle", "identity"))
        print(f"  {row['variant']:<26} {row['precision']:<14} batch {row['batch']:>2}: "
              f"{row['rounds']} | {losses}")
    print(f"total {time.perf_counter() - t0:.0f} s; loadavg {os.getloadavg()}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
