"""MkDocs hook: the pages that are generated from the project rather than written by hand.

Referenced by ``hooks:`` in mkdocs.yml. At every build (and on every ``mkdocs serve``
reload) it

- fills the empty ``Models`` section of the nav with ``docs/models/*.md``, grouped by the
  family of the registered model of the same name (the sub-package of
  ``keras_gan_zoo/models/`` whose ``@register_model("name", ...)`` registers it), so a
  new model page appears without editing mkdocs.yml;
- adds ``gallery.md``: every pretrained record's shipped sample grid
  (``docs/images/<checkpoint>_pretrained.png``) captioned with its checkpoint name,
  dataset and measured quality, read from the record;
- adds ``choose.md``: one table per family of every registered model, with the data,
  quality and training time of its pretrained checkpoints (from the records).

Nothing here imports TensorFlow or keras_gan_zoo: the records are JSON files and the
registry is read from the source with a regular expression, so the docs build in seconds
and a model file that does not import yet cannot break them. The same Markdown is printed
by ``python docs/hooks/zoo_pages.py gallery|choose`` (to read it without building).
"""

import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECORDS_DIR = os.path.join(ROOT, "keras_gan_zoo", "applications", "weights")
MODELS_DIR = os.path.join(ROOT, "keras_gan_zoo", "models")

#: Families in the order the README presents them, with their headings.
FAMILIES = {
    "adversarial": "Adversarial",
    "autoencoding": "Autoencoding",
    "autoregressive": "Autoregressive (images)",
    "sequence": "Sequences (audio, text)",
    "translation": "Translation (image to image, video)",
}
OTHER = "Other"

_REGISTER = re.compile(r"@register_model\(\s*[\"']([a-z0-9_]+)[\"']")


# --- what the project says -----------------------------------------------------------------

def registry_scan(models_dir=MODELS_DIR):
    """``[(name, family, file stem)]`` of every ``@register_model`` under
    keras_gan_zoo/models/<family>/<file>.py, in file order."""
    found = []
    for path in sorted(glob.glob(os.path.join(models_dir, "*", "*.py"))):
        family = os.path.basename(os.path.dirname(path))
        stem = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as f:
            found += [(name, family, stem) for name in _REGISTER.findall(f.read())]
    return found


def registered_models(models_dir=MODELS_DIR):
    """``{name: family}`` of every registered model."""
    return {name: family for name, family, _ in registry_scan(models_dir)}


def model_page_of(model, pages, models_dir=MODELS_DIR):
    """The stem of the docs/models page of `model`: its own name, else the page named after
    the source file that registers it (srresnet -> srgan.md, pixelrnn_row_lstm ->
    pixelrnn.md); None without a page."""
    if model in pages:
        return model
    files = {name: stem for name, _, stem in registry_scan(models_dir)}
    return files.get(model) if files.get(model) in pages else None


def pretrained_records(records_dir=RECORDS_DIR):
    """``{checkpoint name: record}`` of every ``weights/*.json``, sorted by name."""
    records = {}
    for path in sorted(glob.glob(os.path.join(records_dir, "*.json"))):
        with open(path, encoding="utf-8") as f:
            records[os.path.basename(path)[:-len(".json")]] = json.load(f)
    return records


def page_title(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                return line[2:].strip()
    return os.path.splitext(os.path.basename(path))[0]


def model_pages(docs_dir):
    """``{stem: title}`` of docs/models/*.md."""
    return {os.path.splitext(os.path.basename(path))[0]: page_title(path)
            for path in sorted(glob.glob(os.path.join(docs_dir, "models", "*.md")))}


def page_family(stem, models_dir=MODELS_DIR):
    """The family of the model page ``models/<stem>.md``: that of the model registered under
    the same name, else that of the source file ``<family>/<stem>.py``; ``OTHER`` if none."""
    scan = registry_scan(models_dir)
    for name, family, _ in scan:
        if name == stem:
            return family
    for _, family, file in scan:
        if file == stem:
            return family
    return OTHER


# --- formatting the records ----------------------------------------------------------------

def _duration(seconds):
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def quality(record):
    """What the record measured, as short text: FID for generators and translators (with the
    translators' identity baseline), the test NLL for likelihood models (a text model's per
    sentence, with its perplexity and its baseline language model's), the PSNR of the first
    predicted frame and the mean over the predicted steps for next-frame models (with their
    baselines' first-step PSNR), the foreground-mask IoU with the paired truth for video
    retargeting (with the input's own and the twin's)."""
    metrics = record["metrics"]
    if "psnr_step1" in metrics:
        return _next_frame_quality(metrics)
    if "mask_iou" in metrics:
        return _retargeting_quality(metrics)
    if "fid" in metrics:
        text = f"FID {metrics['fid']:.2f}"
        directions = metrics.get("directions") or {}
        if len(directions) > 1:
            text += " (mean of " + ", ".join(
                f"{key.replace('_to_', ' → ')} {value['model']['fid']:.2f}"
                for key, value in sorted(directions.items())) + ")"
        baselines = sorted({value["identity"]["fid"] for value in directions.values()
                            if "identity" in value})
        if baselines:
            text += "; identity " + " / ".join(f"{fid:.2f}" for fid in baselines)
        if metrics.get("labels"):
            text += f" (class-conditional: labels {metrics['labels']})"
        return text
    if "test_nll_nats" in metrics:
        text = f"test NLL {metrics['test_nll_nats']:.2f} nats"
        if metrics.get("nll_per"):  # a text model: per sentence, with its perplexity
            text += f" per {metrics['nll_per']}"
        if "test_perplexity" in metrics:
            text += f", perplexity {metrics['test_perplexity']:.2f}"
        baseline = metrics.get("baseline") or {}
        if "test_nll_nats" in baseline:
            text += (f" (baseline {baseline.get('model', '')}: {baseline['test_nll_nats']:.2f}"
                     f", perplexity {baseline['test_perplexity']:.2f})")
        if "test_bits_per_dim" in metrics:
            text += f" ({metrics['test_bits_per_dim']:.3f} bits/dim)"
        if metrics.get("samples_per_second"):
            text += f"; samples {metrics['samples_per_second']:g} images/s"
        return text
    return "not measured"


def _next_frame_quality(metrics):
    """"PSNR 19.22 dB at step 1 (copy-last 14.37, l2-only 20.53), 15.63 dB mean over 10
    steps": a next-frame model's headline beside its baselines' (per-step score dicts)."""
    baselines = ", ".join(f"{name.replace('_', '-')} {scores['psnr'][0]:.2f}"
                          for name, scores in sorted(metrics.items())
                          if name != "model" and isinstance(scores, dict) and "psnr" in scores)
    return (f"PSNR {metrics['psnr_step1']:.2f} dB at step 1"
            + (f" ({baselines})" if baselines else "")
            + f", {metrics['mean_psnr']:.2f} dB mean over {metrics['n_future']} steps")


def _retargeting_quality(metrics):
    """"mask IoU 0.412 with the paired truth (identity 0.080, cycle-twin 0.301), PSNR
    12.10 dB": a retargeting model's headline (means over both directions) beside the
    other rows of its per-direction scores."""
    others = sorted({label for scores in metrics["directions"].values() for label in scores}
                    - {"model"})
    beside = ", ".join(
        f"{label.replace('_', '-')} "
        f"{sum(s[label]['mask_iou'] for s in metrics['directions'].values()) / 2:.3f}"
        for label in others)
    return (f"mask IoU {metrics['mask_iou']:.3f} with the paired truth"
            + (f" ({beside})" if beside else "") + f", PSNR {metrics['psnr']:.2f} dB")


def quality_key(record):
    """Sort key: better first within one kind of number (lower FID or NLL, higher PSNR);
    FIDs before NLLs before next-frame PSNRs."""
    metrics = record["metrics"]
    if "fid" in metrics:
        return (0, metrics["fid"])
    if "test_nll_nats" in metrics:
        return (1, metrics["test_nll_nats"])
    if "psnr_step1" in metrics:
        return (2, -metrics["psnr_step1"])
    if "mask_iou" in metrics:
        return (3, -metrics["mask_iou"])
    return (4, 0.0)


def training(record):
    """Training time and length of a record, as short text."""
    run = record["training"]
    parts = []
    if "train_seconds" in run:
        parts.append(_duration(run["train_seconds"]))
    if "epochs" in run:
        parts.append(f"{run['epochs']} epochs")
    return ", ".join(parts) or "not recorded"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


# --- pages ---------------------------------------------------------------------------------

def gallery_markdown(records, docs_dir, models=None):
    """The gallery: one figure per pretrained record whose grid is shipped in docs/images/,
    grouped by the family of its architecture and sorted by quality within a family."""
    models = registered_models() if models is None else models
    groups, missing = {}, []
    for name, record in sorted(records.items(), key=lambda item: quality_key(item[1])):
        image = f"{name}_pretrained.png"
        if os.path.exists(os.path.join(docs_dir, "images", image)):
            family = models.get(record["architecture"], OTHER)
            groups.setdefault(family, []).append((name, record, image))
        else:
            missing.append(name)
    shown = sum(len(group) for group in groups.values())
    lines = [
        "# Gallery",
        "",
        "Samples of every pretrained checkpoint of the zoo whose grid is shipped in "
        "`docs/images/`, drawn from the generator file that `kgz.applications.load_generator` "
        "loads. Captions are read from the checkpoint's record "
        "(`keras_gan_zoo/applications/weights/<name>.json`) when the site is built: checkpoint "
        "name, training data, measured quality and training time on the project's 2-core CPU "
        "machine. FIDs use the zoo's domain-classifier features: they compare checkpoints of "
        "this zoo with each other, not with published numbers ([Evaluation](evaluation.md)); "
        "a translator's FID compares its translations with the target domain; a next-frame "
        "model's grid shows test sequences, its predictions beside the truth, a video "
        "retargeting model's grid the input, its retargeting and the paired truth. Sorted by "
        "FID (or test NLL, PSNR, mask IoU) within a family; [Choose a model](choose.md) has the same "
        "numbers as tables.",
        "",
        f"{shown} of {len(records)} checkpoints have a grid.",
        "",
    ]
    ordered = [f for f in FAMILIES if f in groups] + sorted(set(groups) - set(FAMILIES))
    for family in ordered:
        lines += [f"## {FAMILIES.get(family, family.capitalize())}", "",
                  '<div class="grid cards zoo-gallery" markdown>', ""]
        for name, record, image in groups[family]:
            card = record.get("card", "")
            page = os.path.relpath(os.path.join(ROOT, card), os.path.join(ROOT, "docs")) \
                if card else ""
            link = (f" · [{record['architecture']} page]({page})"
                    if page.startswith("models/") else "")
            grid = record["metrics"].get("grid")
            lines += [
                f"-   **`{name}`**",
                "",
                f"    ![{name}: samples of the shipped generator](images/{image})"
                "{ loading=lazy }",
                "",
                f"    {_cell(record['dataset'])} · {quality(record)} · trained "
                f"{training(record)}{link}",
            ]
            if grid:
                lines += ["", f"    <small>Grid: {_cell(grid)}</small>"]
            lines.append("")
        lines += ["</div>", ""]
    if missing:
        lines += ["Checkpoints without a shipped grid: "
                  + ", ".join(f"`{name}`" for name in missing) + ".", ""]
    return "\n".join(lines)


def choose_markdown(records, models, pages):
    """The "choose a model" page: per family, every registered model with its checkpoints."""
    by_architecture = {}
    for name, record in records.items():
        by_architecture.setdefault(record["architecture"], []).append((name, record))
    lines = [
        "# Choose a model",
        "",
        "Every model registered in the zoo (`kgz.list_models()`), by family. *Data*, *quality* "
        "and *training* come from the pretrained checkpoints' records "
        "(`keras_gan_zoo/applications/weights/*.json`), read when the site is built: the "
        "training time is wall-clock on the project's machine (2 CPU cores, no GPU), "
        "so it compares models with each other. A model without a "
        "checkpoint has no measured row yet: its page has the numbers of its own runs. FID "
        "uses the zoo's domain-classifier features (lower is better; [Evaluation]"
        "(evaluation.md)); likelihood models report the test NLL instead, next-frame "
        "models the PSNR of their predictions (higher is better) beside copying the last "
        "frame. Samples of each checkpoint: [Gallery](gallery.md).",
        "",
    ]
    families = {}
    for name, family in models.items():
        if name.endswith("_tiny"):
            continue
        families.setdefault(family, []).append(name)
    best = _best_by_dataset(records, models)
    if best:
        lines += ["## Best measured checkpoint per dataset", "",
                  "| data | checkpoint | model | quality | training |",
                  "| --- | --- | --- | --- | --- |"]
        for dataset, (name, record) in sorted(best.items()):
            lines.append(f"| {_cell(dataset)} | `{name}` | {_model_link(record['architecture'], pages)}"
                         f" | {quality(record)} | {training(record)} |")
        lines.append("")
    ordered = [f for f in FAMILIES if f in families] + sorted(set(families) - set(FAMILIES))
    for family in ordered:
        lines += [f"## {FAMILIES.get(family, family.capitalize())}", "",
                  "| model | checkpoint | data | quality | training |",
                  "| --- | --- | --- | --- | --- |"]
        for model in sorted(families[family],
                            key=lambda m: (not by_architecture.get(m),
                                           min((quality_key(r) for _, r in
                                                by_architecture.get(m, [])), default=(9, 0)),
                                           m)):
            link = _model_link(model, pages)
            checkpoints = sorted(by_architecture.get(model, []), key=lambda i: quality_key(i[1]))
            if not checkpoints:
                lines.append(f"| {link} | none yet | | | |")
            for name, record in checkpoints:
                lines.append(f"| {link} | `{name}` | {_cell(record['dataset'])} | "
                             f"{quality(record)} | {training(record)} |")
        lines.append("")
    return "\n".join(lines)


def _best_by_dataset(records, models):
    """The lowest-FID unconditional/conditional generator per training dataset (translators,
    whose FID measures a translation, and likelihood models are not ranked here)."""
    best = {}
    for name, record in records.items():
        if models.get(record["architecture"]) == "translation" or "fid" not in record["metrics"]:
            continue
        dataset = record["dataset"]
        if dataset not in best or record["metrics"]["fid"] < best[dataset][1]["metrics"]["fid"]:
            best[dataset] = (name, record)
    return best


def _model_link(model, pages):
    stem = model_page_of(model, pages)
    return f"[`{model}`](models/{stem}.md)" if stem else f"`{model}`"


def models_nav(docs_dir):
    """The Models section: ``[{family heading: [models/x.md, ...]}, ...]``."""
    groups = {}
    for stem in model_pages(docs_dir):
        groups.setdefault(page_family(stem), []).append(f"models/{stem}.md")
    ordered = [f for f in FAMILIES if f in groups] + sorted(set(groups) - set(FAMILIES))
    return [{FAMILIES.get(family, family.capitalize()): groups[family]} for family in ordered]


# --- MkDocs events -------------------------------------------------------------------------

GENERATED = {"gallery.md": "gallery", "choose.md": "choose"}


def on_config(config):
    nav = config.get("nav") or []
    for item in nav:
        if isinstance(item, dict) and "Models" in item and not item["Models"]:
            item["Models"] = models_nav(config["docs_dir"])
    return config


def on_files(files, config):
    from mkdocs.structure.files import File

    records = pretrained_records()
    models = registered_models()
    pages = model_pages(config["docs_dir"])
    content = {
        "gallery.md": gallery_markdown(records, config["docs_dir"], models),
        "choose.md": choose_markdown(records, models, pages),
    }
    for src_uri, text in content.items():
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, src_uri, content=text))
    return files


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "gallery"
    docs = os.path.join(ROOT, "docs")
    if which == "gallery":
        print(gallery_markdown(pretrained_records(), docs))
    elif which == "choose":
        print(choose_markdown(pretrained_records(), registered_models(), model_pages(docs)))
    else:
        sys.exit("usage: python docs/hooks/zoo_pages.py gallery|choose")
