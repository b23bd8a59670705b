"""The contract every image-to-image translator keeps, run on every tiny variant.

`register_model(..., tiny=...)` on a model of the translation family is enough to be
covered: fit on (source, target) pairs, `translate` (shape, range, determinism,
directions), `.keras` round trip and exact resume, SavedModel export served in a
process that never imports keras_gan_zoo, mixed precision (bf16, fp16 and a forced
overflow), MirroredStrategy equality on 2 logical CPUs, and input errors.
"""

import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import (assert_same_updates, max_abs_diff, serve_in_fresh_process, tiny,
                              training_data, weights)

TINY_MODELS = kgz.registry.list_tiny_models(family="translation")


def sources(model, n=4, seed=3, direction="a_to_b"):
    shape = model.input_shape_for(direction)
    return np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")


def fit(model, n=8, **kwargs):
    x, y = training_data(model, n)
    return model.fit(x, y, verbose=0, **kwargs)


def test_the_family_has_its_models():
    assert "pix2pix_tiny" in TINY_MODELS
    for name in TINY_MODELS:
        model = tiny(name)
        assert model.family == "translation"
        assert model.domains == ("a", "b") and len(model.domain_names) == 2
        assert set(model.directions) <= {"a_to_b", "b_to_a"}


@pytest.mark.parametrize("name", TINY_MODELS)
def test_fit_and_translate(name):
    model = tiny(name)
    model.compile()
    before = weights(model)
    history = fit(model, batch_size=4, epochs=1).history
    assert history and all(np.all(np.isfinite(v)) for v in history.values())
    assert max_abs_diff(before, weights(model)) > 0
    for optimizer in model.named_optimizers().values():
        assert int(optimizer.iterations.numpy()) == 2
    for direction in model.directions:
        x = sources(model, 5, direction=direction)
        out = model.translate(x, direction=direction)
        out_shape = model.target_shape if direction == "a_to_b" else model.image_shape
        assert out.shape == (5, *out_shape) and out.dtype == np.float32
        assert out.min() >= -1.0 and out.max() <= 1.0
        np.testing.assert_array_equal(out, model.translate(x, direction=direction))
        # Other batch sizes: equal up to the kernels' rounding.
        np.testing.assert_allclose(out[:2], model.translate(tf.constant(x[:2]),
                                                            direction=direction), atol=1e-6)
        np.testing.assert_allclose(out[:1], model.translate(x[0], direction=direction),
                                   atol=1e-6)
        np.testing.assert_allclose(out, model.translate(x, direction=direction, batch_size=2),
                                   atol=1e-6)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_keras_round_trip_and_resume(name, tmp_path):
    model = tiny(name)
    model.compile()
    fit(model, batch_size=4, epochs=1, shuffle=False)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model)
    assert restored.get_config() == model.get_config()
    assert int(restored.step_counter.numpy()) == 2
    for direction in model.directions:
        x = sources(model, direction=direction)
        np.testing.assert_array_equal(restored.translate(x, direction=direction),
                                      model.translate(x, direction=direction))
    fit(model, batch_size=4, epochs=1, shuffle=False)
    fit(restored, batch_size=4, epochs=1, shuffle=False)
    assert max_abs_diff(weights(model), weights(restored)) == 0.0


SERVE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    path, directions, out_dir = sys.argv[1:]
    served = tf.saved_model.load(path)
    report = {"imported_zoo": None, "dtypes": []}
    for direction in directions.split(","):
        endpoint = served.serve if direction == "a_to_b" else served.serve_b_to_a
        images = endpoint(tf.constant(np.load(f"{out_dir}/{direction}_in.npy")))
        np.save(f"{out_dir}/{direction}_out.npy", images.numpy())
        report["dtypes"].append(images.dtype.name)
    report["imported_zoo"] = "keras_gan_zoo" in sys.modules
    print(json.dumps(report))
    """
)


@pytest.mark.parametrize("name", TINY_MODELS)
def test_export_generator_serves_without_the_package(name, tmp_path):
    model = tiny(name)
    export_dir = model.export_generator(tmp_path / "translator")
    for direction in model.directions:
        np.save(tmp_path / f"{direction}_in.npy", sources(model, 3, direction=direction))
    report = serve_in_fresh_process(
        SERVE_SCRIPT, [export_dir, ",".join(model.directions), tmp_path], tmp_path)
    assert report == {"imported_zoo": False, "dtypes": ["float32"] * len(model.directions)}
    for direction in model.directions:
        served = np.load(tmp_path / f"{direction}_out.npy")
        np.testing.assert_allclose(
            served, model.translate(np.load(tmp_path / f"{direction}_in.npy"),
                                    direction=direction), atol=1e-6)


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", TINY_MODELS)
def test_mixed_precision_fit(name, policy):
    keras.mixed_precision.set_global_policy(policy)
    model = tiny(name)
    model.compile()
    for optimizer in model.named_optimizers().values():
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer) == (
            policy == "mixed_float16")
    history = fit(model, batch_size=4, epochs=1).history
    assert all(np.all(np.isfinite(v)) for v in history.values())
    out = model.translate(sources(model))
    assert out.dtype == np.float32 and np.all(np.isfinite(out))


@pytest.mark.parametrize("name", TINY_MODELS)
def test_float16_overflow_skips_every_update(name):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = tiny(name)
    # 2**60 times the loss overflows float16 gradients: a guaranteed non-finite step.
    model.compile(**{arg: keras.optimizers.LossScaleOptimizer(opt, initial_scale=2.0**60)
                     for arg, opt in model.default_optimizers().items()})
    before = weights(model)
    fit(model, batch_size=8, epochs=1)
    assert max_abs_diff(before, weights(model)) == 0.0
    assert all(int(opt.iterations.numpy()) == 0 for opt in model.named_optimizers().values())
    for optimizer in model.named_optimizers().values():
        optimizer.dynamic_scale.assign(2.0**8)
    fit(model, batch_size=8, epochs=1)
    assert max_abs_diff(before, weights(model)) > 0  # the skip was the overflow's doing


@pytest.mark.parametrize("name", TINY_MODELS)
def test_mirrored_strategy_matches_single_device(name, mirrored_strategy):
    """2 replicas x 4 pairs == 1 device x 8 pairs, weight for weight (the tiny
    variants have no dropout; batch norm is synchronized). SGD, not the models' Adam:
    Adam's first step moves a weight by about its learning rate whatever the size of its
    gradient, so a gradient that is zero but for rounding (1e-9 on one device, -1e-9 on
    two) moved recycle_gan_tiny's weights 4.9e-5 apart in one run of three."""
    single = tiny(name)
    x, y = training_data(single, 8)

    def compile(model):
        model.compile(**{arg: keras.optimizers.SGD(0.01) for arg in model.optimizer_networks})

    with mirrored_strategy.scope():
        mirrored = tiny(name)
        mirrored.set_weights(single.get_weights())
        compile(mirrored)
    compile(single)
    initial = single.get_weights()
    for model in (single, mirrored):
        model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=2, verbose=0)
    # Relative to the updates, not to the weights: video_gan_tiny's summed pixel losses
    # move some weights by 40 in two epochs, and a weight of 0.07 then differed by 2.4e-5
    # (rounding, 1e-6 of the largest update) between the runs.
    assert_same_updates(initial, single.get_weights(), mirrored.get_weights())
    assert max_abs_diff(initial, single.get_weights()) > 1e-4


@pytest.mark.parametrize("name", TINY_MODELS)
def test_bad_inputs_raise_clear_errors(name):
    model = tiny(name)
    model.compile()
    x, y = training_data(model, 8)
    h, w, c = model.image_shape
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.fit(np.zeros((8, h + 2, w, c), "float32"), y, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"expected images of shape"):
        model.fit(x, y[:, :-1], batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"expected float images.*uint8"):
        model.fit(x.astype("uint8"), y, batch_size=4, verbose=0)
    target = model.batch_fields()[1][0]  # "target", "b" (two domains), "high" (SR)
    with pytest.raises(ValueError, match=rf"fit, {target}: expected images in \[-1, 1\]"):
        model.fit(x, y * 255, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=rf"'{target}' is missing"):
        model.fit(tf.data.Dataset.from_tensor_slices(x).batch(4), verbose=0)
    with pytest.raises(ValueError, match=r"translate\(a_to_b\): expected images of shape"):
        model.translate(np.zeros((2, h + 1, w, c), "float32"))
    with pytest.raises(ValueError, match=r"translate\(a_to_b\): expected images in \[-1, 1\]"):
        model.translate(np.full((2, h, w, c), 2.0, "float32"))
    with pytest.raises(ValueError, match=r"expected float images"):
        model.translate(np.zeros((2, h, w, c), "uint8"))
    with pytest.raises(ValueError, match=r"direction must be one of"):
        model.translate(sources(model), direction="sideways")
    if "b_to_a" not in model.directions:
        with pytest.raises(ValueError, match=r"translates one way only"):
            model.translate(sources(model), direction="b_to_a")
    wrong = "generator_optimizer" if "optimizer" in model.optimizer_networks else "optimizer"
    with pytest.raises(TypeError, match=rf"{next(iter(model.optimizer_networks))}="):
        model.compile(**{wrong: "adam"})
    with pytest.raises(ValueError, match=r"domain_names must be two distinct"):
        kgz.create_model(name, domain_names=("same", "same"))


def test_fit_before_compile_says_so():
    model = tiny(TINY_MODELS[0])
    x, y = training_data(model, 8)
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        model.fit(x, y, batch_size=4, verbose=0)
