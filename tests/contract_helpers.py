"""Helpers shared by the four family contract suites (tests/test_contract*.py).

Plain functions, not fixtures: each suite parametrizes over its family's tiny variants
and calls these on the model it builds.
"""

import io
import json
import subprocess
import sys
import textwrap
import zipfile

import h5py
import numpy as np

import keras_gan_zoo as kgz

#: every contract test builds its model with this seed, so two builds are equal.
SEED = 7


def tiny(name, **overrides):
    """The registered tiny variant `name`, seeded."""
    return kgz.create_model(name, seed=SEED, **overrides)


def images_for(model, n=16, seed=0):
    """`n` random images in [-1, 1] of the model's image shape."""
    return np.random.default_rng(seed).uniform(-1, 1, (n, *model.image_shape)).astype("float32")


def text_conditional(model):
    """True for a model conditioned on captions (`condition_kind = "text"`: GAN-CLS)."""
    return getattr(model, "condition_kind", None) == "text"


def captions_for(model, n=16):
    """`n` captions (a numpy str array) of one or two words of a text-conditional
    model's vocabulary, cycling, so a batch holds different captions."""
    words = model.vocabulary
    return np.array([f"{words[i % len(words)]} {words[(3 * i + 1) % len(words)]}"
                     if i % 2 else words[i % len(words)] for i in range(n)])


def labels_for(model, n=16):
    """The condition of each example: class labels cycling over the classes of a
    conditional model, captions (`captions_for`) of a text-conditional one; None
    otherwise."""
    if text_conditional(model):
        return captions_for(model, n)
    return (np.arange(n) % model.num_classes).astype("int32") if model.conditional else None


def fit(model, n=16, **kwargs):
    """fit on `n` random images (and labels or captions when the model is conditional)."""
    return model.fit(images_for(model, n), labels_for(model, n), verbose=0, **kwargs)


def generate(model, n, **kwargs):
    """model.generate(n), passing cycling labels (or captions) to a conditional model."""
    if model.conditional:
        kwargs.setdefault("labels", labels_for(model, n))
    elif text_conditional(model):
        kwargs.setdefault("captions", captions_for(model, n))
    return model.generate(n, **kwargs)


def weights(variables):
    """Copies of the values of `variables` (a list, or a model's trainable variables)."""
    if hasattr(variables, "trainable_variables"):
        variables = variables.trainable_variables
    return [np.array(v.numpy(), copy=True) for v in variables]


def max_abs_diff(a, b):
    """The largest absolute difference between two lists of arrays, in float64."""
    return max(float(np.max(np.abs(np.asarray(u, "float64") - np.asarray(v, "float64"))))
               for u, v in zip(a, b))


def assert_same_weights(first, second):
    """Two models' weights agree, array for array, up to float rounding (the check
    of N replicas against one device)."""
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def keras_file_arrays(keras_file):
    """Every array of a `.keras` file's weights (model and optimizer state) by path."""
    found = {}
    with zipfile.ZipFile(keras_file) as archive, archive.open("model.weights.h5") as raw:
        with h5py.File(io.BytesIO(raw.read()), "r") as weights:
            weights.visititems(lambda name, item: found.__setitem__(name, item[()])
                               if isinstance(item, h5py.Dataset) else None)
    return found


def assert_same_keras_files(a, b):
    """Asserts two `.keras` files hold the same arrays, bit for bit; returns them."""
    first, second = keras_file_arrays(a), keras_file_arrays(b)
    assert sorted(first) == sorted(second)
    differ = [name for name in first if not np.array_equal(first[name], second[name])]
    assert not differ, f"{len(differ)} of {len(first)} arrays differ, e.g. {differ[:5]}"
    return first


def assert_same_updates(initial, first, second, rtol=1e-2):
    """Two runs from the weights `initial` moved them alike (lists of arrays): their
    integer variables (step counters, seed states) are equal, and every difference between
    their float weights is at most `rtol` times the largest float update of the first run.

    Rounding differs between 1 and N replicas and training amplifies it: an activation
    near a ReLU kink that flips sign in one run changes a gradient by a step. Measured over
    6 initializations of each translation tiny variant (2 SGD steps): at most 1.3e-6 of the
    largest update for six of them, 5e-5 for cyclegan_tiny, 4.2e-3 for recycle_gan_tiny. A
    wrong weighting of the replicas (1/N too much or too little) moves the updates by a
    large fraction of themselves, far above `rtol` (checked: the same recycle_gan_tiny runs
    with the replicas' steps doubled differ by about the whole update). Counters are left
    out of the scale: a step counter's 2 was once the "largest update"."""
    floats = [np.asarray(a).dtype.kind == "f" for a in initial]
    for is_float, a, b in zip(floats, first, second):
        if not is_float:
            np.testing.assert_array_equal(a, b)

    def only_floats(arrays):
        return [a for a, is_float in zip(arrays, floats) if is_float]

    largest = max_abs_diff(only_floats(initial), only_floats(first))
    assert largest > 0, "the first run did not move the weights"
    differs = max_abs_diff(only_floats(first), only_floats(second))
    assert differs <= rtol * largest, (
        f"the runs differ by {differs:.3g}, over {rtol} x the largest update {largest:.3g}")


#: A style-based generator's SavedModel in a fresh process (argv: export dir, z .npy, out
#: .npz): `serve(z)`, `mapping(z)` and `serve_ws(ws)` into the .npz, and whether the zoo
#: was imported (it must not be) as JSON on the last line.
SERVE_STYLE_EXPORT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    path, z_file, out = sys.argv[1:]
    served = tf.saved_model.load(path)
    z = tf.constant(np.load(z_file))
    ws = served.mapping(z)
    np.savez(out, images=served.serve(z).numpy(), ws=ws.numpy(),
             from_ws=served.serve_ws(ws).numpy())
    print(json.dumps({"imported_zoo": "keras_gan_zoo" in sys.modules}))
    """
)


def serve_in_fresh_process(script, args, cwd):
    """Run `script` with `python -c` in a new interpreter and return the JSON object it
    printed on its last line; the process must exit 0 (its stderr is in the message)."""
    result = subprocess.run([sys.executable, "-c", script, *map(str, args)],
                            capture_output=True, text=True, timeout=300, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def training_data(model, n=8, seed=0):
    """`(x, y)` numpy inputs of `n` examples for a model of any family: images in
    [-1, 1] or sequences (audio in [-1, 1], token ids), and cycling labels (or None);
    for a translator, sources and their targets (a fixed function of the sources); for
    a translator that trains on clips (`model.clip_length` frames, Recycle-GAN), `n`
    clips of such frames, (n, clip_length, H, W, C)."""
    clip = getattr(model, "clip_length", None) if model.family == "translation" else None
    if clip:
        x, y = training_data(_FramesOf(model), n * clip, seed)
        return x.reshape(n, clip, *x.shape[1:]), y.reshape(n, clip, *y.shape[1:])
    if model.family == "translation":
        x = images_for(model, n, seed)
        if model.target_shape[:2] != model.image_shape[:2]:  # e.g. super-resolution
            return x, np.random.default_rng(seed + 1).uniform(
                -1, 1, (n, *model.target_shape)).astype("float32")
        pooled = x.reshape(n, -1).mean(axis=1)[:, None, None, None]  # a learnable target
        y = np.broadcast_to(np.clip(-x[..., :1] * 0.5 + pooled, -1, 1),
                            (n, *model.target_shape))
        return x, np.ascontiguousarray(y, dtype="float32")
    if model.family == "sequence":
        rng = np.random.default_rng(seed)
        if model.input_kind == "audio":
            x = rng.uniform(-1, 1, (n, 12)).astype("float32")
        else:
            x = rng.integers(0, model.num_symbols, (n, 12)).astype("int32")
    else:
        x = images_for(model, n, seed)
    return x, labels_for(model, n)


class _FramesOf:
    """A clip model seen as the frame translator it is (for `training_data`)."""

    family, clip_length = "translation", None

    def __init__(self, model):
        self.image_shape, self.target_shape = model.image_shape, model.target_shape
