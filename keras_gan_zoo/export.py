"""Generator exports beyond SavedModel: TFLite (LiteRT) and ONNX files.

Every model's `export_generator(path, format=..., quantize=...)` builds its serving
endpoints once (a `keras.export.ExportArchive`: `serve(z)`, `serve(z, labels)`,
`serve(images)`, a style model's `mapping` / `serve_ws` ...). `format="saved_model"`
(the default) writes them as a TF SavedModel, as before. For `"tflite"` and `"onnx"`
that SavedModel is written to a staging directory and converted from its signatures,
so the files take the same inputs (same names, dtypes, shapes; the batch dimension
stays dynamic) and give the same outputs (named as the SavedModel's, `output_0`):

- one file per endpoint: `serve` in the file named by `path`, any other endpoint `E`
  (`serve_b_to_a`, `mapping`, ...) beside it as `<stem>.E.<ext>` (`endpoint_path`).
  ONNX has one entry point per model, and TF 2.21's TFLite converter given several
  signatures of one SavedModel writes only one of them (as `serving_default`);
- **tflite**: the file's signature is named after its endpoint
  (`Interpreter(path).get_signature_runner("serve")(z=z)["output_0"]`), converted by
  `tf.lite.TFLiteConverter` with TF builtin ops only (no Flex ops, so the plain
  `ai-edge-litert` / `tf.lite` interpreter runs it);
- **onnx**: converted by `tf2onnx` (opset `ONNX_OPSET`), checked with
  `onnx.checker`, run with `onnxruntime.InferenceSession(path).run(None, {"z": z})`.

`quantize` shrinks the weights; the graph keeps float32 inputs and outputs:

- `"float16"`: weights stored as float16 (TFLite's float16 quantization; for ONNX the
  float32 initializers become float16 ones cast back to float32 at load), about half
  the size, compute in float32 on CPU;
- `"int8"`: dynamic-range quantization: int8 weights, activations quantized on the fly
  where the runtime has int8 kernels (TFLite's default optimization;
  `onnxruntime.quantization.quantize_dynamic` for ONNX), about a quarter the size.

What cannot be exported this way raises a `ValueError` that says why before anything
is written: string inputs or outputs (caption tokenizers, decoded text), and samplers
that draw their own randomness from a seed inside the graph (the sequence models:
TF's stateless RNG has no TFLite builtin nor ONNX equivalent that reproduces it).
`docs/exports.md` lists every family x format.

The converters are optional dependencies: `pip install "keras-gan-zoo[export]"`.
"""

import os
import shutil
import tempfile

FORMATS = ("saved_model", "tflite", "onnx")
QUANTIZE = (None, "float16", "int8")
EXTENSIONS = {"tflite": ".tflite", "onnx": ".onnx"}
#: The ONNX opset the converter targets (onnxruntime >= 1.14 runs it).
ONNX_OPSET = 17
#: The signature every SavedModel also gets (a copy of `serve`): not exported again.
_DEFAULT_SIGNATURE = "serving_default"


def check_options(format, quantize, unsupported=None):
    """Validates `format` / `quantize` (and a model's `unsupported` {format: reason})."""
    if not isinstance(format, str) or format not in FORMATS:
        raise ValueError(f"format must be one of {list(FORMATS)}; got {format!r}.")
    if quantize not in QUANTIZE:
        raise ValueError(f"quantize must be one of {list(QUANTIZE)}; got {quantize!r}.")
    if quantize is not None and format == "saved_model":
        raise ValueError(f"quantize={quantize!r} applies to format='tflite' or 'onnx'; a "
                         f"SavedModel keeps the model's float32 weights.")
    if unsupported and format in unsupported:
        raise ValueError(f"format={format!r} cannot express this model: {unsupported[format]}")


def default_filename(format, quantize=None):
    """The file a directory target receives: `generator.tflite`, `generator.int8.onnx` ..."""
    middle = "" if quantize is None else f".{quantize}"
    return f"generator{middle}{EXTENSIONS[format]}"


def resolve_path(path, format, quantize=None):
    """Where a tflite / onnx export goes: `path` itself when it ends with the format's
    extension (`.tflite`, `.onnx`), else `path/` + `default_filename(...)`."""
    path = os.path.abspath(os.fspath(path))
    if format == "saved_model" or path.endswith(EXTENSIONS[format]):
        return path
    return os.path.join(path, default_filename(format, quantize))


def endpoint_path(path, endpoint):
    """The file of `endpoint` for a tflite / onnx export to `path` (`serve` is `path`
    itself; `mapping` of `out/generator.onnx` is `out/generator.mapping.onnx`)."""
    if endpoint == "serve":
        return path
    stem, ext = os.path.splitext(path)
    return f"{stem}.{endpoint}{ext}"


def _require(module, package):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise RuntimeError(
            f"exporting to this format needs {package!r}: pip install "
            f"'keras-gan-zoo[export]' (or pip install {package})") from error


def _signatures(saved_model_dir):
    """{endpoint: concrete signature function} of a SavedModel, `serve` first."""
    import tensorflow as tf

    loaded = tf.saved_model.load(saved_model_dir)
    names = sorted((n for n in loaded.signatures if n != _DEFAULT_SIGNATURE),
                   key=lambda n: (n != "serve", n))
    return loaded, {name: loaded.signatures[name] for name in names}


def _check_expressible(signatures, format):
    """A ValueError for string tensors: neither converter handles them as builtins."""
    import tensorflow as tf

    for name, fn in signatures.items():
        inputs = fn.structured_input_signature[1]
        outputs = fn.structured_outputs
        for kind, specs in (("input", inputs), ("output", outputs)):
            for key, spec in specs.items():
                if spec.dtype == tf.string:
                    raise ValueError(
                        f"format={format!r} cannot express endpoint {name!r}: its {kind} "
                        f"{key!r} is a string tensor (a tokenizer or text decoder in the "
                        f"graph), which TFLite builtins and tf2onnx do not convert. Use "
                        f"format='saved_model'.")


def convert_saved_model(saved_model_dir, path, format, quantize=None):
    """Converts every endpoint of a SavedModel written by `export_generator` into
    `path` (a file; see the module docstring). Returns `path`."""
    check_options(format, quantize)
    if format == "saved_model":
        raise ValueError("convert_saved_model converts to 'tflite' or 'onnx'.")
    loaded, signatures = _signatures(saved_model_dir)
    if not signatures:
        raise ValueError(f"{saved_model_dir!r} has no serving signatures to convert.")
    _check_expressible(signatures, format)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=os.path.dirname(path))
    try:
        if format == "tflite":
            written = {endpoint_path(path, name): _to_tflite(saved_model_dir, name,
                                                             quantize, staging)
                       for name in signatures}
        else:
            written = {endpoint_path(path, name): _to_onnx(fn, name, quantize, staging)
                       for name, fn in signatures.items()}
        for target, source in written.items():
            os.replace(source, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    del loaded
    return path


# ------------------------------------------------------------------ TFLite
def _to_tflite(saved_model_dir, endpoint, quantize, staging):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir,
                                                         signature_keys=[endpoint])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    try:
        flatbuffer = converter.convert()
    except Exception as error:  # the converter raises ConverterError and friends
        raise ValueError(f"format='tflite' cannot express endpoint {endpoint!r} with "
                         f"TFLite builtin ops: {str(error).strip()[:2000]}") from error
    out = os.path.join(staging, f"{endpoint}.tflite")
    with open(out, "wb") as f:
        f.write(flatbuffer)
    return out


# -------------------------------------------------------------------- ONNX
def _to_onnx(signature, endpoint, quantize, staging):
    import tensorflow as tf

    tf2onnx = _require("tf2onnx", "tf2onnx")
    onnx = _require("onnx", "onnx")
    specs = signature.structured_input_signature[1]
    names = list(specs)  # keyword order of the signature
    input_signature = [tf.TensorSpec(specs[n].shape, specs[n].dtype, name=n) for n in names]

    @tf.function(input_signature=input_signature)
    def run(*args):
        return signature(**dict(zip(names, args)))

    try:
        model, _ = tf2onnx.convert.from_function(run, input_signature=input_signature,
                                                 opset=ONNX_OPSET)
    except Exception as error:
        raise ValueError(f"format='onnx' cannot express endpoint {endpoint!r}: tf2onnx "
                         f"failed: {str(error).strip()[:2000]}") from error
    # tf2onnx logs (and does not raise for) a node it could not convert and leaves it
    # in the graph as it was: an ONNX model that must not be written.
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:
        raise ValueError(f"format='onnx' cannot express endpoint {endpoint!r}: tf2onnx "
                         f"left a node it could not convert: {str(error).strip()[:2000]}"
                         ) from error
    _rename_outputs(model, sorted(signature.structured_outputs))
    out = os.path.join(staging, f"{endpoint}.onnx")
    if quantize == "float16":
        _weights_to_float16(model)
    if quantize == "int8":
        plain = os.path.join(staging, f"{endpoint}.float32.onnx")
        onnx.save(model, plain)
        quantization = _require("onnxruntime.quantization", "onnxruntime")
        quantization.quantize_dynamic(plain, out, weight_type=quantization.QuantType.QUInt8)
    else:
        onnx.save(model, out)
    return out


def _rename_outputs(model, names):
    """Names the graph's outputs as the SavedModel signature's (`output_0`, ...):
    tf2onnx calls them after TF tensors (`Identity:0`). A flattened dict's outputs
    come in sorted key order."""
    graph = model.graph
    if len(names) != len(graph.output):
        return
    renames = {out.name: new for out, new in zip(graph.output, names)}
    for node in graph.node:
        for i, name in enumerate(node.output):
            node.output[i] = renames.get(name, name)
        for i, name in enumerate(node.input):
            node.input[i] = renames.get(name, name)
    for out in graph.output:
        out.name = renames[out.name]


def _weights_to_float16(model):
    """Stores every float32 initializer as float16, cast back to float32 by a `Cast`
    node at the graph's start: half the file, float32 compute (TFLite's float16
    quantization does the same on CPU)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    kept, casts = [], []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or len(init.dims) == 0:
            kept.append(init)
            continue
        values = numpy_helper.to_array(init)
        if values.size < 16:  # scalars and tiny shape-like constants stay exact
            kept.append(init)
            continue
        half = numpy_helper.from_array(values.astype(np.float16), init.name + "__fp16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                      name=init.name + "__to_fp32"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)


def export_model(model, path, format="saved_model", quantize=None):
    """`model.export_generator(path, format=, quantize=)` for any zoo model, also one
    whose `export_generator` predates `format=` (its SavedModel is staged and
    converted here). What the CLI's `export` command calls. Returns the path written."""
    import inspect

    check_options(format, quantize, getattr(model, "export_unsupported", None))
    parameters = inspect.signature(model.export_generator).parameters
    if "format" in parameters:
        return model.export_generator(path, format=format, quantize=quantize)
    if format == "saved_model":
        return model.export_generator(path)
    target = resolve_path(path, format, quantize)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=os.path.dirname(target))
    try:
        saved_model = model.export_generator(os.path.join(staging, "model"))
        return convert_saved_model(saved_model, target, format, quantize)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
