"""The `keras-gan-zoo` command: list, train, sample, evaluate, export.

    keras-gan-zoo list
    keras-gan-zoo train dcgan --dataset fashion_mnist --epochs 5 --out runs/dcgan
    keras-gan-zoo sample runs/dcgan/model.keras --out grid.png
    keras-gan-zoo evaluate runs/dcgan/model.keras --dataset fashion_mnist --metrics fid,kid,is,pr
    keras-gan-zoo export runs/dcgan/model.keras runs/dcgan/generator

`train` shows Keras' progress bar, writes `OUT/model.keras` (atomically, with the
optimizer state) after every epoch and a sample grid into `OUT/samples/`. Run the
same command again with a larger `--epochs` and it resumes from the checkpoint;
`--restart` starts over instead.
"""

import argparse
import ast
import inspect
import json
import os
import sys


def _parse_override(text):
    """`key=value` with a Python literal value (`base_filters=32`, `image_shape=(64,64,3)`)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        value = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        pass  # a bare string such as loss=minimax
    return key.strip(), value


def _parser():
    parser = argparse.ArgumentParser(
        prog="keras-gan-zoo", description="Generative models for Keras 3 on TensorFlow."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="list models and datasets")
    listing.add_argument("pattern", nargs="?", default="*", help="shell pattern, e.g. '*gan'")
    listing.add_argument("--tiny", action="store_true", help="include *_tiny test variants")

    train = commands.add_parser("train", help="train a model with fit")
    train.add_argument("model", help="registered model name (see `keras-gan-zoo list`)")
    train.add_argument("--dataset", default="fashion_mnist", help="dataset name")
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"],
                       help="auto: fp16 on GPU, bf16 on a CPU with native bf16, else fp32")
    train.add_argument("--out", default=None, help="output directory (default runs/MODEL)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--limit", type=int, default=None, help="use the first N examples")
    train.add_argument("--steps-per-epoch", type=int, default=None)
    train.add_argument("--sample-every", type=int, default=1, help="epochs between grids")
    train.add_argument("--set", dest="overrides", action="append", type=_parse_override,
                       default=[], metavar="KEY=VALUE", help="model constructor override")
    train.add_argument("--restart", action="store_true",
                       help="ignore an existing checkpoint in --out and start over")
    train.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    train.add_argument("--text", default=None, metavar="FILE",
                       help="text file for character models (default: the python_docs corpus)")

    sample = commands.add_parser("sample", help="write a grid of samples from a checkpoint")
    sample.add_argument("checkpoint", help="a .keras file written by train or model.save, or "
                        "a pretrained name (see `keras-gan-zoo list`)")
    sample.add_argument("--out", default="samples.png")
    sample.add_argument("--num", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)

    evaluate = commands.add_parser("evaluate", help="FID / KID / IS / precision-recall of a checkpoint")
    evaluate.add_argument("checkpoint", help="a .keras file or a pretrained name")
    evaluate.add_argument("--dataset", default=None,
                          help="real data to compare with (default: a pretrained name's own "
                               "dataset, else fashion_mnist)")
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--metrics", default="fid,kid",
                          help="comma-separated: fid, kid, is, pr, modes")
    evaluate.add_argument("--num-samples", type=int, default=10000)
    evaluate.add_argument("--extractor", default=None,
                          help="feature extractor (default: the dataset's domain classifier)")
    evaluate.add_argument("--batch-size", type=int, default=256)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--json", default=None, help="also write the results to this file")

    export = commands.add_parser("export", help="export the generator as a TF SavedModel")
    export.add_argument("checkpoint", help="a .keras file or a pretrained name")
    export.add_argument("directory")
    return parser


def _load_checkpoint(path):
    """A `.keras` file, or the generator of a pretrained name (kgz.applications)."""
    import keras

    import keras_gan_zoo as kgz

    if os.path.isfile(path):
        return keras.models.load_model(path)
    if path in kgz.applications.list_pretrained():
        return kgz.applications.load_generator(path)
    raise SystemExit(f"keras-gan-zoo: no checkpoint at {path!r} and no pretrained model of that "
                     f"name (pretrained: {', '.join(kgz.applications.list_pretrained())})")


def cmd_list(args):
    import keras_gan_zoo as kgz

    print("models:")
    for name in kgz.list_models(args.pattern, include_tiny=args.tiny):
        cls = kgz.registry.model_class(name)
        summary = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"  {name:<16} {summary}")
    print("datasets:")
    for name in kgz.datasets.list_datasets():
        print(f"  {name:<16} {kgz.datasets.info(name)['description']}")
    print("pretrained (keras-gan-zoo sample NAME; FID of the dataset's domain classifier, "
          "or the test NLL of an autoregressive model):")
    for name in kgz.applications.list_pretrained(args.pattern):
        entry = kgz.applications.info(name)
        offline = "packaged" if entry["files"]["generator"]["packaged"] else "origin only"
        metrics = entry["metrics"]
        score = (f"FID {metrics['fid']:<8.2f}" if "fid" in metrics
                 else f"NLL {metrics['test_nll_nats']:.2f} nats")
        print(f"  {name:<22} {entry['architecture']:<8} {entry['dataset']:<14} "
              f"{score} {offline}")
    return 0


def cmd_train(args):
    import keras
    import numpy as np

    import keras_gan_zoo as kgz

    kgz.registry.model_class(args.model)  # fail fast on an unknown name
    if kgz.registry.model_family(args.model) == "sequence":
        return _train_sequence(args)
    kgz.datasets.info(args.dataset)
    out = args.out or os.path.join("runs", args.model)
    checkpoint = os.path.join(out, "model.keras")
    state = {} if args.restart else kgz.callbacks.TrainingCheckpoint.read_state(checkpoint)
    done = state.get("epochs", 0)
    if done:
        # A checkpoint resumes under the policy it was trained with: its optimizer
        # state (loss scaling or not) belongs to that policy.
        policy = kgz.precision.set_precision(state["dtype_policy"])
        if kgz.precision.resolve_precision(args.precision) != policy:
            print(f"Resuming under {policy}, the precision this checkpoint trained with.")
    else:
        policy = kgz.precision.set_precision(args.precision)
    if done:
        model = keras.models.load_model(checkpoint)
        print(f"Resuming {type(model).__name__} from {checkpoint} after epoch {done}.")
    else:
        info = kgz.datasets.info(args.dataset)
        overrides = dict(args.overrides)
        overrides.setdefault("image_shape", info["image_shape"])
        overrides.setdefault("seed", args.seed)
        cls = kgz.registry.model_class(args.model)
        if "num_classes" in inspect.signature(cls.__init__).parameters and info["num_classes"]:
            overrides.setdefault("num_classes", info["num_classes"])  # a conditional model
        model = kgz.create_model(args.model, **overrides)
        model.compile()
    conditional = getattr(model, "conditional", False)
    dataset = kgz.datasets.load(args.dataset, batch_size=args.batch_size, seed=args.seed,
                                limit=args.limit, with_labels=conditional)
    if done >= args.epochs:
        print(f"{checkpoint} already has {done} epochs; pass a larger --epochs to continue.")
        return 0

    print(f"Training {args.model} on {args.dataset} ({dataset.source}), "
          f"precision {policy}, epochs {done + 1}..{args.epochs} -> {out}")
    grid_kwargs = {}
    if conditional:  # one row per class
        grid_kwargs = {"generate_kwargs": {"labels": np.repeat(np.arange(model.num_classes),
                                                               model.num_classes)},
                       "num_samples": model.num_classes**2, "nrow": model.num_classes}
    callbacks = [
        kgz.callbacks.SampleGrid(os.path.join(out, "samples"), every=args.sample_every,
                                 seed=args.seed, **grid_kwargs),
        kgz.callbacks.TrainingCheckpoint(checkpoint),
    ]
    history = model.fit(dataset, epochs=args.epochs, initial_epoch=done,
                        steps_per_epoch=args.steps_per_epoch, callbacks=callbacks,
                        verbose=args.verbose)
    with open(os.path.join(out, "history.json"), "a", encoding="utf-8") as f:
        f.write(json.dumps({"epochs": history.epoch, **{
            k: [float(x) for x in v] for k, v in history.history.items()}}) + "\n")
    print(f"Checkpoint: {checkpoint}\nSamples:    {os.path.join(out, 'samples', 'latest.png')}")
    return 0


def _train_sequence(args):
    """Sequence models: text ones on --text (90% train / 10% held out), audio ones on an
    audio --dataset; each epoch writes a text (or WAV) sample instead of a grid."""
    import keras

    import keras_gan_zoo as kgz

    out = args.out or os.path.join("runs", args.model)
    checkpoint = os.path.join(out, "model.keras")
    state = {} if args.restart else kgz.callbacks.TrainingCheckpoint.read_state(checkpoint)
    done = state.get("epochs", 0)
    policy = kgz.precision.set_precision(state["dtype_policy"] if done else args.precision)
    overrides, text_model = dict(args.overrides), kgz.registry.model_class(args.model).input_kind
    if text_model == "tokens":
        text = kgz.datasets.load_text(args.text or "python_docs")[: args.limit]
        train, test = kgz.datasets.split_text(text, holdout=0.1)
        overrides.setdefault("vocabulary", kgz.datasets.build_vocabulary(text))
    else:
        if args.dataset not in kgz.datasets.list_datasets("audio"):
            raise ValueError(f"{args.model} trains on audio: pass --dataset with one of "
                             f"{kgz.datasets.list_datasets('audio')}; got {args.dataset!r}.")
        overrides.setdefault("sample_rate", kgz.datasets.info(args.dataset)["sample_rate"])
    model = (keras.models.load_model(checkpoint) if done
             else kgz.create_model(args.model, **overrides))
    if not done:
        model.compile()
    if text_model == "tokens":
        data = kgz.datasets.char_dataset(train, model.vocabulary, 100, args.batch_size,
                                         seed=args.seed)
        valid = kgz.datasets.char_dataset(test, model.vocabulary, 100, args.batch_size,
                                          shuffle=False, drop_remainder=False)
    else:
        data = kgz.datasets.load_audio(args.dataset, batch_size=args.batch_size,
                                       sample_rate=model.sample_rate, seed=args.seed,
                                       limit=args.limit, with_labels=model.conditional)
        valid = None
    if done >= args.epochs:
        print(f"{checkpoint} already has {done} epochs; pass a larger --epochs to continue.")
        return 0
    samples = os.path.join(out, "samples")

    def write_sample(epoch, logs=None):
        os.makedirs(samples, exist_ok=True)
        for name in (f"epoch_{epoch + 1:04d}", "latest"):
            if text_model == "tokens":
                kgz.utils.atomic_write_bytes(os.path.join(samples, name + ".txt"),
                                             model.generate(500, seed=args.seed).encode())
            else:
                labels = 0 if model.conditional else None
                model.write_wav(os.path.join(samples, name + ".wav"), model.generate(
                    1, length=model.sample_rate, seed=args.seed, labels=labels)[0])

    print(f"Training {args.model} ({policy}), epochs {done + 1}..{args.epochs} -> {out}")
    history = model.fit(data, epochs=args.epochs, initial_epoch=done, validation_data=valid,
                        steps_per_epoch=args.steps_per_epoch, verbose=args.verbose, callbacks=[
                            keras.callbacks.LambdaCallback(on_epoch_end=write_sample),
                            kgz.callbacks.TrainingCheckpoint(checkpoint)])
    with open(os.path.join(out, "history.json"), "a", encoding="utf-8") as f:
        f.write(json.dumps({"epochs": history.epoch, **{
            k: [float(x) for x in v] for k, v in history.history.items()}}) + "\n")
    if text_model == "tokens":
        print(f"Held-out bits per char: {model.evaluate_text(test)['bits_per_char']:.4f}")
    print(f"Checkpoint: {checkpoint}\nSamples:    {samples}")
    return 0


def cmd_sample(args):
    import numpy as np

    from keras_gan_zoo.utils.images import save_grid

    model = _load_checkpoint(args.checkpoint)
    if getattr(model, "conditional", False):  # one column per class
        images = model.generate(args.num, seed=args.seed,
                                labels=np.arange(args.num) % model.num_classes)
        path = save_grid(images, args.out, nrow=model.num_classes)
    else:
        path = save_grid(model.generate(args.num, seed=args.seed), args.out)
    print(path)
    return 0


def cmd_evaluate(args):
    import keras_gan_zoo as kgz

    names = [name.strip() for name in args.metrics.split(",") if name.strip()]
    if args.dataset is None:
        pretrained = args.checkpoint in kgz.applications.list_pretrained()
        args.dataset = (kgz.applications.info(args.checkpoint)["dataset"] if pretrained
                        else "fashion_mnist")
    extractor = args.extractor or kgz.metrics.default_extractor(args.dataset)
    model = _load_checkpoint(args.checkpoint)
    source = model
    if getattr(model, "conditional", False):  # labels cycling over the classes
        source = kgz.applications.publish.conditional_source(model)
    real = kgz.metrics.real_statistics(args.dataset, args.split, extractor, args.num_samples,
                                       args.seed)
    results = kgz.metrics.evaluate(source, real, metrics=names, extractor=extractor,
                                   num_samples=args.num_samples, batch_size=args.batch_size,
                                   seed=args.seed)
    print(f"{args.checkpoint}: {args.num_samples} samples vs {args.dataset}/{args.split}, "
          f"extractor {extractor}")
    print(f"| {'metric':<16} | {'value':>12} |")
    print(f"|{'-' * 18}|{'-' * 14}|")
    for name, value in results.items():
        print(f"| {name:<16} | {value:>12.5g} |")
    if args.json:
        report = {"checkpoint": args.checkpoint, "dataset": args.dataset, "split": args.split,
                  "extractor": str(extractor), "num_samples": args.num_samples,
                  "seed": args.seed, "metrics": results}
        kgz.utils.atomic_write_bytes(args.json, json.dumps(report, indent=2).encode())
    return 0


def cmd_export(args):
    model = _load_checkpoint(args.checkpoint)
    print(model.export_generator(args.directory))
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    commands = {"list": cmd_list, "train": cmd_train, "sample": cmd_sample,
                "evaluate": cmd_evaluate, "export": cmd_export}
    try:
        return commands[args.command](args)
    except (ValueError, TypeError, RuntimeError) as error:
        if os.environ.get("KERAS_GAN_ZOO_DEBUG"):
            raise
        print(f"keras-gan-zoo {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
