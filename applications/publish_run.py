"""Applies a finished recipe run to the repo: registry record, packaged file, card, grid.

    python applications/publish_run.py --run runs/cgan_mnist --name cgan_mnist \
        --description "..." --provenance "..."

Reads `<run>/metrics.json` (written by `recipe.run`) and

- writes (or replaces) keras_gan_zoo/applications/weights/<name>.json with
  `publish.registry_entry` of the run: the files' sha256 and size, the metrics measured on
  the generator file, the training summary with what stopped training, the recipe
  command; description and card default to the old record's;
- copies the generator file into keras_gan_zoo/applications/weights/ (packaged with the
  wheel) and `grid.png` to docs/images/<name>_pretrained.png;
- rewrites the rows of the card's "Pretrained" table (`publish.card_rows`, the FID shown
  beside the one of the checkpoint it replaces) and its *Training record* subsection
  (`publish.training_record`: the provenance, default the card's old one, and the run's
  whole curve), and prints them.

For a translator (a run of `translation_recipe.py`) the record's metrics are each
direction's scores against the baselines on the whole test split (a run evaluated on fewer
images is refused), the card gets a row per direction and, before the Training record, the
table `publish.translation_table` (the subsection "Against the baselines", replaced on
every publish).

For a next-frame model (a run of `video_gan_moving_mnist.py`, scored by
`publish.measure_next_frame`) the record's metrics are the PSNR / SSIM / sharpness at every
future step of the model and its baselines on the whole test split (a run evaluated on
fewer sequences is refused), the card gets the PSNR / SSIM rows and, before the Training
record (whose curve is the training PSNR of every epoch), the table
`publish.next_frame_table` (the subsection "Per future step", replaced on every publish).

Every file is replaced atomically. The card's prose, docs/applications.md and the recipe's
flag defaults stay for the author: the script prints what it changed and what is left. A
run whose final evaluation used fewer than `--min_eval_samples` (10,000) generated images is
refused: every registry number uses that many.
"""

import json
import os
import shutil

from absl import app, flags

from keras_gan_zoo.applications import publish, registry
from keras_gan_zoo.utils.files import atomic_output, atomic_write_bytes

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

flags.DEFINE_string("run", None, "Output directory of a recipe run (holds metrics.json).")
flags.DEFINE_string("name", None, "Registry name (default: the run's recipe name).")
flags.DEFINE_string("description", None, "The record's description (default: the old one).")
flags.DEFINE_string("provenance", None, "How the files were made (default: the card's "
                    "Training record).")
flags.DEFINE_string("card", None, "Model card, relative to the repo (default: the old "
                    "record's, else docs/models/<architecture>.md).")
flags.DEFINE_list("measurement_keys", None, "Keys of the run's own measurements to record "
                  "in the record's metrics (default: those the old record has).")
flags.DEFINE_string("repo", REPO, "Root of the keras_gan_zoo checkout to write into.")
flags.DEFINE_integer("min_eval_samples", 10000,
                     "Fewest generated images the run's final evaluation may have used.")
flags.mark_flag_as_required("run")
FLAGS = flags.FLAGS

WEIGHTS = os.path.join("keras_gan_zoo", "applications", "weights")


#: Older names of the card rows `publish.card_rows` writes (None: folded into the curve row).
ROW_ALIASES = {"command": "recipe", "generator file": "generator weights",
               "training until the FID stops improving": None}


#: Rows of the training curve (FID checks, or an autoregressive model's held-out NLL).
CURVE_ROWS = ("FID curve", "validation NLL")


def pretrained_section(text, name=None):
    """`(head, section, tail)` of a card around its "## Pretrained" section (its heading
    line included in `section`), or None without one. A card of several checkpoints has
    a section per checkpoint, its heading naming it in backticks ("## Pretrained on
    Fashion-MNIST: `cgan_fashion_mnist`"): `name`'s section, else the first section whose
    heading names no checkpoint."""
    starts, start = [], text.find("\n## Pretrained")
    while start >= 0:
        starts.append(start)
        start = text.find("\n## Pretrained", start + 1)

    def heading(at):
        return text[at + 1:text.find("\n", at + 1) % (len(text) + 1)]

    start = next((at for at in starts if name and f"`{name}`" in heading(at)),
                 next((at for at in starts if "`" not in heading(at)), -1))
    if start < 0:
        return None
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end
    return text[:start], text[start:end], text[end:]


def replace_card_rows(text, rows, name=None):
    """The card with the rows of its "Pretrained" table replaced by `rows` (a curve
    row follows "training"; rows under an older name of `ROW_ALIASES` are replaced, a
    "provenance" row, now in the Training record, is dropped); returns
    `(text, rows not placed)`."""
    parts = pretrained_section(text, name)
    if parts is None:
        return text, list(rows)
    head, section, tail = parts
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
            continue  # the curve is re-placed after "training"
        if key in rows:
            put(key)
            if key == "training" and curve_key:
                put(curve_key)
            continue
        lines.append(line)
    return head + "\n".join(lines) + tail, [k for k in rows if k not in placed]


def training_record_span(section):
    """`(start, end)` of the Training record subsection in a Pretrained section, or None."""
    start = section.find("\n" + publish.TRAINING_RECORD_HEADING + "\n")
    if start < 0:
        return None
    ends = [i for i in (section.find("\n## ", start + 1), section.find("\n### ", start + 1))
            if i >= 0]
    return start + 1, min(ends, default=len(section))


def card_provenance(text, name=None):
    """The provenance line of the card's Training record, or None."""
    parts = pretrained_section(text, name)
    span = parts and training_record_span(parts[1])
    if not span:
        return None
    for line in parts[1][span[0]:span[1]].split("\n"):
        if line.startswith(publish.PROVENANCE_PREFIX):
            return line[len(publish.PROVENANCE_PREFIX):]
    return None


def replace_training_record(text, record, name=None):
    """The card with its Training record replaced by `record` (markdown), or added at the
    end of its Pretrained section; None when the card has no Pretrained section."""
    parts = pretrained_section(text, name)
    if parts is None:
        return None
    head, section, tail = parts
    span = training_record_span(section)
    if span is None:
        section = section.rstrip("\n") + "\n\n"
        span = (len(section), len(section))
    return head + section[:span[0]] + record + section[span[1]:] + tail


def drop_subsection(text, heading, name=None):
    """The card without the `heading` subsection of its Pretrained section (a
    translator's table against the baselines, which is written again before the
    Training record)."""
    parts = pretrained_section(text, name)
    if parts is None:
        return text
    head, section, tail = parts
    start = section.find("\n" + heading + "\n")
    if start < 0:
        return text
    ends = [i for i in (section.find("\n## ", start + 1), section.find("\n### ", start + 1))
            if i >= 0]
    return head + section[:start + 1] + section[min(ends, default=len(section)) + 1:] + tail


def copy_atomically(source, destination):
    """Copies a file so that `destination` is either the old file or the whole new one."""
    with atomic_output(destination, suffix=os.path.splitext(destination)[1]) as tmp:
        shutil.copyfile(source, tmp)


#: Evaluations whose registry numbers need the whole test split: (the key that marks one,
#: the count it records, what that counts, the recipe flag that measures fewer).
WHOLE_SPLIT_SCORES = (("directions", "num_images", "test images per direction",
                       "--eval_images"),
                      ("psnr_step1", "num_sequences", "test sequences", "--eval_sequences"))


def check_whole_split(evaluation):
    """Raises a ValueError for the evaluation of a translator or a next-frame model that
    did not cover its whole test split: their registry numbers do."""
    for key, count, what, flag in WHOLE_SPLIT_SCORES:
        if key in evaluation and not evaluation.get("whole_split"):
            raise ValueError(f"{FLAGS.run}: the final evaluation measured only "
                             f"{evaluation.get(count)} {what}; the registry numbers of this "
                             f"model use its whole test split (rerun the recipe without "
                             f"{flag}).")


def main(_):
    with open(os.path.join(FLAGS.run, "metrics.json")) as f:
        run = json.load(f)
    name = FLAGS.name or run["recipe"]
    evaluation = run.get("evaluation") or {}
    # A sampler is scored by the FID of --min_eval_samples generated images; an
    # autoregressive model by its likelihood of the whole test split; a translator and a
    # next-frame model against their baselines on the whole test split.
    translator = "directions" in evaluation
    next_frame = "psnr_step1" in evaluation
    check_whole_split(evaluation)
    if not (translator or next_frame) and "test_nll_nats" not in evaluation and \
            evaluation.get("num_generated", 0) < FLAGS.min_eval_samples:
        raise ValueError(
            f"{FLAGS.run}: the final evaluation used {evaluation.get('num_generated', 0)} "
            f"generated images; registry numbers use at least {FLAGS.min_eval_samples:,} "
            "(rerun the recipe with --eval_samples 10000).")
    if "generator" not in run["files"]:
        raise ValueError(f"{FLAGS.run}: no generator file; only recipe runs that wrote one "
                         "(recipe.run, autoregressive_recipe.run) are published by this script.")
    weights = os.path.join(FLAGS.repo, WEIGHTS)
    record_path = registry.record_path(name, weights)
    old = registry.read_record(record_path) if os.path.exists(record_path) else {}
    card = FLAGS.card or old.get("card") or f"docs/models/{run['model']}.md"
    card_path = os.path.join(FLAGS.repo, card)
    text = open(card_path).read() if os.path.exists(card_path) else ""
    # The recipe's own numbers the old record has beside the FID (the VAE's NLL, the
    # autoencoders' test MSE) are taken again from this run's measurements.
    measured = run.get("measurements") or {}
    keys = FLAGS.measurement_keys or [key for key in old.get("metrics", {})
                                      if key in measured and key not in run["evaluation"]]
    entry = publish.registry_entry(run, FLAGS.description or old.get("description"), card,
                                   measurement_keys=keys)
    provenance = FLAGS.provenance or (card_provenance(text, name) if old else None)
    missing = [flag for flag, value in (("description", entry.get("description")),
                                        ("provenance", provenance)) if not value]
    if missing:
        raise ValueError(f"Publishing {name!r} needs --{' and --'.join(missing)} (expected "
                         "in the old record and its card's Training record otherwise).")
    if run["machine"] == publish.machine_description():
        entry["training"]["machine"] = publish.PROJECT_MACHINE
    registry.validate_entry(entry, record_path)  # before anything is written

    # The files first, then the record that names them, then the file it no longer names.
    generator = entry["files"]["generator"]["file"]
    copy_atomically(os.path.join(FLAGS.run, generator), os.path.join(weights, generator))
    image = os.path.join("docs", "images", f"{name}_pretrained.png")
    copy_atomically(os.path.join(FLAGS.run, "grid.png"), os.path.join(FLAGS.repo, image))
    print(f"{WEIGHTS}/{generator}, {image}: copied from {FLAGS.run}")
    publish.write_entry(record_path, entry)
    print(f"{WEIGHTS}/{name}.json: {'replaced' if old else 'added'}")
    old_generator = old.get("files", {}).get("generator", {}).get("file")
    if old_generator and old_generator != generator:
        os.remove(os.path.join(weights, old_generator))

    previous_fid = old.get("metrics", {}).get("fid")
    if old.get("files", {}).get("generator", {}).get("sha256") == \
            entry["files"]["generator"]["sha256"]:
        previous_fid = None  # the same checkpoint applied again
    curves = publish.training_curves(run)
    rows = publish.card_rows(entry, previous_fid=previous_fid, curves=curves)
    text, unplaced = replace_card_rows(text, rows, name)
    record = publish.training_record(name, entry, provenance, curves)
    table = ((publish.BASELINES_HEADING, publish.translation_table) if translator else
             (publish.NEXT_FRAME_HEADING, publish.next_frame_table) if next_frame else None)
    if table:  # each direction / future step against the baselines, before the record
        heading, write_table = table
        record = write_table({**entry, "name": name}) + "\n" + record
        text = drop_subsection(text, heading, name)
    recorded = replace_training_record(text, record, name)  # None: no Pretrained section
    if recorded is not None:
        atomic_write_bytes(card_path, recorded.encode())
    print(f"{card}: {len(rows) - len(unplaced)} rows of the Pretrained table rewritten"
          f"{', Training record written' if recorded is not None else ''}")
    for key in unplaced:
        print(f"  not in the table, add by hand: | {key} | {rows[key]} |")
    if recorded is None:
        print(f"  no Pretrained section: add by hand under it\n{record}")
    print("left for the author: the card's prose and caption, the docs/applications.md row, "
          "the recipe's defaults (= this run's flags: "
          f"{entry['recipe']}).")


if __name__ == "__main__":
    app.run(main)
