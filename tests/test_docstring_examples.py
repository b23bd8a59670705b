"""The `>>>` examples of the docstrings (what the API reference shows) are run with doctest.

Every docstring with examples in every module of keras_gan_zoo is collected. Its examples
run in order with :mod:`doctest` (``ELLIPSIS | NORMALIZE_WHITESPACE``: ``...`` in an
expected output matches anything), in the module's namespace plus ``kgz``, ``np``, ``tf``,
``keras``, ``math``, ``os`` and ``json``, in a temporary working directory, until the first
example that cannot run here; the examples from there on are compiled (a syntax error
fails) and the ``kgz.``/module attribute paths they name must exist. An example cannot run
here when

- it uses a name that no earlier example of the docstring defines (a placeholder the reader
  supplies: ``model``, ``images``, ``D(real)``...), found by reading its code (``ast``);
  an example marked ``# doctest: +SKIP`` in the docstring defines nothing;
- it trains (``.fit(``) or measures a checkpoint on thousands of images (:data:`SLOW`): the
  test would take minutes; the training contract is tested by tests/test_contract*.py;
- it needs something this machine does not have (:data:`NEEDS`: a download, a folder of
  the user's files), each listed below with the reason.

Every example that shows an expected output must be run (``test_every_shown_output_is_
checked``), except those listed in :data:`OUTPUT_NOT_CHECKED` with the reason.
"""

import ast
import builtins
import doctest
import importlib
import io
import json
import math
import os
import pkgutil
import re
import tokenize

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: Calls that train or measure on thousands of images: not run (minutes each).
SLOW = re.compile(
    r"\.fit\(|\.fit_latent_density\(|run_local_workers\(|real_statistics\(|"
    r"compute_statistics\(|evaluate_translator\(|publish\.measure\(|\.log_likelihood\(.*k=500"
    r"|metrics\.evaluate\(|(?<![.\w])evaluate\(model|load_audio\(\"espeak_speech\"")

#: Calls that need what a test machine does not have, with the reason.
NEEDS = {
    r"load_model\(": "a saved .keras file or the checkpoint origin (not packaged)",
    r"InceptionV3Extractor\(\)|get_extractor\(\"inception_v3\"\)": "the ImageNet weights "
                                                                   "(a download)",
    r"image_folder\(\"(?:faces|pets)/|audio_folder\(|caption_folder\(|"
    r"paired_folder\(\"facades|\(\"my_[\w./]*(?:/|\.\w+)\"": "the user's files (my_*)",
    r"read_idx\(\"train-": "the MNIST IDX files",
    r"origin=\"https": "a download",
}

#: Docstrings (doctest names) whose shown outputs are not checked, with the reason.
OUTPUT_NOT_CHECKED = {
    "keras_gan_zoo.applications.publish": "needs a trained model; measure() generates and "
                                          "embeds 10,000 images",
    "keras_gan_zoo.datasets.folder.image_folder": "reads a folder of the user's images",
    "keras_gan_zoo.datasets.offline.read_idx": "needs the MNIST IDX files",
    "keras_gan_zoo.latent.walk_strip": "model: a trained generator",
    "keras_gan_zoo.launcher.run_local_workers": "starts two training processes "
                                                "(tests/test_multi_worker.py runs them)",
    "keras_gan_zoo.metrics.evaluate": "embeds 10,000 real and generated images "
                                      "(tests/test_metrics.py measures small sets)",
    "keras_gan_zoo.metrics.translation": "translates and embeds a whole test split",
    "keras_gan_zoo.utils.images.save_grid": "model: a trained generator",
    "keras_gan_zoo.utils.images.save_png": "model: a trained generator",
}

_GLOBS = {"kgz": kgz, "keras_gan_zoo": kgz, "np": np, "tf": tf, "keras": keras, "math": math,
          "os": os, "json": json}
_BUILTINS = set(dir(builtins))


def _modules():
    names = ["keras_gan_zoo"] + sorted(
        info.name for info in pkgutil.walk_packages(kgz.__path__, "keras_gan_zoo."))
    return names


def _doctests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = {}
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name, globs={}):
            if test.examples and test.name not in tests:
                # Objects re-exported by a package are found in their own module too.
                if getattr(test, "filename", None) and module.__file__ != test.filename:
                    continue
                tests[test.name] = (name, test)
    return tests


# --- reading an example's code ---------------------------------------------------------------

def _stored(node):
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            names.add(child.id)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in child.names)
        elif isinstance(child, ast.arg):
            names.add(child.arg)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
    return names


def _loaded(node):
    return {child.id for child in ast.walk(node)
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load)}


def free_names(source, bound):
    """Names `source` reads that neither `bound`, the builtins nor the code itself define
    before reading them. Updates `bound` with what the code defines."""
    free = set()
    for statement in ast.parse(source).body:
        if isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = getattr(statement, "targets", None) or [statement.target]
            reads = _loaded(statement.value) if statement.value is not None else set()
            reads -= _stored(statement.value) if statement.value is not None else set()
            for target in targets:  # x[i] = ..., x.a = ... read x
                if not isinstance(target, ast.Name):
                    reads |= _loaded(target)
            if isinstance(statement, ast.AugAssign):
                reads |= _loaded(statement.target) | {getattr(statement.target, "id", "")}
        else:
            reads = _loaded(statement) - _stored(statement)
        free |= {name for name in reads if name and name not in bound and name not in _BUILTINS}
        bound |= _stored(statement)
    return free


def _attribute_paths(source):
    """Dotted paths ``a.b.c`` of the code (attribute chains on a name)."""
    paths = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and not isinstance(getattr(node, "_parent", None),
                                                              ast.Attribute):
            parts, current = [], node
            while isinstance(current, ast.Attribute):
                parts.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name):
                paths.append([current.id, *reversed(parts)])
    return paths


def _code(source):
    """`source` without its comments (they may name files: ``# or load_text("my.txt")``)."""
    lines = source.splitlines(keepends=True)
    try:
        comments = [token.start for token in
                    tokenize.generate_tokens(io.StringIO(source).readline)
                    if token.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        return source
    for row, col in comments:
        lines[row - 1] = lines[row - 1][:col].rstrip() + "\n"
    return "".join(lines)


def plan(test):
    """``(run, rest, reason)``: the examples that run, the ones only checked, and why the
    first of the rest does not run."""
    bound = set(test.globs) | set(_GLOBS)
    for index, example in enumerate(test.examples):
        if example.options.get(doctest.SKIP):
            # Marked in the docstring; doctest skips it, and what it would define stays
            # undefined for the examples after it.
            continue
        code = _code(example.source)
        if SLOW.search(code):
            return test.examples[:index], test.examples[index:], "trains or measures (slow)"
        for pattern, why in NEEDS.items():
            if re.search(pattern, code):
                return test.examples[:index], test.examples[index:], f"needs {why}"
        try:
            free = free_names(example.source, bound)
        except SyntaxError:
            return test.examples[:index], test.examples[index:], "syntax error"
        if free:
            return (test.examples[:index], test.examples[index:],
                    f"placeholder {', '.join(sorted(free))}")
    return test.examples, [], ""


DOCTESTS = _doctests()


# --- the tests -------------------------------------------------------------------------------

@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERAS_GAN_ZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("KERAS_GAN_ZOO_WEIGHTS_URL", raising=False)
    policy = keras.mixed_precision.global_policy()
    # TF's global seed as in a fresh interpreter (an earlier test in this worker may have
    # set it): a seeded op's numbers depend on it, and the examples show a fresh session.
    tf.random.set_seed(None)
    yield tmp_path
    keras.mixed_precision.set_global_policy(policy)


@pytest.mark.parametrize("name", sorted(DOCTESTS))
def test_docstring_examples(name, workdir):
    module_name, test = DOCTESTS[name]
    module = importlib.import_module(module_name)
    test.globs = {**vars(module), **_GLOBS}
    run, rest, reason = plan(test)
    for example in rest:  # shown, not run: valid Python naming things that exist
        compile(example.source, f"<{name} example>", "exec")
        for path in _attribute_paths(example.source):
            root = test.globs.get(path[0])
            if root is None or not (isinstance(root, type(os)) or isinstance(root, type)):
                continue
            current = root
            for part in path[1:]:
                if not (isinstance(current, type(os)) or isinstance(current, type)):
                    break
                assert hasattr(current, part), (
                    f"{name}: the example names {'.'.join(path)}, which does not exist")
                current = getattr(current, part)
    if not run:
        return
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    partial = doctest.DocTest(run, test.globs, test.name, test.filename, test.lineno,
                              test.docstring)
    out = io.StringIO()
    result = runner.run(partial, out=out.write, clear_globs=True)
    assert result.failed == 0, out.getvalue()


def test_every_shown_output_is_checked():
    unchecked = []
    for name, (_, test) in sorted(DOCTESTS.items()):
        test.globs = {**vars(importlib.import_module(DOCTESTS[name][0])), **_GLOBS}
        _, rest, reason = plan(test)
        if name not in OUTPUT_NOT_CHECKED and any(example.want for example in rest):
            unchecked.append(f"{name}: {reason}")
    assert not unchecked, ("examples show an output that is not checked (make them "
                           "self-contained, or list them in OUTPUT_NOT_CHECKED with the "
                           "reason):\n" + "\n".join(unchecked))
