"""Applies a finished recipe run to the repo: registry entry, packaged file, card, grid.

    python applications/publish_run.py --run runs/cgan_mnist --name cgan_mnist \
        --description "..." --provenance "..."

Reads `<run>/metrics.json` (written by `recipe.run`) and

- replaces (or adds) the entry `--name` in keras_gan_zoo/applications/registry.py with
  `publish.registry_entry` of the run: the files' sha256 and size, the metrics measured on
  the generator file, the training record with the FID curve and what stopped training,
  the recipe command; description / provenance / card default to the old entry's;
- copies the generator file into keras_gan_zoo/applications/weights/ (packaged with the
  wheel) and `grid.png` to docs/images/<name>_pretrained.png;
- rewrites the rows of the card's "Pretrained" table (`publish.card_rows`, the FID shown
  beside the one of the checkpoint it replaces) and prints them.

The card's prose, docs/applications.md and the recipe's flag defaults stay for the
author: the script prints what it changed and what is left. A run whose final
evaluation used fewer than `--min_eval_samples` (10,000) generated images is refused: every
registry number uses that many.
"""

import json
import os
import re
import shutil

from absl import app, flags

from keras_gan_zoo.applications import publish
from keras_gan_zoo.utils.files import atomic_output, atomic_write_bytes

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

flags.DEFINE_string("run", None, "Output directory of a recipe run (holds metrics.json).")
flags.DEFINE_string("name", None, "Registry name (default: the run's recipe name).")
flags.DEFINE_string("description", None, "The entry's description (default: the old one).")
flags.DEFINE_string("provenance", None, "How the files were made (default: the old one).")
flags.DEFINE_string("card", None, "Model card, relative to the repo (default: the old "
                    "entry's, else docs/models/<architecture>.md).")
flags.DEFINE_list("measurement_keys", None, "Keys of the run's own measurements to record "
                  "in the entry's metrics (default: those the old entry recorded).")
flags.DEFINE_string("repo", REPO, "Root of the keras_gan_zoo checkout to write into.")
flags.DEFINE_integer("min_eval_samples", 10000,
                     "Fewest generated images the run's final evaluation may have used.")
flags.mark_flag_as_required("run")
FLAGS = flags.FLAGS

REGISTRY = os.path.join("keras_gan_zoo", "applications", "registry.py")
WEIGHTS = os.path.join("keras_gan_zoo", "applications", "weights")
#: Registry constant for runs timed on the machine the registry's numbers come from.
MACHINE_CONSTANT = "_MACHINE"


def entry_block(source, name):
    """The `(start, end)` of entry `name` in the registry's source, or None."""
    match = re.search(r'^    %s: \{\n.*?^    \},\n' % re.escape(json.dumps(name)), source,
                      re.S | re.M)
    return match and match.span()


def replace_entry(source, name, entry_source):
    """The registry source with entry `name` replaced, or added at the end of PRETRAINED."""
    span = entry_block(source, name)
    if span is not None:
        return source[:span[0]] + entry_source + source[span[1]:]
    start = source.index("PRETRAINED = {\n")
    end = source.index("\n}\n", start) + 1
    return source[:end] + entry_source + source[end:]


#: Older names of the card rows `publish.card_rows` writes (None: folded into the curve row).
ROW_ALIASES = {"command": "recipe", "generator file": "generator weights",
               "training until the FID stops improving": None}


#: Rows of the training curve (FID checks, or an autoregressive model's held-out NLL).
CURVE_ROWS = ("FID curve", "validation NLL")


def replace_card_rows(text, rows):
    """The card with the rows of its "Pretrained" table replaced by `rows` (a curve
    row follows "training", "provenance" the curve; rows under an older name of
    `ROW_ALIASES` are replaced too); returns `(text, rows not placed)`."""
    head, marker, rest = text.partition("\n## Pretrained")
    if not marker:
        return text, list(rows)
    end = rest.find("\n## ")
    section, tail = (rest, "") if end < 0 else (rest[:end], rest[end:])
    curve_key = next((key for key in rows if key.startswith(CURVE_ROWS)), None)
    lines, placed = [], set()

    def put(key):
        lines.append(f"| {key} | {rows[key]} |")
        placed.add(key)

    for line in section.split("\n"):
        key = line[2:].split(" | ")[0] if line.startswith("| ") else None
        key = ROW_ALIASES.get(key, key)
        if key is None and line.startswith("| "):
            continue
        if key is not None and (key.startswith(CURVE_ROWS) or key == "provenance"):
            continue  # re-placed after "training"
        if key in rows:
            put(key)
            if key == "training":
                for extra in (curve_key, "provenance"):
                    if extra in rows:
                        put(extra)
            continue
        lines.append(line)
    return head + marker + "\n".join(lines) + tail, [k for k in rows if k not in placed]


def copy_atomically(source, destination):
    """Copies a file so that `destination` is either the old file or the whole new one."""
    with atomic_output(destination, suffix=os.path.splitext(destination)[1]) as tmp:
        shutil.copyfile(source, tmp)


def main(_):
    with open(os.path.join(FLAGS.run, "metrics.json")) as f:
        run = json.load(f)
    name = FLAGS.name or run["recipe"]
    evaluation = run.get("evaluation") or {}
    # A sampler is scored by the FID of --min_eval_samples generated images; an
    # autoregressive model by its likelihood of the whole test split.
    if "test_nll_nats" not in evaluation and \
            evaluation.get("num_generated", 0) < FLAGS.min_eval_samples:
        raise ValueError(
            f"{FLAGS.run}: the final evaluation used {evaluation.get('num_generated', 0)} "
            f"generated images; registry numbers use at least {FLAGS.min_eval_samples:,} "
            "(rerun the recipe with --eval_samples 10000).")
    if "generator" not in run["files"]:
        raise ValueError(f"{FLAGS.run}: no generator file; only recipe runs that wrote one "
                         "(recipe.run, autoregressive_recipe.run) are published by this script.")
    registry_path = os.path.join(FLAGS.repo, REGISTRY)
    with open(registry_path) as f:
        source = f.read()
    namespace = {}
    exec(compile(source, registry_path, "exec"), namespace)  # the registry as it stands
    old = namespace["PRETRAINED"].get(name, {})
    card = FLAGS.card or old.get("card") or f"docs/models/{run['model']}.md"
    # The recipe's own numbers the old entry recorded beside the FID (the VAE's NLL, the
    # autoencoders' test MSE) are taken again from this run's measurements.
    measured = run.get("measurements") or {}
    keys = FLAGS.measurement_keys or [key for key in old.get("metrics", {})
                                      if key in measured and key not in run["evaluation"]]
    entry = publish.registry_entry(run, FLAGS.description or old.get("description"),
                                   FLAGS.provenance or old.get("provenance"), card,
                                   measurement_keys=keys)
    missing = [key for key in ("description", "provenance") if key not in entry]
    if missing:
        raise ValueError(f"A new entry needs --{' and --'.join(missing)}.")
    constants = {}
    if run["machine"] == publish.machine_description():
        entry["training"]["machine"] = namespace[MACHINE_CONSTANT]
        constants[MACHINE_CONSTANT] = namespace[MACHINE_CONSTANT]
    source = replace_entry(source, name, publish.format_entry(name, entry,
                                                              constants=constants))
    atomic_write_bytes(registry_path, source.encode())
    print(f"{REGISTRY}: entry {name!r} {'replaced' if old else 'added'}")

    generator = entry["files"]["generator"]["file"]
    old_generator = old.get("files", {}).get("generator", {}).get("file")
    copy_atomically(os.path.join(FLAGS.run, generator),
                    os.path.join(FLAGS.repo, WEIGHTS, generator))
    if old_generator and old_generator != generator:
        os.remove(os.path.join(FLAGS.repo, WEIGHTS, old_generator))
    image = os.path.join("docs", "images", f"{name}_pretrained.png")
    copy_atomically(os.path.join(FLAGS.run, "grid.png"), os.path.join(FLAGS.repo, image))
    print(f"{WEIGHTS}/{generator}, {image}: copied from {FLAGS.run}")

    previous_fid = old.get("metrics", {}).get("fid")
    if old.get("files", {}).get("generator", {}).get("sha256") == \
            entry["files"]["generator"]["sha256"]:
        previous_fid = None  # the same checkpoint applied again
    rows = publish.card_rows(entry, previous_fid=previous_fid)
    card_path = os.path.join(FLAGS.repo, card)
    text = open(card_path).read() if os.path.exists(card_path) else ""
    text, unplaced = replace_card_rows(text, rows)
    if len(unplaced) < len(rows):
        atomic_write_bytes(card_path, text.encode())
    print(f"{card}: {len(rows) - len(unplaced)} rows of the Pretrained table rewritten")
    for key in unplaced:
        print(f"  not in the table, add by hand: | {key} | {rows[key]} |")
    print("left for the author: the card's prose and caption, the docs/applications.md row, "
          "the recipe's defaults (= this run's flags: "
          f"{entry['recipe']}).")


if __name__ == "__main__":
    app.run(main)
