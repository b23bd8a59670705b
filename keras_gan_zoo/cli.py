"""The `keras-gan-zoo` command: list, train, sample, translate, evaluate, export, serve.

    keras-gan-zoo list
    keras-gan-zoo train dcgan --dataset fashion_mnist --epochs 5 --out runs/dcgan
    keras-gan-zoo train stylegan --dataset fashion_mnist_32 --set base_filters=512
    keras-gan-zoo train pix2pix --dataset fashion_mnist_edges --epochs 5 --out runs/pix2pix
    keras-gan-zoo train srgan --dataset fashion_mnist_sr --scale 4 --out runs/srgan
    keras-gan-zoo sample runs/dcgan/model.keras --out grid.png
    keras-gan-zoo translate runs/pix2pix/model.keras --input edges/ --out translated/ --grid
    keras-gan-zoo evaluate runs/dcgan/model.keras --dataset fashion_mnist --metrics fid,kid,is,pr
    keras-gan-zoo export runs/dcgan/model.keras runs/dcgan/generator
    keras-gan-zoo export dcgan_fashion_mnist exports/ --format tflite --quantize int8
    keras-gan-zoo launch --workers 2 -- train dcgan --epochs 1 --out runs/dcgan_2w
    keras-gan-zoo serve --port 8000 --models dcgan_fashion_mnist pixelcnn_mnist

`train` shows Keras' progress bar, writes `OUT/model.keras` (atomically, with the
optimizer state) after every epoch and a sample grid into `OUT/samples/`. Run the
same command again with a larger `--epochs` and it resumes from the checkpoint;
`--restart` starts over instead. A translator trains on a translation dataset
(`keras-gan-zoo list`); its grid shows input | output | target of the first 8 test
examples (both directions of a two-domain model).

`train` honours `TF_CONFIG`: as one worker of a multi-worker cluster it trains under
`MultiWorkerMirroredStrategy`, `--batch-size` per worker, and only the chief writes
`OUT` (docs/distributed.md). `launch` runs such a cluster as local processes.

`translate` runs a translator (pix2pix, CycleGAN, ...) on one PNG/JPEG or on every image
under a folder and writes one PNG per input, under the same relative name, into `--out`.
"""

import argparse
import ast
import inspect
import json
import os
import sys


#: The file `translate --grid` writes into --out, and how many input | output pairs it shows.
GRID_NAME = "grid.png"
GRID_MAX_PAIRS = 64
#: The first test examples a translator's training grid shows (`train`).
GRID_EXAMPLES = 8


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
    from keras_gan_zoo import launcher

    parser = argparse.ArgumentParser(
        prog="keras-gan-zoo", description="Generative models for Keras 3 on TensorFlow."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="list models and datasets")
    listing.add_argument("pattern", nargs="?", default="*", help="shell pattern, e.g. '*gan'")
    listing.add_argument("--tiny", action="store_true", help="include *_tiny test variants")

    train = commands.add_parser(
        "train", help="train a model with fit",
        description="Trains a registered model with fit on a named dataset, writing "
                    "OUT/model.keras after every epoch (run again with a larger --epochs to "
                    "resume) and a grid into OUT/samples/. A translator (pix2pix, cyclegan, "
                    "discogan, bicyclegan, srresnet, srgan) trains on a translation dataset "
                    "(see `keras-gan-zoo list`) and is built for its images: image_shape "
                    "from the source images (the low-resolution ones for super-resolution, "
                    "with the dataset's --scale) and domain_names from the dataset. "
                    "gan_cls trains on captioned images (fashion_mnist_captions), video_gan "
                    "on moving_mnist (new sequences each epoch), recycle_gan on "
                    "moving_mnist_to_fashion, sentence_vae on --text FILE or the verse "
                    "corpus.",
        epilog="srgan's content loss uses VGG19 by default (the paper's), whose ImageNet "
               "weights Keras downloads on first use; they cannot be downloaded offline. "
               "On a Fashion-MNIST dataset train uses content_network='fashion_mnist' (the "
               "shipped domain classifier) unless you pass --set content_network=vgg19 "
               "(or 'mnist', or None for a pixel loss).")
    train.add_argument("model", help="registered model name (see `keras-gan-zoo list`)")
    train.add_argument("--dataset", default=None,
                       help="dataset name (default fashion_mnist; fashion_mnist_32, padded "
                            "to 32x32, for progan / stylegan / stylegan2; for a translator "
                            "the Fashion-MNIST translation dataset of its kind: "
                            "fashion_mnist_edges, fashion_mnist_sneaker_boot or "
                            "fashion_mnist_sr)")
    train.add_argument("--scale", type=int, default=None,
                       help="super-resolution datasets (fashion_mnist_sr, skimage_photos_sr): "
                            "the upscaling factor, 2 or 4 (default: --set scale=..., else 4)")
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
    train.add_argument("--backup-every", type=int, default=0, metavar="STEPS",
                       help="also back up the whole training state every STEPS steps into "
                            "OUT/backup/ (0, the default: only the checkpoint after each "
                            "epoch); a run killed mid-epoch resumes from it exactly with the "
                            "same command (docs/distributed.md, Fault tolerance)")
    train.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    train.add_argument("--text", default=None, metavar="FILE",
                       help="text file for character models (default: the python_docs "
                            "corpus) and sentence models, one sentence per line (default: "
                            "the generated verse corpus)")

    sample = commands.add_parser("sample", help="write a grid of samples from a checkpoint")
    sample.add_argument("checkpoint", help="a .keras file written by train or model.save, or "
                        "a pretrained name (see `keras-gan-zoo list`)")
    sample.add_argument("--out", default=None,
                        help="the grid's PNG (default samples.png); for a sentence model a "
                             ".txt file that receives the sentences (default: printed only)")
    sample.add_argument("--num", type=int, default=64)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--caption", action="append", metavar="TEXT",
                        help="a text-to-image model (gan_cls): a caption to draw, e.g. "
                             "'ankle boot'; repeat it for several (one grid row per caption, "
                             "--num images in all)")
    sample.add_argument("--temperature", type=float, default=None,
                        help="a sentence model: sample each word at this temperature "
                             "(default: greedy decoding of each z)")

    interpolate = commands.add_parser(
        "interpolate", help="a sentence VAE's homotopy between two sentences",
        description="Decodes (greedily) evenly spaced points on the line between the "
                    "posterior means of two sentences (Bowman et al. 2015), ends included.")
    interpolate.add_argument("checkpoint", help="a .keras file or a pretrained name of a "
                             "sentence VAE (see `keras-gan-zoo list`)")
    interpolate.add_argument("--between", nargs=2, required=True, metavar=("FIRST", "SECOND"),
                             help="the two sentences")
    interpolate.add_argument("--steps", type=int, default=7, help="sentences on the path")

    predict = commands.add_parser(
        "predict", help="predict the next frames of videos with a next-frame model (video_gan)",
        description="Takes the first k frames (k = the model's context_frames) of each test "
                    "sequence of --dataset, or of the videos in --input, predicts --future "
                    "frames auto-regressively, writes a figure (per sequence one row of "
                    "context + truth and one of context + prediction) and prints PSNR / "
                    "SSIM per future step against the copy-last-frame baseline.")
    predict.add_argument("checkpoint", help="a .keras file or a pretrained name of a "
                         "next-frame model (see `keras-gan-zoo list`)")
    predict.add_argument("--future", type=int, default=5, help="frames to predict")
    predict.add_argument("--out", default="prediction.png", help="the figure (PNG)")
    predict.add_argument("--dataset", default="moving_mnist",
                         help="a video dataset whose test split supplies the sequences")
    predict.add_argument("--input", default=None, metavar="NPY",
                         help="a .npy of videos (N, T, H, W, C) or one video (T, H, W, C), "
                              "floats in [-1, 1] or uint8, T >= k (the truth is shown and "
                              "scored when T >= k + --future)")
    predict.add_argument("--num", type=int, default=4, help="test sequences (without --input)")
    predict.add_argument("--seed", type=int, default=0, help="which test sequences")

    translate = commands.add_parser(
        "translate", help="translate images with a translator (pix2pix, CycleGAN, ...)",
        description="Translates one image or every image under a folder (PNG/JPEG, searched "
                    "recursively) and writes one PNG per input, under the same relative name "
                    "(extension .png), into --out. Images are read as grayscale or RGB to "
                    "match the model; an image of another size is an error unless --resize.")
    translate.add_argument("checkpoint", help="a .keras file or a pretrained name of a "
                           "translator (see `keras-gan-zoo list`)")
    translate.add_argument("--input", required=True, metavar="DIR_OR_IMAGE",
                           help="a PNG/JPEG file or a folder of them")
    translate.add_argument("--out", required=True, metavar="DIR", help="output folder")
    translate.add_argument("--direction", default="a_to_b", choices=["a_to_b", "b_to_a"],
                           help="a_to_b (default) or, for two-domain models such as CycleGAN, "
                                "b_to_a")
    translate.add_argument("--batch-size", type=int, default=64, help="images per forward pass")
    translate.add_argument("--resize", action="store_true",
                           help="resize images of another size to the model's input size "
                                "(bicubic, aspect ratio not kept) instead of stopping")
    translate.add_argument("--grid", action="store_true",
                           help=f"also write OUT/{GRID_NAME}: input | output pairs of the "
                                f"first {GRID_MAX_PAIRS} images")

    evaluate = commands.add_parser("evaluate", help="FID / KID / IS / precision-recall of a checkpoint")
    evaluate.add_argument("checkpoint", help="a .keras file or a pretrained name")
    evaluate.add_argument("--dataset", default=None,
                          help="real data to compare with (default: a pretrained name's own "
                               "dataset, else fashion_mnist, or fashion_mnist_32 for a "
                               "model of 32x32x1 images)")
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--metrics", default="fid,kid",
                          help="comma-separated: fid, kid, is, pr, modes")
    evaluate.add_argument("--num-samples", type=int, default=10000)
    evaluate.add_argument("--extractor", default=None,
                          help="feature extractor (default: the dataset's domain classifier; "
                               "a padded dataset such as fashion_mnist_32 is measured on its "
                               "unpadded center)")
    evaluate.add_argument("--batch-size", type=int, default=256)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--json", default=None, help="also write the results to this file")

    export = commands.add_parser(
        "export", help="export the generator: TF SavedModel, TFLite or ONNX",
        description="Writes the generator's serving endpoints (serve(z), serve(z, labels), "
                    "a translator's serve(images), ...) as a TF SavedModel directory, a "
                    ".tflite file or .onnx file(s) with the same inputs and outputs "
                    "(docs/exports.md). TFLite / ONNX need `pip install "
                    "'keras-gan-zoo[export]'`.")
    export.add_argument("checkpoint", help="a .keras file or a pretrained name")
    export.add_argument("directory",
                        help="the SavedModel directory; for tflite / onnx a directory that "
                             "receives generator[.QUANTIZE].tflite|onnx, or a file path "
                             "ending in .tflite / .onnx")
    export.add_argument("--format", default="saved_model",
                        choices=["saved_model", "tflite", "onnx"])
    export.add_argument("--quantize", default=None, choices=["float16", "int8"],
                        help="tflite / onnx: float16 weights, or dynamic-range int8")

    serve = commands.add_parser(
        "serve", help="a local web app over the pretrained models (and its JSON API)",
        description="Starts a web app on HOST:PORT: sample with a seed, walk the latent "
                    "space, condition on classes / captions / codes, complete images with "
                    "the PixelCNNs, translate sketches with pix2pix; the page uses the JSON "
                    "API beside it (GET /api/models, POST /api/generate, /api/complete, "
                    "/api/translate; docs/app.md). Needs `pip install "
                    "'keras-gan-zoo[serve]'`.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="interface to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--models", nargs="+", default=None, metavar="NAME",
                       help="pretrained names or shell patterns to serve (default: all of "
                            "`keras-gan-zoo list`'s pretrained models); each loads on first use")
    serve.add_argument("--max-n", type=int, default=64,
                       help="images per request (a PixelCNN's cap is --max-n-pixelcnn)")
    serve.add_argument("--max-n-pixelcnn", type=int, default=8,
                       help="images per request of a PixelCNN (it samples pixel by pixel)")

    launch = commands.add_parser(
        "launch", help="run `train` as N local workers of one multi-worker job",
        usage="keras-gan-zoo launch --workers N [--port P] [--timeout S] -- train MODEL ...",
        description="Starts N processes of `keras-gan-zoo train ...` on this machine, each "
                    "with a TF_CONFIG naming all N workers on 127.0.0.1, streams their "
                    "output prefixed by [worker i] and waits. If a worker fails, the launch "
                    "times out or is interrupted, all workers are stopped. The chief "
                    "(worker 0) writes OUT; --batch-size is per worker. On a real cluster "
                    "set TF_CONFIG on each machine instead (docs/distributed.md).")
    launch.add_argument("--workers", type=int, required=True, metavar="N",
                        help="number of worker processes")
    launch.add_argument("--port", type=int, default=None, metavar="P",
                        help="listen on ports P..P+N-1 (default: free ports)")
    launch.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help=f"stop the workers and exit {launcher.TIMEOUT_STATUS} after "
                             "this long")
    launch.add_argument("worker_command", nargs=argparse.REMAINDER, metavar="-- train ...",
                        help="the train command every worker runs")
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
    translation = kgz.datasets.list_datasets("translation")
    takes = {}
    for name in _translator_names():
        takes.setdefault(_translator_pairings(kgz.registry.model_class(name))[0], []).append(name)
    print("translation datasets (keras-gan-zoo train TRANSLATOR --dataset NAME; "
          + "; ".join(f"{pairing.replace('_', '-')}: {', '.join(names)}"
                      for pairing, names in takes.items()) + "):")
    width = max(len(name) for name in translation)
    for name in translation:
        info = kgz.datasets.info(name)
        domains = " -> ".join(info["domain_names"])
        print(f"  {name:<{width}} {domains:<22} {info['description']}")
    for kind, use in (("video", "(B, T, H, W, 1) videos, or (a, b) pairs of them"),
                      ("captions", "(images, captions) for text-to-image models")):
        names = kgz.datasets.list_datasets(kind)
        print(f"{kind} datasets (kgz.datasets.load(NAME): {use}; no model trains on them "
              "from the CLI yet):")
        for name in names:
            print(f"  {name:<{width}} {kgz.datasets.info(name)['description']}")
    print("pretrained (keras-gan-zoo sample NAME, or translate NAME for a translator; FID of "
          "the dataset's domain classifier, or the test NLL of an autoregressive model):")
    for name in kgz.applications.list_pretrained(args.pattern):
        entry = kgz.applications.info(name)
        offline = "packaged" if entry["files"]["generator"]["packaged"] else "origin only"
        domains = ""
        if kgz.registry.model_family(entry["architecture"]) == "translation":
            a, b = entry["config"].get("domain_names") or ("a", "b")
            two_way = "b_to_a" in kgz.registry.model_class(entry["architecture"]).directions
            domains = f" translates {a} {'<->' if two_way else '->'} {b}"
        print(f"  {name:<22} {entry['architecture']:<8} {entry['dataset']:<14} "
              f"{_score(entry['metrics'])} {offline}{domains}")
    return 0


def _score(metrics):
    """The headline number of a pretrained record's metrics, for `list`: the FID (both
    directions' for a two-domain translator), an autoregressive model's test NLL, a
    next-frame model's PSNR at the first predicted step, a video retargeting model's
    foreground-mask IoU with the paired truth, or a translator's PSNR / L1 to the ground
    truth."""
    if "fid" in metrics:
        return f"FID {metrics['fid']:<8.2f}"
    if "test_nll_nats" in metrics:
        return f"NLL {metrics['test_nll_nats']:.2f} nats"
    if "psnr_step1" in metrics:
        return f"PSNR {metrics['psnr_step1']:.2f} dB (next frame)"
    if "mask_iou" in metrics:
        return f"mask IoU {metrics['mask_iou']:.3f} (retargeting)"
    per_direction = []
    for direction in ("a_to_b", "b_to_a"):
        nested = metrics.get(direction)
        value = nested.get("fid") if isinstance(nested, dict) else metrics.get(f"fid_{direction}")
        if value is not None:
            per_direction.append(f"{direction} {value:.2f}")
    if per_direction:
        return "FID " + ", ".join(per_direction)
    for key, text in (("psnr", "PSNR {:.2f} dB"), ("l1", "L1 {:.4f}")):
        if key in metrics:
            return text.format(metrics[key])
    return "(not measured)"


def cmd_train(args):
    """`train` in one process, or as one worker of the cluster `TF_CONFIG` names: the
    model and its optimizers built in the strategy's scope, `--batch-size` per worker,
    files written by the chief only (the other workers write into temporary
    directories that they delete)."""
    from keras_gan_zoo import distribute

    strategy = distribute.strategy_from_environment()  # before any other TensorFlow op
    args.out = args.out or os.path.join("runs", args.model)
    workers = distribute.num_workers()
    with strategy.scope(), distribute.worker_output_dir(args.out) as outputs:
        if workers > 1:
            per_worker, args.batch_size = args.batch_size, distribute.global_batch_size(
                args.batch_size)
            chief = distribute.is_chief()
            if not chief:
                args.verbose = 0  # one progress bar, the chief's
            print(f"Worker {distribute.worker_index()} of {workers}, "
                  + (f"the chief: writes {args.out}" if chief else
                     f"writes into {outputs} (deleted at the end)")
                  + f"; global batch {args.batch_size} = {per_worker} per worker x {workers}.")
        args.outputs = outputs
        return _train(args)


def _written(args, *names):
    """A path this process writes: under OUT on the chief (or alone), under its
    temporary directory on another worker."""
    return os.path.join(args.outputs, *names)


def _train(args):
    """Dispatches by family; trains the models of images from noise itself."""
    import numpy as np

    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute

    cls = kgz.registry.model_class(args.model)  # fail fast on an unknown name
    family = kgz.registry.model_family(args.model)
    if family == "sequence":
        return _train_sentences(args) if hasattr(cls, "evaluate_sentences") \
            else _train_sequence(args)
    if _trains_on_video(cls):
        return _train_video(args)
    if family == "translation":
        return _train_translator(args)
    text = getattr(cls, "condition_kind", None) == "text"  # GAN-CLS: (images, captions)
    kind = "captions" if text else "image"
    if args.dataset is None:
        args.dataset = "fashion_mnist_captions" if text else "fashion_mnist"
    if kgz.datasets.info(args.dataset)["kind"] != kind:
        got = kgz.datasets.info(args.dataset)["kind"]
        need = "captioned images (image, caption string)" if text else "images"
        raise ValueError(
            f"{args.model} trains on {need}; {args.dataset!r} is a {got} dataset"
            + (f" (pairs of images) for the translators ({', '.join(_translator_names())})"
               if got == "translation" else "")
            + f". Pass --dataset with one of {', '.join(kgz.datasets.list_datasets(kind))}.")
    _refuse_scale(args)
    out, checkpoint, done, policy = _resume_state(args)
    if args.resume_from:
        model = _load_resumed(args, done, cls)
    else:
        info = kgz.datasets.info(args.dataset)
        overrides = dict(args.overrides)
        overrides.setdefault("image_shape", info["image_shape"])
        overrides.setdefault("seed", args.seed)
        cls = kgz.registry.model_class(args.model)
        if "num_classes" in inspect.signature(cls.__init__).parameters and info["num_classes"]:
            overrides.setdefault("num_classes", info["num_classes"])  # a conditional model
        try:
            model = kgz.create_model(args.model, **overrides)
        except ValueError as error:
            padded = _padded_datasets(args.dataset)
            if "image_shape" not in str(error) or "image_shape" in dict(args.overrides) \
                    or not padded:
                raise
            raise ValueError(f"{error} With this command: --dataset {padded[0]} (the same "
                             "images padded with their background; FID and the other "
                             "metrics are measured on the unpadded center).") from None
        model.compile()
    conditional = getattr(model, "conditional", False)

    def load_dataset(start_epoch):
        return kgz.datasets.load(args.dataset, batch_size=args.batch_size, seed=args.seed,
                                 limit=args.limit, with_labels=conditional,
                                 start_epoch=start_epoch)

    dataset = load_dataset(done)
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
    elif text:  # one row per class name, the shortest caption of each class
        from keras_gan_zoo.datasets.captions import CLASS_CAPTION_NAMES

        captions = [name for name in CLASS_CAPTION_NAMES for _ in range(GRID_EXAMPLES)]
        grid_kwargs = {"generate_kwargs": {"captions": captions},
                       "num_samples": len(captions), "nrow": GRID_EXAMPLES}
    callbacks = [
        kgz.callbacks.SampleGrid(_written(args, "samples"), every=args.sample_every,
                                 seed=args.seed, **grid_kwargs),
        kgz.callbacks.TrainingCheckpoint(_written(args, "model.keras")),
    ]
    history = _fit(args, model, dataset, load_dataset, done, callbacks)
    _append_history(args.outputs, history)
    if distribute.is_chief():
        print(f"Checkpoint: {checkpoint}\n"
              f"Samples:    {os.path.join(out, 'samples', 'latest.png')}")
    return 0


def _refuse_scale(args):
    """A ValueError if --scale is given to a model that is not a super-resolution one."""
    if args.scale is not None:
        raise ValueError(f"--scale is the factor of a super-resolution dataset for srresnet / "
                         f"srgan; {args.model} does not take it.")


def _padded_datasets(name):
    """The image datasets made by padding the images of dataset `name`
    (`fashion_mnist` -> `["fashion_mnist_32"]`)."""
    import keras_gan_zoo as kgz

    return [other for other in kgz.datasets.list_datasets()
            if kgz.datasets.info(other)["base"] == name and kgz.datasets.info(other)["padding"]]


def _resume_state(args):
    """`(out, checkpoint path, finished epochs, dtype policy)` of a `train` run: the
    policy set globally, the checkpoint's own when resuming.

    Resumes from the epoch checkpoint `OUT/model.keras`, or from the backup in
    `OUT/backup/` (`--backup-every`) when that is further on. Sets `args.resume_from`
    (the file to load; None: a fresh model), `args.resume_step` (steps already done
    in epoch `finished epochs`, > 0 for a backup taken mid-epoch) and
    `args.resume_state` (the JSON state of that file)."""
    import keras

    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute
    from keras_gan_zoo.callbacks import backup

    out = args.out or os.path.join("runs", args.model)
    checkpoint = os.path.join(out, "model.keras")
    backups = os.path.join(out, "backup")
    if args.backup_every < 0:
        raise ValueError(f"--backup-every must be >= 0 steps (0: off); got {args.backup_every}.")
    if args.restart and distribute.is_chief():
        backup.discard_backup(backups)
    state = {} if args.restart else kgz.callbacks.TrainingCheckpoint.read_state(checkpoint)
    done, step = state.get("epochs", 0), 0
    args.resume_from = checkpoint if done else None
    saved = {} if args.restart else backup.read_backup(backups)
    if saved and saved["global_step"] > done * saved["steps_per_epoch"]:
        state, done, step, args.resume_from = (saved, saved["epoch"], saved["step_in_epoch"],
                                               saved["path"])
    args.resume_step, args.resume_state = step, state
    if args.resume_from:
        # A checkpoint resumes under the policy it was trained with: its optimizer
        # state (loss scaling or not) belongs to that policy.
        policy = kgz.precision.set_precision(state["dtype_policy"])
        if kgz.precision.resolve_precision(args.precision) != policy:
            print(f"Resuming under {policy}, the precision this checkpoint trained with.")
    else:
        policy = kgz.precision.set_precision(args.precision)
        # --seed also fixes the initial weights: the same command trains the same model
        # (and an interrupted run can be checked against an uninterrupted one).
        keras.utils.set_random_seed(args.seed)
    _check_workers_start_alike(done, policy, checkpoint, step)
    return out, checkpoint, done, policy


def _load_resumed(args, done, cls=None):
    """The model of `args.resume_from` with its random generators' states; a ValueError
    unless it is a `cls` (when given)."""
    import keras

    from keras_gan_zoo.callbacks import backup

    model = keras.models.load_model(args.resume_from)
    if cls is not None and not isinstance(model, cls):
        raise ValueError(f"{args.resume_from} is a checkpoint of {type(model).__name__}, not "
                         f"of {cls.__name__} ({args.model}); pass another --out, or --restart "
                         "to replace it.")
    backup.restore_rng_state(model, args.resume_state.get("seed_generators"))
    where = (f"at step {args.resume_step} of epoch {done + 1}" if args.resume_step
             else f"after epoch {done}")
    print(f"Resuming {type(model).__name__} from {args.resume_from} {where}.")
    return model


def _fit(args, model, dataset, load_dataset, done, callbacks, **fit_kwargs):
    """`model.fit` from where `_resume_state` left off, on the epoch-indexed stream
    `load_dataset(start_epoch)` (`dataset` is `load_dataset(done)`): the rest of epoch
    `done` first when resuming mid-epoch (a fit of its remaining steps, the metric
    trackers restored), then epochs `done + 1 ..`, so every step trains on the batch
    an uninterrupted run would and the epoch callbacks fire at the same epochs.
    Adds a `TrainingBackup` with `--backup-every`; removes the backup when training
    ends. Returns the history of all the epochs trained."""
    import types

    import keras

    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute
    from keras_gan_zoo.callbacks import backup

    per_epoch = dataset.batches_per_epoch
    steps = args.steps_per_epoch or per_epoch
    if not per_epoch or not steps:
        raise ValueError(f"The length of an epoch of {args.dataset!r} is unknown; pass "
                         "--steps-per-epoch.")
    step = args.resume_step
    fingerprint = {"model": args.model, "dataset": args.dataset, "text": args.text,
                   "limit": args.limit, "seed": args.seed, "batch_size": args.batch_size,
                   "steps_per_epoch": steps, "scale": args.scale}
    saved = args.resume_state.get("fingerprint")
    if step and saved != fingerprint:
        differ = ", ".join(f"{key} {saved.get(key)!r} then, {value!r} now"
                           for key, value in fingerprint.items() if saved.get(key) != value)
        raise ValueError(f"{args.resume_from} was backed up mid-epoch by a run with other "
                         f"options ({differ}); resume it with the same options, or pass "
                         "--restart.")
    first = done * steps + step  # the global step training resumes at
    start, skip = divmod(first, per_epoch)
    if start != done:
        dataset = load_dataset(start)
    callbacks = list(callbacks)
    if step:
        restore = {"metrics": args.resume_state.get("metrics")}

        def restore_metrics(epoch, logs=None):  # after fit's reset: the epoch's sums so far
            backup.restore_metric_state(model, restore.pop("metrics", None))

        callbacks.insert(0, keras.callbacks.LambdaCallback(on_epoch_begin=restore_metrics))
    if args.backup_every:
        callbacks.append(kgz.callbacks.TrainingBackup(
            _written(args, "backup"), args.backup_every, steps, initial_step=first,
            fingerprint=fingerprint))
    fits, kwargs = [], dict(callbacks=callbacks, verbose=args.verbose, **fit_kwargs)
    if step:
        fits.append(model.fit(distribute.shard_by_data(dataset.skip(skip)), initial_epoch=done,
                              epochs=done + 1, steps_per_epoch=steps - step, **kwargs))
        skip, done = skip + steps - step, done + 1
    if done < args.epochs:
        fits.append(model.fit(distribute.shard_by_data(dataset.skip(skip) if skip else dataset),
                              initial_epoch=done, epochs=args.epochs, steps_per_epoch=steps,
                              **kwargs))
    backup.discard_backup(_written(args, "backup"))
    return types.SimpleNamespace(
        epoch=[epoch for fit in fits for epoch in fit.epoch],
        history={key: [value for fit in fits for value in fit.history.get(key, [])]
                 for key in fits[-1].history})


def _check_workers_start_alike(done, policy, checkpoint, step=0):
    """Under a multi-worker strategy, a ValueError unless every worker resumes at the
    same step of the same epoch under the same precision policy (a collective: all
    workers call it). Workers that disagree would build different graphs and wait for
    each other in their first all-reduce for ever."""
    import tensorflow as tf

    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute

    policies = sorted(kgz.precision.PRECISIONS.values())
    code = policies.index(policy) if policy in policies else len(policies)
    starts = distribute.gather_from_workers(tf.distribute.get_strategy(), [done, step, code])
    if len({tuple(start) for start in starts}) > 1:
        seen = "; ".join(
            f"replica {i}: after epoch {epochs}"
            + (f" and {steps} steps" if steps else "") + ", "
            + f"{policies[code] if code < len(policies) else 'another policy'}"
            for i, (epochs, steps, code) in enumerate(starts))
        raise ValueError(f"the workers do not start alike ({seen}). Every worker must read "
                         f"the same {checkpoint} (and backup/) (put --out on storage all "
                         "workers share, or "
                         "pass --restart) and train under the same --precision.")


def _append_history(out, history):
    with open(os.path.join(out, "history.json"), "a", encoding="utf-8") as f:
        f.write(json.dumps({"epochs": history.epoch, **{
            k: [float(x) for x in v] for k, v in history.history.items()}}) + "\n")


#: What each kind of translator trains on, and the Fashion-MNIST dataset of that kind that
#: `train` uses without --dataset.
_PAIRINGS = {"paired": "aligned (source, target) pairs",
             "unpaired": "unaligned images of two domains",
             "super_resolution": "(low-resolution, high-resolution) pairs"}
_DEFAULT_TRANSLATION_DATASETS = {"paired": "fashion_mnist_edges",
                                 "unpaired": "fashion_mnist_sneaker_boot",
                                 "super_resolution": "fashion_mnist_sr"}


def _translator_names():
    import keras_gan_zoo as kgz

    return [name for name in kgz.list_models()
            if kgz.registry.model_family(name) == "translation"]


def _translator_pairings(cls):
    """The dataset pairings a translator class trains on, the first its own: a
    super-resolution model (it takes `scale`) on (low, high) pairs, an unpaired
    two-domain model (CycleGAN, DiscoGAN) on unaligned or aligned images of two domains
    (the alignment unused), a paired one (pix2pix, BiCycleGAN) on aligned pairs."""
    from keras_gan_zoo.models.translation import UnpairedTranslationModel

    if "scale" in inspect.signature(cls.__init__).parameters:
        return ("super_resolution",)
    if issubclass(cls, UnpairedTranslationModel):
        return ("unpaired", "paired")
    return ("paired",)


def _check_translation_dataset(model_name, dataset, pairings):
    """A ValueError naming the suitable datasets unless `dataset` is a translation
    dataset of one of `pairings`."""
    import keras_gan_zoo as kgz

    info = kgz.datasets.info(dataset)
    if info["kind"] == "translation" and info["pairing"] in pairings:
        return info
    pairing = {name: kgz.datasets.info(name)["pairing"]
               for name in kgz.datasets.list_datasets("translation")}
    suitable = sorted((name for name in pairing if pairing[name] in pairings),
                      key=lambda name: (pairings.index(pairing[name]), name))
    what = ({"paired": "a paired", "unpaired": "an unpaired",
             "super_resolution": "a super-resolution"}.get(info["pairing"], "a")
            + " translation dataset" if info["kind"] == "translation" else
            {"image": "an image dataset", "audio": "an audio dataset",
             "text": "a text corpus"}.get(info["kind"], f"a {info['kind']} dataset"))
    raise ValueError(
        f"{model_name} is a translator that trains on {_PAIRINGS[pairings[0]]}; "
        f"{dataset!r} is {what}. Pass --dataset with one of: {', '.join(suitable)}.")


def _train_translator(args):
    """Translators: on a translation dataset of their kind, the model built for its
    images, a TranslationGrid of the first 8 test examples every --sample-every epochs."""
    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute
    from keras_gan_zoo.metrics.translation import translation_test_data

    cls = kgz.registry.model_class(args.model)
    pairings = _translator_pairings(cls)
    if args.dataset is None:
        args.dataset = _DEFAULT_TRANSLATION_DATASETS[pairings[0]]
    info = _check_translation_dataset(args.model, args.dataset, pairings)
    overrides = dict(args.overrides)
    super_resolution = info["pairing"] == "super_resolution"
    if args.scale is not None and not super_resolution:
        raise ValueError(f"--scale applies to the super-resolution datasets; {args.dataset!r} "
                         f"is {info['pairing']}.")
    out, checkpoint, done, policy = _resume_state(args)
    model = None
    scale = args.scale
    if args.resume_from:
        model = _load_resumed(args, done, cls)
        if super_resolution:
            if scale is not None and scale != model.scale:
                raise ValueError(f"{checkpoint} upscales x{model.scale}; got --scale {scale} "
                                 "(pass --restart to start over at another scale).")
            scale = model.scale
    elif super_resolution:
        if scale is not None and overrides.get("scale", scale) != scale:
            raise ValueError(f"--scale {scale} and --set scale={overrides['scale']!r} differ; "
                             "pass one of them.")
        scale = overrides.get("scale", scale)
    load_kwargs = {"scale": scale} if super_resolution and scale is not None else {}

    def load_dataset(start_epoch):
        return kgz.datasets.load(args.dataset, batch_size=args.batch_size, seed=args.seed,
                                 limit=args.limit, start_epoch=start_epoch, **load_kwargs)

    dataset = load_dataset(done)
    source_shape, target_shape = (tuple(int(d) for d in spec.shape[1:])
                                  for spec in dataset.element_spec)
    if model is None:
        parameters = inspect.signature(cls.__init__).parameters
        overrides.setdefault("image_shape", source_shape)
        overrides.setdefault("domain_names", tuple(dataset.domain_names))
        overrides.setdefault("seed", args.seed)
        if super_resolution:
            overrides.setdefault("scale", dataset.scale)
        elif "target_channels" in parameters and target_shape[-1] != source_shape[-1]:
            overrides.setdefault("target_channels", target_shape[-1])
        base = info["base"] or args.dataset
        if "content_network" in parameters and base in ("fashion_mnist", "mnist"):
            # VGG19's ImageNet weights cannot be downloaded offline; the domain
            # classifier of the dataset ships with the package.
            overrides.setdefault("content_network", base)
        model = kgz.create_model(args.model, **overrides)
        model.compile()
    if (tuple(model.image_shape), tuple(model.target_shape)) != (source_shape, target_shape):
        raise ValueError(
            f"{type(model).__name__} translates {tuple(model.image_shape)} images into "
            f"{tuple(model.target_shape)}; {args.dataset!r} pairs {source_shape} with "
            f"{target_shape}" + (f" (scale {scale or dataset.scale})" if super_resolution
                                 else "") + ".")
    if done >= args.epochs:
        print(f"{checkpoint} already has {done} epochs; pass a larger --epochs to continue.")
        return 0

    a, b = translation_test_data(args.dataset, "test", GRID_EXAMPLES,
                                 scale=scale if super_resolution else None)
    a, b = a[:GRID_EXAMPLES], b[:GRID_EXAMPLES]
    grid_kwargs = {}
    if "seed" in inspect.signature(model.translate).parameters:  # BiCycleGAN: z = 0, 2 draws
        grid_kwargs["translate_kwargs"] = [{}, {"seed": args.seed}, {"seed": args.seed + 1}]
    if len(model.directions) == 2:
        targets = None if info["pairing"] == "unpaired" else (b, a)
        grid = kgz.callbacks.TranslationGrid(_written(args, "samples"), images=(a, b),
                                             targets=targets, direction="both",
                                             every=args.sample_every, **grid_kwargs)
        layout = ("input | output | translated back" if targets is None
                  else "input | output | target") + ", a -> b rows then b -> a"
    else:
        grid = kgz.callbacks.TranslationGrid(_written(args, "samples"), images=a,
                                             targets=b, every=args.sample_every, **grid_kwargs)
        layout = "input | output" + (" (z = 0, 2 draws)" if grid_kwargs else "") + " | target"
    names = " <-> ".join(model.domain_names) if len(model.directions) == 2 \
        else " -> ".join(model.domain_names)
    print(f"Training {args.model} ({names}) on {args.dataset} ({dataset.source}), "
          f"precision {policy}, epochs {done + 1}..{args.epochs} -> {out}")
    history = _fit(args, model, dataset, load_dataset, done, [
        grid, kgz.callbacks.TrainingCheckpoint(_written(args, "model.keras"))])
    _append_history(args.outputs, history)
    if distribute.is_chief():
        print(f"Checkpoint: {checkpoint}\n"
              f"Samples:    {os.path.join(out, 'samples', 'latest.png')} "
              f"({layout}, {len(a)} test examples)")
    return 0


def _trains_on_video(cls):
    """True for the models trained on a video dataset: next-frame prediction
    (`predict_frames`, video_gan) and video retargeting (`translate_video`, recycle_gan)."""
    return hasattr(cls, "predict_frames") or hasattr(cls, "translate_video")


def _train_video(args):
    """Video models on a video dataset (`keras-gan-zoo list`): video_gan on
    (k context frames, next frame) pairs of one domain (default moving_mnist, frames
    average-pooled to the model's `frame_shape`), recycle_gan on unaligned clips of
    k + 1 frames of two domains (default moving_mnist_to_fashion). Every epoch renders
    new sequences from (--seed, epoch), so a resumed run sees what an uninterrupted one
    would. The grid of every --sample-every epochs shows the first test videos:
    context | truth and context | prediction rows (video_gan), or input | translated
    rows both ways (recycle_gan)."""
    import keras
    import numpy as np

    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute
    from keras_gan_zoo.models.translation import video_gan
    from keras_gan_zoo.utils.images import save_grid

    cls = kgz.registry.model_class(args.model)
    next_frame = hasattr(cls, "predict_frames")
    if args.dataset is None:
        args.dataset = "moving_mnist" if next_frame else "moving_mnist_to_fashion"
    info = kgz.datasets.info(args.dataset)
    suitable = [name for name in kgz.datasets.list_datasets("video")
                if (kgz.datasets.info(name)["domain_names"] is None) == next_frame]
    if args.dataset not in suitable:
        raise ValueError(
            f"{args.model} trains on " + ("videos of one domain" if next_frame else
                                          "unaligned videos of two domains")
            + f"; {args.dataset!r} is " + (f"a {info['kind']} dataset" if info["kind"] != "video"
                                           else "a video dataset of another pairing")
            + f". Pass --dataset with one of: {', '.join(suitable)}.")
    _refuse_scale(args)
    out, checkpoint, done, policy = _resume_state(args)
    if args.resume_from:
        model = _load_resumed(args, done, cls)
    else:
        overrides = dict(args.overrides)
        overrides.setdefault("seed", args.seed)
        frame = tuple(info["image_shape"])
        if next_frame:
            overrides.setdefault("frame_shape", frame)
        else:
            overrides.setdefault("image_shape", frame)
            overrides.setdefault("domain_names", tuple(info["domain_names"]))
        model = kgz.create_model(args.model, **overrides)
        model.compile()
    frames = model.context_frames + 1  # what one training example holds
    size = model.frame_shape[0] if next_frame else model.image_shape[0]
    factor = video_gan.frame_factor(info["image_shape"][0], size)  # frames average-pooled

    def load_dataset(start_epoch):
        if next_frame:
            return video_gan.next_frame_dataset(
                args.dataset, "train", model.context_frames, args.batch_size, frame_size=size,
                seed=args.seed, limit=args.limit, start_epoch=start_epoch)
        clips = kgz.datasets.load(args.dataset, batch_size=args.batch_size, seed=args.seed,
                                  limit=args.limit, num_frames=frames, start_epoch=start_epoch)
        pooled = clips.map(lambda a, b: (video_gan.downsample_frames(a, factor),
                                         video_gan.downsample_frames(b, factor)))
        for name in ("batches_per_epoch", "source", "domain_names"):
            setattr(pooled, name, getattr(clips, name))
        return pooled

    dataset = load_dataset(done)
    if done >= args.epochs:
        print(f"{checkpoint} already has {done} epochs; pass a larger --epochs to continue.")
        return 0
    shown = GRID_EXAMPLES // 2
    if next_frame:
        future = frames  # as many predicted frames as context frames + 1
        videos = video_gan.load_videos(args.dataset, "test", shown,
                                       num_frames=model.context_frames + future,
                                       frame_size=size)
        layout = (f"per test video: context | truth, then context | prediction "
                  f"({model.context_frames} + {future} frames per row)")
    else:
        test = kgz.datasets.load(args.dataset, "test", batch_size=shown, limit=shown,
                                 num_frames=2 * frames)
        clips = [video_gan.downsample_frames(video, factor).numpy()
                 for video in next(iter(test))]
        layout = (f"per test video: {model.domain_names[0]} frames | translated, then "
                  f"{model.domain_names[1]} frames | translated ({2 * frames} frames per row)")
    samples = _written(args, "samples")

    def write_grid(epoch, logs=None):
        if (epoch + 1) % args.sample_every and epoch + 1 != args.epochs:
            return
        if next_frame:
            k = model.context_frames
            rows = _prediction_rows(videos, model.predict_frames(videos[:, :k], future), k)
        else:
            rows = [row for direction, source in zip(model.directions, clips)
                    for video, translated in zip(source, model.translate_video(source,
                                                                               direction))
                    for row in (video, translated)]
        os.makedirs(samples, exist_ok=True)
        for name in (f"epoch_{epoch + 1:04d}.png", "latest.png"):
            save_grid(np.concatenate(rows), os.path.join(samples, name), nrow=len(rows[0]))

    print(f"Training {args.model} on {args.dataset} ({dataset.source}), precision {policy}, "
          f"epochs {done + 1}..{args.epochs} -> {out}")
    history = _fit(args, model, dataset, load_dataset, done, [
        keras.callbacks.LambdaCallback(on_epoch_end=write_grid),
        kgz.callbacks.TrainingCheckpoint(_written(args, "model.keras"))])
    _append_history(args.outputs, history)
    if distribute.is_chief():
        print(f"Checkpoint: {checkpoint}\n"
              f"Samples:    {os.path.join(out, 'samples', 'latest.png')} ({layout})")
    return 0


def _prediction_rows(videos, predicted, k):
    """Grid rows of a next-frame prediction: per video of `videos` (N, T, H, W, C), its
    k context frames | its truth (when it holds as many frames after the context as were
    predicted), then context | `predicted` (N, F, H, W, C)."""
    import numpy as np

    future = predicted.shape[1]
    rows = []
    for video, prediction in zip(videos, predicted):
        if video.shape[0] >= k + future:
            rows.append(video[:k + future])
        rows.append(np.concatenate([video[:k], prediction]))
    return rows


def _train_sentences(args):
    """Sentence models (sentence_vae) on one sentence per line: --text FILE, split
    90 / 5 / 5 into train / validation / test by --seed (`kgz.datasets.text_lines`), or
    by default the generated verse corpus (`kgz.datasets.verse_lines`); the vocabulary
    is the training split's words seen at least twice (`build_word_vocabulary`, as the
    sentence_vae_verse recipe). Each epoch writes 10 sentences sampled from the prior
    into OUT/samples/ and validates on the validation split; at the end the test
    split's NLL, KL and perplexity are printed."""
    import warnings

    import keras

    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute

    if args.dataset not in (None, "verse"):
        raise ValueError(f"{args.model} trains on sentences, one per line: pass --text FILE, "
                         f"or nothing for the generated verse corpus; got --dataset "
                         f"{args.dataset!r}.")
    _refuse_scale(args)
    args.dataset = None if args.text else "verse"
    if args.text:
        splits = [kgz.datasets.text_lines(args.text, split, seed=args.seed)
                  for split in ("train", "validation", "test")]
    else:
        splits = [kgz.datasets.verse_lines(split) for split in ("train", "validation", "test")]
    train, validation, test = splits
    train = train[:args.limit]
    out, checkpoint, done, policy = _resume_state(args)
    if args.resume_from:
        model = _load_resumed(args, done, kgz.registry.model_class(args.model))
    else:
        overrides = dict(args.overrides)
        overrides.setdefault("seed", args.seed)
        overrides.setdefault("vocabulary", kgz.datasets.build_word_vocabulary(train,
                                                                              min_count=2))
        model = kgz.create_model(args.model, **overrides)
        model.compile()
    test = [s for s in test if len(kgz.datasets.tokenize(s)) <= model.max_length]

    def load_dataset(start_epoch):
        return kgz.datasets.sentence_dataset(train, model.vocabulary, args.batch_size,
                                             max_length=model.max_length, seed=args.seed,
                                             start_epoch=start_epoch)

    dataset = load_dataset(done)
    valid = kgz.datasets.sentence_dataset(validation, model.vocabulary, args.batch_size,
                                          max_length=model.max_length, shuffle=False)
    if done >= args.epochs:
        print(f"{checkpoint} already has {done} epochs; pass a larger --epochs to continue.")
        return 0
    samples = _written(args, "samples")

    def write_sample(epoch, logs=None):
        if (epoch + 1) % args.sample_every and epoch + 1 != args.epochs:
            return
        os.makedirs(samples, exist_ok=True)
        text = "\n".join(model.generate(10, seed=args.seed)) + "\n"
        for name in (f"epoch_{epoch + 1:04d}.txt", "latest.txt"):
            kgz.utils.atomic_write_bytes(os.path.join(samples, name), text.encode())

    source = args.text or "the verse corpus"
    print(f"Training {args.model} on {source} ({len(train)} sentences, vocabulary "
          f"{len(model.vocabulary)}), precision {policy}, epochs {done + 1}..{args.epochs} "
          f"-> {out}")
    history = _fit(args, model, dataset, load_dataset, done, [
        keras.callbacks.LambdaCallback(on_epoch_end=write_sample),
        kgz.callbacks.TrainingCheckpoint(_written(args, "model.keras"))],
        validation_data=distribute.shard_by_data(valid))
    _append_history(args.outputs, history)
    with warnings.catch_warnings():  # held-out words outside the vocabulary are <unk>
        warnings.simplefilter("ignore", kgz.datasets.words.UnknownWordWarning)
        scores = model.evaluate_sentences(test, seed=args.seed) if test else None
    if distribute.is_chief():
        if scores:
            print(f"Test ({scores['sentences']} sentences): NLL {scores['nll']:.3f} nats per "
                  f"sentence, KL {scores['kl']:.3f}, perplexity {scores['perplexity']:.2f}")
        print(f"Checkpoint: {checkpoint}\nSamples:    {os.path.join(out, 'samples')}")
    return 0


def _train_sequence(args):
    """Sequence models: text ones on --text (90% train / 10% held out), audio ones on an
    audio --dataset; each epoch writes a text (or WAV) sample instead of a grid."""
    import keras

    import keras_gan_zoo as kgz
    from keras_gan_zoo import distribute

    out, checkpoint, done, policy = _resume_state(args)
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
    model = (_load_resumed(args, done) if args.resume_from
             else kgz.create_model(args.model, **overrides))
    if not args.resume_from:
        model.compile()

    def load_dataset(start_epoch):
        if text_model == "tokens":
            return kgz.datasets.char_dataset(train, model.vocabulary, 100, args.batch_size,
                                             seed=args.seed, start_epoch=start_epoch)
        return kgz.datasets.load_audio(args.dataset, batch_size=args.batch_size,
                                       sample_rate=model.sample_rate, seed=args.seed,
                                       limit=args.limit, with_labels=model.conditional,
                                       start_epoch=start_epoch)

    data = load_dataset(done)
    if text_model == "tokens":
        valid = kgz.datasets.char_dataset(test, model.vocabulary, 100, args.batch_size,
                                          shuffle=False, drop_remainder=False)
    else:
        valid = None
    if done >= args.epochs:
        print(f"{checkpoint} already has {done} epochs; pass a larger --epochs to continue.")
        return 0
    samples = _written(args, "samples")

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
    if valid is not None:
        valid = distribute.shard_by_data(valid)
    history = _fit(args, model, data, load_dataset, done, [
        keras.callbacks.LambdaCallback(on_epoch_end=write_sample),
        kgz.callbacks.TrainingCheckpoint(_written(args, "model.keras"))], validation_data=valid)
    _append_history(args.outputs, history)
    held_out = model.evaluate_text(test)["bits_per_char"] if text_model == "tokens" else None
    if distribute.is_chief():
        if held_out is not None:
            print(f"Held-out bits per char: {held_out:.4f}")
        print(f"Checkpoint: {checkpoint}\nSamples:    {os.path.join(out, 'samples')}")
    return 0


def cmd_sample(args):
    import numpy as np

    from keras_gan_zoo.utils.images import save_grid

    model = _load_checkpoint(args.checkpoint)
    _check_not_translator(model, args.checkpoint, "sample")
    if _is_sentence_model(model):
        return _sample_sentences(model, args)
    if args.temperature is not None:
        raise ValueError(f"--temperature is for sentence models; {args.checkpoint} draws "
                         "images.")
    text_conditional = getattr(model, "condition_kind", None) == "text"
    if args.caption and not text_conditional:
        raise ValueError(f"{args.checkpoint} does not draw from captions; --caption is for a "
                         "text-to-image model (gan_cls).")
    out = args.out or "samples.png"
    if text_conditional:  # one row per caption
        if not args.caption:
            raise ValueError(f"{args.checkpoint} draws from captions: pass --caption TEXT, "
                             "e.g. --caption 'ankle boot' (repeat it for several).")
        per_caption = max(1, args.num // len(args.caption))
        captions = [caption for caption in args.caption for _ in range(per_caption)]
        images = model.generate(len(captions), seed=args.seed, captions=captions)
        path = save_grid(images, out, nrow=per_caption)
    elif getattr(model, "conditional", False):  # one column per class
        images = model.generate(args.num, seed=args.seed,
                                labels=np.arange(args.num) % model.num_classes)
        path = save_grid(images, out, nrow=model.num_classes)
    else:
        path = save_grid(model.generate(args.num, seed=args.seed), out)
    print(path)
    return 0


def _is_sentence_model(model):
    """A model that writes sentences from a latent space (the sentence VAE)."""
    return getattr(model, "family", None) == "sequence" and hasattr(model, "interpolate")


def _print_sentences(sentences, out=None):
    for sentence in sentences:
        print(sentence)
    if out:
        if not out.endswith(".txt"):
            raise ValueError(f"a sentence model writes text: --out must end in .txt; got "
                             f"{out!r}.")
        from keras_gan_zoo.utils.files import atomic_write_bytes

        atomic_write_bytes(out, ("\n".join(sentences) + "\n").encode("utf-8"))
    return 0


def _sample_sentences(model, args):
    if args.caption:
        raise ValueError("--caption is for a text-to-image model; this model writes "
                         "sentences.")
    if args.temperature is None:
        sentences = model.generate(args.num, seed=args.seed, greedy=True)
    else:
        sentences = model.generate(args.num, seed=args.seed, temperature=args.temperature)
    return _print_sentences(sentences, args.out)


def cmd_interpolate(args):
    model = _load_checkpoint(args.checkpoint)
    if not _is_sentence_model(model):
        raise ValueError(f"{args.checkpoint} is not a sentence VAE; `interpolate` decodes "
                         "the path between two sentences' codes (for images see "
                         "kgz.latent).")
    return _print_sentences(model.interpolate(*args.between, steps=args.steps))


def _test_videos(args, model):
    """`--num` test sequences of `--dataset` at the model's frame size, k + future frames."""
    import numpy as np

    import keras_gan_zoo as kgz
    from keras_gan_zoo.models.translation.video_gan import downsample_frames

    info = kgz.datasets.info(args.dataset)
    if info["kind"] != "video":
        raise ValueError(f"--dataset must be a video dataset "
                         f"({', '.join(kgz.datasets.list_datasets('video'))}); got "
                         f"{args.dataset!r}.")
    size, frame_size = info["image_shape"][0], model.frame_shape[0]
    if size % frame_size or info["image_shape"][-1] != model.frame_shape[-1]:
        raise ValueError(f"{args.dataset} has {info['image_shape']} frames; the model predicts "
                         f"{tuple(model.frame_shape)} frames.")
    videos = kgz.datasets.load(args.dataset, "test", batch_size=args.num, shuffle=True,
                               seed=args.seed, num_frames=model.context_frames + args.future)
    batch = next(iter(videos))
    return np.asarray(downsample_frames(batch, size // frame_size))


def _input_videos(path):
    import numpy as np

    videos = np.load(path)
    if videos.ndim == 4:
        videos = videos[None]
    if videos.ndim != 5:
        raise ValueError(f"--input holds videos (N, T, H, W, C) or one video (T, H, W, C); "
                         f"{path} has shape {videos.shape}.")
    if videos.dtype == np.uint8:
        videos = videos.astype("float32") / 127.5 - 1.0
    return videos.astype("float32")


def cmd_predict(args):
    import numpy as np

    from keras_gan_zoo.metrics import video
    from keras_gan_zoo.utils.images import save_grid

    model = _load_checkpoint(args.checkpoint)
    if not hasattr(model, "predict_frames"):
        raise ValueError(f"{args.checkpoint} does not predict frames; `predict` is for a "
                         "next-frame model (video_gan).")
    if not isinstance(args.future, int) or args.future < 1:
        raise ValueError(f"--future must be at least 1; got {args.future}.")
    videos = _input_videos(args.input) if args.input else _test_videos(args, model)
    k = model.context_frames
    if videos.shape[1] < k:
        raise ValueError(f"the model predicts from {k} context frames; the videos have "
                         f"{videos.shape[1]}.")
    predicted = model.predict_frames(videos[:, :k], args.future)
    truth = videos[:, k:k + args.future]
    path = save_grid(np.concatenate(_prediction_rows(videos, predicted, k)), args.out,
                     nrow=k + args.future)
    print(path)
    if truth.shape[1] == args.future:
        scores = {"model": video.frame_scores(predicted, truth),
                  "copy last frame": video.frame_scores(
                      video.copy_last_frame(videos[:, :k], args.future), truth)}
        print(f"{'step':>4}  " + "  ".join(f"{name + ' ' + key:>22}" for name in scores
                                              for key in ("psnr", "ssim")))
        for step in range(args.future):
            print(f"{step + 1:>4}  " + "  ".join(f"{scores[name][key][step]:>22.3f}"
                                                 for name in scores for key in ("psnr", "ssim")))
    return 0


def _is_translator(model):
    return getattr(model, "family", None) == "translation" and hasattr(model, "translate")


def _check_not_translator(model, name, command):
    if _is_translator(model):
        raise ValueError(f"{name} is a translator ({type(model).__name__}): it turns images into "
                         f"images and does not {command} from noise; use `keras-gan-zoo "
                         f"translate {name} --input DIR_OR_IMAGE --out DIR`.")


def _translation_inputs(source, out):
    """`[(input path, output name relative to out)]` of `--input`: one image (any format
    PIL reads) or every PNG/JPEG under a folder, minus those under `out`.

    Raises:
        ValueError: a missing input, a folder without images, two inputs that would
            write the same output (`a.png` and `a.jpg`) or an output that would
            overwrite an input.
    """
    from keras_gan_zoo.datasets.folder import IMAGE_EXTENSIONS, find_images

    if os.path.isdir(source):
        root, target = os.path.realpath(source), os.path.realpath(out)
        if root == target:
            raise ValueError(f"--out {out!r} is the --input folder: the translations would "
                             "replace the images; choose another --out.")
        inside = target + os.sep
        paths = [path for path in find_images(source)
                 if not os.path.realpath(path).startswith(inside)]
        if not paths:
            raise ValueError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) under {source!r} "
                             "(searched recursively).")
        names = [os.path.relpath(path, source) for path in paths]
    elif os.path.isfile(source):
        paths, names = [source], [os.path.basename(source)]
    else:
        raise ValueError(f"--input {source!r}: no such image file or folder.")
    written = {}
    pairs = []
    for path, name in zip(paths, names):
        output = os.path.splitext(name)[0] + ".png"
        if output in written:
            raise ValueError(f"{written[output]} and {path} would both be written to "
                             f"{os.path.join(out, output)}; rename one of them.")
        if os.path.realpath(os.path.join(out, output)) == os.path.realpath(path):
            raise ValueError(f"the translation of {path} would overwrite it; choose another "
                             "--out.")
        written[output] = path
        pairs.append((path, output))
    return pairs


def _image_mode(channels, model_name):
    modes = {1: "L", 3: "RGB"}
    if channels not in modes:
        raise ValueError(f"{model_name} takes images of {channels} channels; the command reads "
                         "grayscale (1) or RGB (3) images.")
    return modes[channels]


def _open_image(path):
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except (OSError, UnidentifiedImageError) as error:
        raise ValueError(f"cannot read {path} as an image: {error}") from None


def _check_sizes(paths, shape, resize, where):
    """The paths whose image is not `shape`'s height x width; a ValueError naming the
    expected and the actual sizes unless `resize`."""
    height, width = shape[:2]
    wrong = []
    for path in paths:
        with _open_image(path) as image:
            if image.size != (width, height):
                wrong.append((path, image.size))
    if wrong and not resize:
        shown = "; ".join(f"{path} is {w}x{h}" for path, (w, h) in wrong[:3])
        more = f" (and {len(wrong) - 3} more)" if len(wrong) > 3 else ""
        raise ValueError(f"{where} translates {width}x{height} images (width x height); "
                         f"{len(wrong)} of {len(paths)} inputs are not: {shown}{more}. Pass "
                         f"--resize to resize them to {width}x{height}.")
    return wrong


def _read_image(path, shape):
    """The image at `path` as float32 (H, W, C) in [-1, 1] of `shape` (grayscale or RGB
    as the model takes, resized, bicubic, when its size differs)."""
    from keras_gan_zoo.utils.images import image_to_array

    with _open_image(path) as image:
        try:
            return image_to_array(image, shape)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None


def _pairs_grid(inputs, outputs, path):
    """Writes input | output pairs side by side (about as many rows as pair columns); an
    input of another size or channels than its output is shown at the output's."""
    import math

    import numpy as np
    import tensorflow as tf

    from keras_gan_zoo.utils.images import save_grid

    inputs, outputs = np.stack(inputs), np.stack(outputs)
    if inputs.shape[1:3] != outputs.shape[1:3]:  # super-resolution: upsample the input
        inputs = tf.image.resize(inputs, outputs.shape[1:3], method="nearest").numpy()
    channels = max(inputs.shape[-1], outputs.shape[-1])
    inputs, outputs = (np.repeat(x, channels // x.shape[-1], axis=-1) for x in (inputs, outputs))
    tiles = np.stack([inputs, outputs], axis=1).reshape(-1, *outputs.shape[1:])
    pairs_per_row = math.ceil(math.sqrt(len(inputs) / 2))
    return save_grid(tiles, path, nrow=2 * pairs_per_row)


def cmd_translate(args):
    import numpy as np

    from keras_gan_zoo.utils.images import save_png

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1; got {args.batch_size}.")
    model = _load_checkpoint(args.checkpoint)
    if not _is_translator(model):
        raise ValueError(f"{args.checkpoint} ({type(model).__name__}) is not a translator; use "
                         f"`keras-gan-zoo sample {args.checkpoint}`.")
    direction = model.check_direction(args.direction)
    shape = model.input_shape_for(direction)
    where = f"{args.checkpoint} ({type(model).__name__}, {direction})"
    _image_mode(shape[-1], where)  # 1 or 3 channels, before reading any file
    files = _translation_inputs(args.input, args.out)
    grid_path = os.path.join(args.out, GRID_NAME) if args.grid else None
    if grid_path and GRID_NAME in {output for _, output in files}:
        raise ValueError(f"an input would be written to {grid_path}, where --grid writes the "
                         "grid; rename it or leave out --grid.")
    resized = _check_sizes([path for path, _ in files], shape, args.resize, where)
    shown_inputs, shown_outputs = [], []
    for start in range(0, len(files), args.batch_size):
        chunk = files[start:start + args.batch_size]
        images = np.stack([_read_image(path, shape) for path, _ in chunk])
        translated = model.translate(images, direction=direction, batch_size=args.batch_size)
        for (_, output), image in zip(chunk, translated):
            save_png(image, os.path.join(args.out, output))
        if grid_path and len(shown_inputs) < GRID_MAX_PAIRS:
            keep = GRID_MAX_PAIRS - len(shown_inputs)
            shown_inputs.extend(images[:keep])
            shown_outputs.extend(translated[:keep])
    names = model.domain_names if direction == "a_to_b" else model.domain_names[::-1]
    notes = [f"{len(resized)} resized"] if resized else []
    if grid_path:
        notes.append(f"grid {_pairs_grid(shown_inputs, shown_outputs, grid_path)}")
    print(f"translated {len(files)} image{'s' if len(files) != 1 else ''} {names[0]} -> "
          f"{names[1]} ({direction}) with {args.checkpoint} into {args.out}"
          + (f" ({', '.join(notes)})" if notes else ""))
    return 0


def cmd_evaluate(args):
    import keras_gan_zoo as kgz

    names = [name.strip() for name in args.metrics.split(",") if name.strip()]
    model = _load_checkpoint(args.checkpoint)
    _check_not_translator(model, args.checkpoint, "evaluate")
    if args.dataset is None:
        pretrained = args.checkpoint in kgz.applications.list_pretrained()
        # Fashion-MNIST, or its padded copy for a model of its shape (fashion_mnist_32).
        shape = tuple(getattr(model, "image_shape", None) or ())
        args.dataset = (kgz.applications.info(args.checkpoint)["dataset"] if pretrained
                        else next((name for name in _padded_datasets("fashion_mnist")
                                   if kgz.datasets.info(name)["image_shape"] == shape),
                                  "fashion_mnist"))
    extractor = args.extractor or kgz.metrics.default_extractor(args.dataset)
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


def cmd_launch(args):
    from keras_gan_zoo.launcher import run_local_workers, zoo_command

    return run_local_workers(zoo_command(args.worker_command), args.workers, port=args.port,
                             timeout=args.timeout)


def cmd_export(args):
    from keras_gan_zoo import export

    export.check_options(args.format, args.quantize)  # before loading anything
    model = _load_checkpoint(args.checkpoint)
    print(export.export_model(model, args.directory, args.format, args.quantize))
    return 0


def cmd_serve(args):
    try:
        import uvicorn

        from keras_gan_zoo.app import create_app
    except ImportError as error:
        raise RuntimeError(f"`serve` needs FastAPI and uvicorn ({error}): pip install "
                           "'keras-gan-zoo[serve]'") from None
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in [0, 65535]; got {args.port}.")
    app = create_app(args.models, max_n=args.max_n, max_autoregressive_n=args.max_n_pixelcnn)
    names = app.state.service.pool.names
    print(f"Serving {len(names)} pretrained model{'s' if len(names) != 1 else ''} at "
          f"http://{args.host}:{args.port}/ (Ctrl+C stops it)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    commands = {"list": cmd_list, "train": cmd_train, "sample": cmd_sample,
                "interpolate": cmd_interpolate, "predict": cmd_predict,
                "translate": cmd_translate, "evaluate": cmd_evaluate, "export": cmd_export,
                "launch": cmd_launch, "serve": cmd_serve}
    try:
        return commands[args.command](args)
    except (ValueError, TypeError, RuntimeError) as error:
        if os.environ.get("KERAS_GAN_ZOO_DEBUG"):
            raise
        print(f"keras-gan-zoo {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
