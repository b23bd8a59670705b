"""TFLite and ONNX exports (`export_generator(path, format=..., quantize=...)`).

The exported files run in a fresh interpreter that imports neither keras_gan_zoo nor
TensorFlow (onnxruntime, the LiteRT interpreter of `ai-edge-litert`), on the inputs
given to `generate` / `translate` here; their outputs must agree within the stated
tolerances. All exports are built once per module and run in one subprocess.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo import cli, export

pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("ai_edge_litert")

SEED = 7
N = 5
#: max |exported - Keras| per variant, on images in [-1, 1]. float32: the same math in
#: another runtime; float16 weights: ~1e-3 relative rounding per weight; dynamic-range
#: int8: weights on 255 levels (and, in onnxruntime, activations quantized per batch).
TOLERANCE = {None: 1e-5, "float16": 2e-2, "int8": 0.25}

#: Runs the exported files of a JSON job list (argv: jobs .json, out .npz) with
#: onnxruntime / the LiteRT interpreter only, and reports which heavy packages it saw.
RUN_EXPORTED = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    jobs, out = json.load(open(sys.argv[1])), {}
    for key, job in jobs.items():
        feeds = {name: np.load(file) for name, file in job["inputs"].items()}
        if job["format"] == "onnx":
            import onnxruntime
            session = onnxruntime.InferenceSession(job["path"],
                                                   providers=["CPUExecutionProvider"])
            names = [i.name for i in session.get_inputs()]
            out[key] = session.run(["output_0"], feeds)[0]
        else:
            from ai_edge_litert.interpreter import Interpreter
            runner = Interpreter(job["path"]).get_signature_runner(job["signature"])
            names = sorted(runner.get_input_details())
            out[key] = runner(**feeds)["output_0"]
        assert sorted(names) == sorted(feeds), (key, names)
    np.savez(sys.argv[2], **out)
    print(json.dumps({"imported": sorted(m for m in ("keras_gan_zoo", "tensorflow", "keras")
                                         if m in sys.modules)}))
    """
)

#: (case, model, formats x quantize variants).
ALL_VARIANTS = [(f, q) for f in ("tflite", "onnx") for q in (None, "float16", "int8")]
PLAIN = [("tflite", None), ("onnx", None)]
CASES = {
    "dcgan": ("dcgan_tiny", ALL_VARIANTS),
    "cgan": ("cgan_tiny", PLAIN),
    "cyclegan": ("cyclegan_tiny", PLAIN),
    "vae": ("vae_tiny", PLAIN),
    "gran": ("gran_tiny", PLAIN),  # its own export_generator (serve + serve_steps)
    "pixelcnn": ("pixelcnn_tiny", [("tflite", None)]),
}


def _inputs_and_references(model, tmp):
    """{endpoint: (inputs {name: .npy path}, the Keras reference output)}."""
    rng = np.random.default_rng(3)

    def saved(name, array):
        path = os.path.join(tmp, f"{model.name}_{name}.npy")
        np.save(path, array)
        return path

    if model.family == "translation":
        out = {}
        for direction in model.directions:
            images = rng.uniform(-1, 1, (N, *model.input_shape_for(direction))).astype("float32")
            endpoint = "serve" if direction == "a_to_b" else "serve_b_to_a"
            out[endpoint] = ({"images": saved(direction, images)},
                             model.translate(images, direction=direction))
        return out
    if model.family == "autoregressive":
        noise = rng.uniform(0, 1, (N, *model.image_shape[:2], model.groups)).astype("float32")
        return {"serve": ({"noise": saved("noise", noise)}, model.generate(N, noise=noise))}
    z = rng.standard_normal((N, model.latent_dim)).astype("float32")
    inputs, kwargs = {"z": saved("z", z)}, {}
    if model.conditional:
        labels = (np.arange(N) % model.num_classes).astype("int32")
        inputs["labels"] = saved("labels", labels)
        kwargs["labels"] = labels
    return {"serve": (inputs, model.generate(N, latents=z, **kwargs))}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Exports every case and runs the files in one fresh process: {key: (served, ref,
    quantize)} and the process's report."""
    tmp = str(tmp_path_factory.mktemp("exports"))
    jobs, references = {}, {}
    for case, (name, variants) in CASES.items():
        model = kgz.create_model(name, seed=SEED)
        endpoints = _inputs_and_references(model, tmp)
        for format, quantize in variants:
            path = model.export_generator(os.path.join(tmp, case), format=format,
                                          quantize=quantize)
            assert path == os.path.join(tmp, case, export.default_filename(format, quantize))
            for endpoint, (inputs, reference) in endpoints.items():
                key = f"{case}-{format}-{quantize}-{endpoint}"
                file = export.endpoint_path(path, endpoint)
                jobs[key] = {"format": format, "path": file, "signature": endpoint,
                             "inputs": inputs}
                references[key] = (reference, quantize)
    with open(os.path.join(tmp, "jobs.json"), "w") as f:
        json.dump(jobs, f)
    out = os.path.join(tmp, "out.npz")
    result = subprocess.run([sys.executable, "-c", RUN_EXPORTED,
                             os.path.join(tmp, "jobs.json"), out],
                            capture_output=True, text=True, timeout=300, cwd=tmp)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    served = np.load(out)
    return {key: (served[key], *references[key]) for key in jobs}, report, tmp


def test_exports_run_without_the_package_or_tensorflow(exported):
    _, report, _ = exported
    assert report == {"imported": []}


def test_every_case_was_served(exported):
    results, _, _ = exported
    expected = {f"{case}-{f}-{q}-serve" for case, (_, variants) in CASES.items()
                for f, q in variants}
    expected |= {f"cyclegan-{f}-None-serve_b_to_a" for f in ("tflite", "onnx")}
    assert set(results) == expected


@pytest.mark.parametrize("key", [f"{c}-{f}-{q}-serve" for c, (_, v) in CASES.items()
                                 for f, q in v] + ["cyclegan-tflite-None-serve_b_to_a",
                                                   "cyclegan-onnx-None-serve_b_to_a"])
def test_exported_matches_keras(exported, key):
    results, _, _ = exported
    served, reference, quantize = results[key]
    assert served.dtype == np.float32 and served.shape == reference.shape
    error = float(np.max(np.abs(served - reference)))
    assert error <= TOLERANCE[quantize], f"{key}: max abs error {error}"


def test_quantized_files_are_smaller(exported):
    # On a model this tiny, per-tensor overhead (int8 scales, small tensors left in
    # float32) decides int8's size; the benchmark measures it on shipped generators.
    _, _, tmp = exported
    for format in ("tflite", "onnx"):
        size = {q: os.path.getsize(os.path.join(tmp, "dcgan", export.default_filename(format, q)))
                for q in (None, "float16", "int8")}
        assert size["float16"] < size[None], (format, size)
        if format == "tflite":
            assert size["int8"] < size[None], (format, size)


def test_explicit_file_path(tmp_path):
    model = kgz.create_model("vae_tiny", seed=SEED)
    path = model.export_generator(tmp_path / "decoder.onnx", format="onnx")
    assert path == str(tmp_path / "decoder.onnx") and os.path.isfile(path)
    assert sorted(os.listdir(tmp_path)) == ["decoder.onnx"]  # no staging left behind


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("kwargs, message", [
    ({"format": "torchscript"}, "format must be one of"),
    ({"format": "tflite", "quantize": "int4"}, "quantize must be one of"),
    ({"quantize": "int8"}, "applies to format='tflite' or 'onnx'"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    model = kgz.create_model("dcgan_tiny", seed=SEED)
    with pytest.raises(ValueError, match=message):
        model.export_generator(tmp_path / "out", **kwargs)
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.parametrize("name, format, reason", [
    ("wavenet_tiny", "tflite", "stateless random ops"),
    ("char_rnn_tiny", "onnx", "stateless random ops"),
    ("pixelcnn_tiny", "onnx", "OneHot"),
    ("progan_tiny", "tflite", "CONV_2D"),
    ("stylegan2_tiny", "tflite", "6-D tf.pad"),
])
def test_unsupported_family_or_format_says_why(tmp_path, name, format, reason):
    model = kgz.create_model(name, seed=SEED)
    with pytest.raises(ValueError, match=reason):
        model.export_generator(tmp_path / "out", format=format)
    assert not os.path.exists(tmp_path / "out")


# --------------------------------------------------------------------- CLI
def test_cli_exports_a_pretrained_name_to_tflite(tmp_path, capsys):
    assert cli.main(["export", "dcgan_fashion_mnist", str(tmp_path), "--format", "tflite",
                     "--quantize", "int8"]) == 0
    written = tmp_path / "generator.int8.tflite"
    assert capsys.readouterr().out.strip() == str(written)
    assert written.is_file() and written.stat().st_size > 0


def test_cli_exports_a_checkpoint_to_onnx(tmp_path, capsys):
    model = kgz.create_model("cgan_tiny", seed=SEED)
    model.compile()
    model.save(tmp_path / "model.keras")
    assert cli.main(["export", str(tmp_path / "model.keras"), str(tmp_path / "g.onnx"),
                     "--format", "onnx"]) == 0
    assert (tmp_path / "g.onnx").is_file()


def test_cli_rejects_quantize_for_saved_model(tmp_path, capsys):
    assert cli.main(["export", "dcgan_fashion_mnist", str(tmp_path / "sm"),
                     "--quantize", "float16"]) == 2
    assert "applies to format='tflite' or 'onnx'" in capsys.readouterr().err
    assert not (tmp_path / "sm").exists()
