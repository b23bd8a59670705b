"""The contract every sequence model keeps, run on every tiny variant of the family.

A model registered with `register_model(..., tiny=...)` whose base is
`SequenceModel` is covered here without writing a test: fit, `.keras` round trip
and exact resume, the sampling SavedModel served in a process that never imports
keras_gan_zoo, mixed precision (bf16, fp16 and a forced overflow),
MirroredStrategy equality on 2 logical CPUs, input errors and seeded sampling.
"""

import json
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import assert_same_weights, max_abs_diff, serve_in_fresh_process, weights

TINY_MODELS = kgz.registry.list_tiny_models(family="sequence")
LENGTH = 12


def sequences_for(model, n=8, length=LENGTH, seed=0):
    rng = np.random.default_rng(seed)
    if model.input_kind == "audio":
        return rng.uniform(-1, 1, (n, length)).astype("float32")
    return rng.integers(0, model.num_symbols, (n, length)).astype("int32")


def labels_for(model, n=8):
    return (np.arange(n) % model.num_classes).astype("int32") if model.conditional else None


def fit(model, n=8, **kwargs):
    return model.fit(sequences_for(model, n), labels_for(model, n), verbose=0, **kwargs)






def logits(model, x, labels=None):
    args = (x,) if labels is None else (x, tf.constant(labels))
    return keras.ops.convert_to_numpy(model(*args))


def test_the_family_has_tiny_variants():
    assert {"wavenet_tiny", "char_rnn_tiny"} <= set(TINY_MODELS)
    assert "sequence" in kgz.models.base.FAMILIES


@pytest.mark.parametrize("name", TINY_MODELS)
def test_fit_two_steps_finite_and_changes_weights(name):
    model = kgz.create_model(name)
    model.compile()
    before = weights(model)
    history = fit(model, batch_size=4, epochs=1)
    assert set(history.history) == {"nll", model.bits_metric, *getattr(model, "extra_metrics", ())}
    for values in history.history.values():
        assert np.all(np.isfinite(values))
    np.testing.assert_allclose(history.history[model.bits_metric],
                               np.array(history.history["nll"]) / np.log(2), rtol=1e-5)
    # An untrained softmax over V symbols starts near ln V nats.
    assert abs(history.history["nll"][0] - np.log(model.num_symbols)) < 1.0
    assert max_abs_diff(before, weights(model)) > 0
    assert int(model.optimizer.iterations) == 2


@pytest.mark.parametrize("name", TINY_MODELS)
def test_keras_round_trip_and_exact_resume(name, tmp_path):
    model = kgz.create_model(name)
    model.compile()
    fit(model, batch_size=4, epochs=1, shuffle=False)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model)
    assert restored.get_config() == model.get_config()
    json.dumps(model.get_config())  # flat, JSON-able
    x = sequences_for(model, 3, seed=4)
    np.testing.assert_array_equal(logits(restored, x, labels_for(model, 3)),
                                  logits(model, x, labels_for(model, 3)))
    labels = labels_for(model, 2)
    np.testing.assert_array_equal(restored.sample_ids(2, 6, seed=1, labels=labels),
                                  model.sample_ids(2, 6, seed=1, labels=labels))
    assert int(restored.optimizer.iterations) == 2
    for saved, loaded in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), loaded.numpy())
    fit(model, batch_size=4, epochs=1, shuffle=False)
    fit(restored, batch_size=4, epochs=1, shuffle=False)
    assert max_abs_diff(weights(model), weights(restored)) == 0.0


SERVE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    path, labels_file, out_file = sys.argv[1:]
    served = tf.saved_model.load(path)
    scalars = dict(length=tf.constant(7), seed=tf.constant(3), temperature=tf.constant(1.0))
    if labels_file != "-":
        out = served.serve(labels=tf.constant(np.load(labels_file)), **scalars)
    else:
        out = served.serve(num=tf.constant(2), **scalars)
    np.save(out_file, out["ids"].numpy())
    decoded = {k: v.dtype.name for k, v in out.items() if k != "ids"}
    print(json.dumps({"decoded": decoded, "shape": list(out["ids"].shape),
                      "imported_zoo": "keras_gan_zoo" in sys.modules}))
    """
)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_export_serves_without_the_package(name, tmp_path):
    model = kgz.create_model(name)
    export_dir = model.export_sampler(tmp_path / "sampler")
    labels = labels_for(model, 2)
    labels_file = "-"
    if labels is not None:
        labels_file = str(tmp_path / "labels.npy")
        np.save(labels_file, labels)
    report = serve_in_fresh_process(SERVE_SCRIPT, [export_dir, labels_file, str(tmp_path / "ids.npy")], tmp_path)
    assert report["imported_zoo"] is False
    assert report["shape"] == [2, 7]
    assert report["decoded"] in ({"audio": "float32"}, {"text": "string"})
    np.testing.assert_array_equal(np.load(tmp_path / "ids.npy"),
                                  model.sample_ids(2, 7, seed=3, labels=labels))


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", TINY_MODELS)
def test_mixed_precision_fit(name, policy):
    keras.mixed_precision.set_global_policy(policy)
    model = kgz.create_model(name)
    model.compile()
    scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16")
    before = weights(model)
    history = fit(model, batch_size=4, epochs=1)
    assert all(np.all(np.isfinite(v)) for v in history.history.values())
    assert max_abs_diff(before, weights(model)) > 0
    x = sequences_for(model, 2)
    out = model(x) if not model.conditional else model(x, tf.constant(labels_for(model, 2)))
    assert out.dtype == "float32"
    assert model.sample_ids(2, 5, seed=0, labels=labels_for(model, 2)).shape == (2, 5)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_float16_overflow_skips_the_step(name):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = kgz.create_model(name)
    # 2**60 times the loss overflows float16 gradients: a guaranteed non-finite step.
    model.compile(optimizer=keras.optimizers.LossScaleOptimizer(
        keras.optimizers.Adam(1e-3), initial_scale=2.0**60))
    before = weights(model)
    fit(model, n=8, batch_size=8, epochs=1)
    assert max_abs_diff(before, weights(model)) == 0.0
    assert float(model.optimizer.dynamic_scale) == 2.0**59
    assert int(model.optimizer.iterations) == 0
    model.optimizer.dynamic_scale.assign(2.0**8)
    fit(model, n=8, batch_size=8, epochs=1)
    assert max_abs_diff(before, weights(model)) > 0


@pytest.mark.parametrize("name", TINY_MODELS)
def test_mirrored_strategy_matches_single_device(name, mirrored_strategy):
    """2 replicas x 4 sequences == 1 device x 8 sequences, weight for weight."""
    single = kgz.create_model(name)
    x, y = sequences_for(single, 8), labels_for(single, 8)
    with mirrored_strategy.scope():
        mirrored = kgz.create_model(name)
        mirrored.set_weights(single.get_weights())
        mirrored.compile()
    single.compile()
    initial = weights(single)
    data = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y)).batch(8)
    single.fit(data, epochs=2, verbose=0)
    mirrored.fit(data, epochs=2, verbose=0)
    assert mirrored_strategy.num_replicas_in_sync == 2
    assert_same_weights(single, mirrored)
    assert max_abs_diff(initial, weights(single)) > 1e-4


@pytest.mark.parametrize("name", TINY_MODELS)
def test_bad_inputs_raise_clear_errors(name):
    model = kgz.create_model(name)
    model.compile()
    y = labels_for(model, 8)
    good = sequences_for(model, 8)
    with pytest.raises(ValueError, match=r"of shape \(batch, time\); got shape \(8, 12, 2\)"):
        model.fit(np.stack([good, good], -1), y, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"at least 2 elements"):
        model.fit(good[:, :1], y, batch_size=4, verbose=0)
    if model.input_kind == "audio":
        with pytest.raises(ValueError, match=r"expected float audio.*got dtype int32"):
            model.fit(np.zeros((8, LENGTH), "int32"), y, batch_size=4, verbose=0)
        with pytest.raises(ValueError, match=r"audio in \[-1, 1\].*32768"):
            model.fit(good * 300, y, batch_size=4, verbose=0)
    else:
        with pytest.raises(ValueError, match=r"expected int token ids.*got dtype float32"):
            model.fit(good.astype("float32"), y, batch_size=4, verbose=0)
        with pytest.raises(ValueError, match=rf"must be in \[0, {model.num_symbols}\)"):
            model.fit(good + model.num_symbols, y, batch_size=4, verbose=0)
    bad_ds = tf.data.Dataset.from_tensor_slices(
        good[..., None] if y is None else (good[..., None], y)).batch(4)
    with pytest.raises(ValueError, match=r"of shape \(batch, time\)"):
        model.fit(bad_ds, verbose=0)
    with pytest.raises(ValueError, match=r"positive int"):
        model.sample_ids(0, 5)
    with pytest.raises(ValueError, match=r"length must be a positive int"):
        model.sample_ids(2, 0, labels=labels_for(model, 2))
    with pytest.raises(ValueError, match=r"temperature must be a number > 0"):
        model.sample_ids(2, 5, temperature=0.0, labels=labels_for(model, 2))
    if model.conditional:
        with pytest.raises(ValueError, match=r"conditional.*\(sequences, labels\)"):
            model.fit(good, batch_size=4, verbose=0)
        with pytest.raises(ValueError, match=r"conditional: pass labels="):
            model.sample_ids(2, 5)
        with pytest.raises(ValueError, match=r"labels must be in \[0"):
            model.sample_ids(2, 5, labels=[0, model.num_classes])
    else:
        with pytest.raises(ValueError, match=r"unconditional"):
            model.sample_ids(2, 5, labels=[0, 1])
    with pytest.raises(TypeError, match=r"optimizer="):
        model.compile(generator_optimizer="adam")
    with pytest.raises(TypeError, match=r"optimizer="):
        model.compile(loss="mse")


@pytest.mark.parametrize("name", TINY_MODELS)
def test_fit_before_compile_says_so(name):
    model = kgz.create_model(name)
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        fit(model, batch_size=4)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_sampling_is_deterministic_per_seed(name):
    model = kgz.create_model(name)
    labels = labels_for(model, 3)
    a = model.sample_ids(3, 9, seed=11, labels=labels)
    assert a.shape == (3, 9) and a.dtype == np.int32
    assert a.min() >= 0 and a.max() < model.num_symbols
    np.testing.assert_array_equal(a, model.sample_ids(3, 9, seed=11, labels=labels))
    assert not np.array_equal(a, model.sample_ids(3, 9, seed=12, labels=labels))
