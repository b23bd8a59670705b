"""Recipe: the sentence VAE on the generated verse corpus (docs/models/sentence_vae.md).

    python applications/sentence_vae_verse.py --epochs 10 --out runs/sentence_vae_verse
    python applications/sentence_vae_verse.py --text_file my_sentences.txt

Trains `sentence_vae` (GRU encoder -> z -> GRU decoder, logistic KL annealing, word
dropout) on `verse` (lines that keras_gan_zoo.datasets.verse generates; or `--text_file`,
one sentence per line, split 90 / 5 / 5 with a seed), and, as the paper's table does, the
same decoder as a plain GRU language model (`use_latent=False`: no z, no KL) as the
baseline (`--baseline=false` skips it). The vocabulary is the training split's words seen
at least `--min_count` times. Written into `--out`:

- `sentence_vae_verse.keras` (and `..._baseline.keras`): resumable checkpoints;
- `metrics.json`: config, time, history, and the test figures of both models, one z
  sample per sentence: NLL per sentence (the bound, reconstruction + KL, nats), KL,
  nats per token and perplexity (`<eos>` counted);
- `samples.json` and `samples.txt`: sentences from the prior (greedy and at a
  temperature), reconstructions of test sentences (posterior mean, greedy), and
  homotopies between pairs of test sentences (the paper's interpolation table).

Publishing a finished run as the pretrained checkpoint `sentence_vae_verse` (no training):

    python applications/sentence_vae_verse.py --publish_only runs/sentence_vae_verse

reloads the run's checkpoints in float32, writes the generator file that
`kgz.applications.load_generator("sentence_vae_verse")` reads (every network of the VAE,
encoder included, float16 kernels: `publish.save_generator_weights`), measures the test
figures of that file, of the float32 `.keras` checkpoint and of the baseline (same test
sentences, same z draws), and writes `keras_gan_zoo/applications/weights/
sentence_vae_verse.json` with the file beside it (`--repo` sets the checkout written into).
The run's own flags must be given again if they were not the defaults (the test split is
checked against the run's). The card's Pretrained section is written by hand from the
printed numbers and `samples.txt`. (`applications/publish_run.py` publishes the image
recipes' runs, whose metrics.json has another schema.)

Smoke test (a minute or two): `python applications/sentence_vae_verse.py --num_train 256
--epochs 1 --embedding_dim 8 --hidden_units 8 --latent_dim 4 --num_test 64
--out runs/smoke_sentence_vae`.
"""

import json
import os
import shlex
import shutil
import sys
import time
import warnings

from absl import app, flags

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish, registry

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "sentence_vae_verse"

flags.DEFINE_string("text_file", None, "One sentence per line (default: the verse corpus).")
flags.DEFINE_integer("verse_seed", 0, "Seed of the generated verse corpus.")
flags.DEFINE_integer("num_train", None, "Training sentences (default: all of the split).")
flags.DEFINE_integer("num_test", None, "Test sentences evaluated (default: all).")
flags.DEFINE_integer("min_count", 2, "Vocabulary: words seen at least this often in train.")
flags.DEFINE_integer("epochs", 10, "Training epochs.")
flags.DEFINE_integer("batch_size", 64, "Sentences per batch.")
flags.DEFINE_integer("embedding_dim", 128, "Word embedding size.")
flags.DEFINE_integer("hidden_units", 256, "GRU units (encoder and decoder).")
flags.DEFINE_integer("latent_dim", 16, "Size of z.")
flags.DEFINE_float("word_dropout", 0.25, "Fraction of decoder input words replaced by <unk>.")
flags.DEFINE_float("kl_anneal_k", 0.0025, "Slope of the logistic KL weight.")
flags.DEFINE_float("kl_anneal_x0", 2500, "Step at which the KL weight is 0.5.")
flags.DEFINE_enum("conditioning", "initial_state", ["initial_state", "inputs", "both"],
                  "How z enters the decoder.")
flags.DEFINE_integer("max_length", 24, "Longest sentence trained on and decoded (tokens).")
flags.DEFINE_boolean("baseline", True, "Also train the GRU language model baseline.")
flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"], "Precision policy.")
flags.DEFINE_integer("seed", 0, "Data order, training noise and sampling seed.")
flags.DEFINE_integer("num_samples", 10, "Sentences sampled from the prior (each way).")
flags.DEFINE_float("temperature", 0.8, "Temperature of the sampled sentences.")
flags.DEFINE_integer("num_interpolations", 5, "Homotopies between test sentence pairs.")
flags.DEFINE_integer("interpolation_steps", 7, "Sentences per homotopy, ends included.")
flags.DEFINE_string("out", None, "Output directory (default runs/sentence_vae_<corpus>).")
flags.DEFINE_string("publish_only", None, "A finished run's directory (verse corpus): write "
                    "its generator file, measure it and write the registry record "
                    f"{NAME}.json with the file into --repo; no training.")
flags.DEFINE_string("repo", REPO, "Root of the keras_gan_zoo checkout --publish_only writes "
                    "into.")
FLAGS = flags.FLAGS


def corpus(f):
    """`(name, train, validation, test)` sentence lists."""
    if f.text_file:
        name = os.path.splitext(os.path.basename(f.text_file))[0]
        splits = [kgz.datasets.text_lines(f.text_file, split, seed=f.seed)
                  for split in ("train", "validation", "test")]
    else:
        name = "verse"
        splits = [kgz.datasets.verse_lines(split, seed=f.verse_seed)
                  for split in ("train", "validation", "test")]
    train, validation, test = splits
    return name, train[:f.num_train], validation, test[:f.num_test]


def train_one(f, name, vocabulary, data, valid, use_latent, out):
    model = kgz.create_model(
        "sentence_vae", vocabulary=vocabulary, embedding_dim=f.embedding_dim,
        hidden_units=f.hidden_units, latent_dim=f.latent_dim, word_dropout=f.word_dropout,
        kl_anneal_k=f.kl_anneal_k, kl_anneal_x0=f.kl_anneal_x0, conditioning=f.conditioning,
        max_length=f.max_length, use_latent=use_latent, seed=f.seed)
    model.compile()
    checkpoint = os.path.join(out, f"sentence_vae_{name}{'' if use_latent else '_baseline'}"
                                   ".keras")
    start = time.perf_counter()
    history = model.fit(data, epochs=f.epochs, validation_data=valid, verbose=2,
                        callbacks=[kgz.callbacks.TrainingCheckpoint(checkpoint)])
    seconds = time.perf_counter() - start
    return model, {"checkpoint": os.path.basename(checkpoint),
                   "train_seconds": round(seconds, 1), "config": model.get_config(),
                   "history": {k: [round(float(x), 4) for x in v]
                               for k, v in history.history.items()}}


def rounded(figures):
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}


def test_figures(model, test, seed):
    return rounded(model.evaluate_sentences(test, seed=seed))


def publish_run(f, run_dir, repo):
    """Publishes the finished verse run in `run_dir` as the pretrained checkpoint `NAME`
    (see the module docstring); returns its registry record."""
    import keras

    with open(os.path.join(run_dir, "metrics.json")) as file:
        run = json.load(file)
    if run.get("recipe") != NAME or f.text_file:
        raise ValueError(f"{run_dir}: --publish_only publishes a run of {NAME} on the verse "
                         f"corpus; this run is of {run.get('recipe')!r}.")
    _, train, _, test = corpus(f)
    test = [s for s in test if len(kgz.datasets.tokenize(s)) <= f.max_length]
    if len(test) != run["sentences"]["test"] or len(train) != run["sentences"]["train"]:
        raise ValueError(f"The flags give {len(train)} training and {len(test)} test sentences; "
                         f"the run had {run['sentences']}: pass the run's flags again.")
    vae_run, lm_run = run["runs"]["sentence_vae"], run["runs"]["gru_language_model"]
    keras.mixed_precision.set_global_policy("float32")  # measured in float32
    warnings.simplefilter("ignore", kgz.datasets.words.UnknownWordWarning)
    checkpoint = os.path.join(run_dir, vae_run["checkpoint"])
    model = keras.models.load_model(checkpoint)
    generator = publish.save_generator_weights(
        model, os.path.join(run_dir, f"{NAME}_generator.fp16.weights.h5"))
    shipped = kgz.applications.build_from_weights("sentence_vae", model.get_config(),
                                                  generator)
    figures = test_figures(shipped, test, f.seed)
    float32 = test_figures(model, test, f.seed)
    baseline = test_figures(keras.models.load_model(
        os.path.join(run_dir, lm_run["checkpoint"])), test, f.seed)
    greedy = shipped.generate(f.num_samples, seed=f.seed, greedy=True)
    same = sum(a == b for a, b in zip(greedy, model.generate(f.num_samples, seed=f.seed,
                                                              greedy=True)))
    originals = test[:f.num_samples]
    same_reconstructions = sum(a == b for a, b in zip(shipped.reconstruct(originals),
                                                      model.reconstruct(originals)))

    def scores(t):
        return {"test_nll_nats": t["nll"], "test_kl_nats": t["kl"],
                "test_reconstruction_nats": t["reconstruction"],
                "test_nats_per_token": t["nll_per_token"], "test_perplexity": t["perplexity"]}

    steps = -(-run["sentences"]["train"] // run["batch_size"]) * run["epochs"]
    entry = {
        "architecture": "sentence_vae", "config": model.get_config(), "dataset": "verse",
        "card": "docs/models/sentence_vae.md",
        "description": (
            "Sentence VAE (Bowman et al. 2015: GRU encoder, 16-d Gaussian z, GRU decoder, "
            "logistic KL annealing, word dropout 0.25) on the generated verse corpus (20,000 "
            "training lines, 496-token vocabulary), 10 epochs; scored by the test NLL per "
            "sentence (one-sample bound) against the same decoder as a GRU language model."),
        "files": {"generator": publish.file_record(generator, packaged=True),
                  "model": publish.file_record(checkpoint, packaged=False)},
        "metrics": {
            **scores(figures), "nll_per": "sentence",
            "test_sentences": figures["sentences"], "test_tokens": figures["tokens"],
            "real": "verse/test",
            "bound": (f"one z sample per sentence (numpy seed {f.seed}), reconstruction + KL "
                      "in nats; <eos> counted as a token; float32 compute"),
            "checkpoint_test_nll_nats": float32["nll"],
            "greedy_sentences_as_checkpoint": f"{same} / {len(greedy)} prior samples, "
                                              f"{same_reconstructions} / {len(originals)} "
                                              "reconstructions",
            "baseline": {"model": "gru_language_model", "config": {"use_latent": False},
                         **scores(baseline),
                         "train_seconds": lm_run["train_seconds"]},
            "measured_on": "the generator file"},
        "training": {
            "epochs": run["epochs"], "steps": steps, "batch_size": run["batch_size"],
            "train_examples": run["sentences"]["train"],
            "validation_sentences": run["sentences"]["validation"],
            "dtype_policy": run["dtype_policy"], "train_seconds": vae_run["train_seconds"],
            "stopped_by": "the epoch count",
            "machine": (publish.PROJECT_MACHINE if run["machine"] ==
                        publish.machine_description() else run["machine"])},
        "recipe": "python applications/sentence_vae_verse.py --epochs 10",
    }
    weights = os.path.join(repo, "keras_gan_zoo", "applications", "weights")
    shutil.copyfile(generator, os.path.join(weights, os.path.basename(generator)))
    publish.write_entry(registry.record_path(NAME, weights), entry)
    print(publish.entry_json({key: value for key, value in entry.items() if key != "config"}))
    print(f"float16 file: test NLL {figures['nll']} nats/sentence (KL {figures['kl']}, "
          f"perplexity {figures['perplexity']}); float32 checkpoint: {float32['nll']} "
          f"(KL {float32['kl']}, perplexity {float32['perplexity']}); baseline float32: "
          f"{baseline['nll']} (perplexity {baseline['perplexity']}); the run (its "
          f"{run['dtype_policy']} model): {vae_run['test']['nll']} / "
          f"{lm_run['test']['nll']}")
    print("greedy from the prior, the shipped file:\n" + "\n".join(greedy))
    return entry


def main(_):
    f = FLAGS
    if f.publish_only:
        publish_run(f, f.publish_only, f.repo)
        return
    name, train, validation, test = corpus(f)
    out = f.out or os.path.join("runs", f"sentence_vae_{name}")
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(f.precision)
    vocabulary = kgz.datasets.build_word_vocabulary(train, min_count=f.min_count)
    data = kgz.datasets.sentence_dataset(train, vocabulary, f.batch_size, seed=f.seed,
                                         max_length=f.max_length)
    valid = kgz.datasets.sentence_dataset(validation, vocabulary, f.batch_size, shuffle=False,
                                          max_length=f.max_length)
    test = [s for s in test if len(kgz.datasets.tokenize(s)) <= f.max_length]
    # Held-out words outside the training vocabulary are <unk> (counted here, once).
    test_unknown = kgz.datasets.encode_sentences(test, vocabulary)[1]
    warnings.simplefilter("ignore", kgz.datasets.words.UnknownWordWarning)

    runs = [("sentence_vae", True)] + ([("gru_language_model", False)] if f.baseline else [])
    results, models = {}, {}
    for label, use_latent in runs:
        model, record = train_one(f, name, vocabulary, data, valid, use_latent, out)
        record["test"] = rounded(model.evaluate_sentences(test, seed=f.seed))
        results[label], models[label] = record, model

    vae = models["sentence_vae"]
    pairs = [(test[2 * i], test[2 * i + 1]) for i in range(min(f.num_interpolations,
                                                                len(test) // 2))]
    originals = test[:f.num_samples]
    samples = {
        "greedy_from_prior": vae.generate(f.num_samples, seed=f.seed, greedy=True),
        f"sampled_t{f.temperature}": vae.generate(f.num_samples, seed=f.seed,
                                                  temperature=f.temperature),
        "reconstructions": [{"input": s, "output": r} for s, r in zip(
            originals, vae.reconstruct(originals))],
        "homotopies": [{"from": a, "to": b, "path": vae.interpolate(
            a, b, steps=f.interpolation_steps)} for a, b in pairs],
    }
    if f.baseline:
        samples[f"language_model_t{f.temperature}"] = models["gru_language_model"].generate(
            f.num_samples, seed=f.seed, temperature=f.temperature)

    table = ["| model | test NLL (KL) per sentence | nats / token | perplexity |",
             "| --- | ---: | ---: | ---: |"]
    for label, record in results.items():
        t = record["test"]
        table.append(f"| {label} | {t['nll']:.2f} ({t['kl']:.2f}) | {t['nll_per_token']:.3f} "
                     f"| {t['perplexity']:.2f} |")
    metrics = {
        "recipe": "sentence_vae_verse",
        "command": shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]]),
        "corpus": f.text_file or f"verse (seed {f.verse_seed})",
        "sentences": {"train": data.num_examples, "validation": valid.num_examples,
                      "test": len(test)},
        "train_skipped_longer_than_max_length": data.num_skipped,
        "test_unknown_tokens": sum(test_unknown.values()),
        "test_tokens": results["sentence_vae"]["test"]["tokens"],
        "vocabulary_size": len(vocabulary), "min_count": f.min_count, "dtype_policy": policy,
        "epochs": f.epochs, "batch_size": f.batch_size, "machine": publish.machine_description(),
        "runs": results, "table": table,
    }
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    kgz.utils.atomic_write_bytes(os.path.join(out, "samples.json"),
                                 json.dumps(samples, indent=2).encode())
    lines = ["# From the prior, greedy"] + samples["greedy_from_prior"]
    lines += ["", f"# From the prior, temperature {f.temperature}"]
    lines += samples[f"sampled_t{f.temperature}"]
    lines += ["", "# Reconstructions (input -> posterior mean, greedy)"]
    lines += [f"{r['input']}  ->  {r['output']}" for r in samples["reconstructions"]]
    for h in samples["homotopies"]:
        lines += ["", f"# Homotopy: {h['from']!r} -> {h['to']!r}"] + h["path"]
    kgz.utils.atomic_write_bytes(os.path.join(out, "samples.txt"),
                                 ("\n".join(lines) + "\n").encode())
    print("\n".join(table))
    print("\n".join(lines))


if __name__ == "__main__":
    app.run(main)
