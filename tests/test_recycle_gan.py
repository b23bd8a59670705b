"""Recycle-GAN's own numerics: the recycle, recurrent, adversarial and cycle terms
recomputed from the sub-networks, which optimizer trains what, the switches, video
retargeting and its errors.

The family contract (fit, resume, export, precision, MirroredStrategy == one device)
runs on `recycle_gan_tiny` in tests/test_contract_translation.py, on clips of 3 frames
(`contract_helpers.training_data` reads the model's `clip_length`).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import SEED, max_abs_diff, weights
from keras_gan_zoo.models.translation import RecycleGAN
from keras_gan_zoo.models.translation.recycle_gan import stack_frames


def model_with(**overrides):
    return kgz.create_model("recycle_gan_tiny", seed=SEED, **overrides)


def clips(model, n=4, seed=0):
    """`n` unaligned clips `(n, 3, 16, 16, 1)` of each domain."""
    rng = np.random.default_rng(seed)
    shape = (n, model.clip_length, *model.image_shape)
    return (rng.uniform(-1, 1, shape).astype("float32"),
            rng.uniform(-1, 1, shape).astype("float32"))


def frozen_step(model, a, b):
    """One step with SGD(0): the logs are the losses of the initial weights."""
    model.compile(generator_optimizer=keras.optimizers.SGD(0.0),
                  discriminator_optimizer=keras.optimizers.SGD(0.0))
    logs = model.fit(a, b, batch_size=len(a), epochs=1, verbose=0).history
    return {key: values[0] for key, values in logs.items()}


def run(network, images):
    return network(tf.constant(images), training=True).numpy()


def by_hand(x, y, source_gen, back_gen, own_pred, other_pred, judge):
    """The terms of one direction from the sub-networks, in numpy."""
    x0, x1, x2, y0, y1, y2 = x[:, 0], x[:, 1], x[:, 2], y[:, 0], y[:, 1], y[:, 2]
    f0, f1 = run(source_gen, x0), run(source_gen, x1)
    predicted_fake = run(other_pred, np.concatenate([f0, f1], axis=-1))  # oldest first
    recycle = np.mean(np.abs(run(back_gen, predicted_fake) - x2))
    recurrent = np.mean(np.abs(run(own_pred, np.concatenate([x0, x1], axis=-1)) - x2))
    # One LSGAN term per judged frame, summed (the authors' code).
    g_gan = sum(np.mean((run(judge, f) - 1.0) ** 2) for f in (f0, f1, predicted_fake))
    d_loss = sum(0.5 * np.mean((run(judge, real) - 1.0) ** 2) + 0.5 * np.mean(run(judge, f) ** 2)
                 for real, f in ((y0, f0), (y1, f1), (y2, predicted_fake)))
    cycle = np.mean(np.abs(run(back_gen, np.concatenate([f0, f1])) - np.concatenate([x0, x1])))
    return {"recycle": recycle, "recurrent": recurrent, "g_gan": g_gan, "d_loss": d_loss,
            "cycle": cycle}


# ---------------------------------------------------------------- the terms
def test_every_term_recomputed_by_hand_from_the_sub_networks():
    model = model_with(cycle_weight=10.0)
    a, b = clips(model)
    m = model
    from_a = by_hand(a, b, m.generator_a_to_b, m.generator_b_to_a, m.predictor_a,
                     m.predictor_b, m.discriminator_b)
    from_b = by_hand(b, a, m.generator_b_to_a, m.generator_a_to_b, m.predictor_b,
                     m.predictor_a, m.discriminator_a)
    logs = frozen_step(model, a, b)
    for term in ("recycle", "recurrent", "g_gan", "d_loss", "cycle"):
        assert logs[term] == pytest.approx(from_a[term] + from_b[term], rel=1e-4), term
    assert logs["recycle"] > 0.05 and logs["recurrent"] > 0.05
    expected = logs["g_gan"] + 10 * (logs["recycle"] + logs["recurrent"] + logs["cycle"])
    assert logs["g_loss"] == pytest.approx(expected, rel=1e-5)


def test_the_predictors_see_the_frames_side_by_side_oldest_first():
    frames = np.arange(2 * 3 * 2 * 2 * 2, dtype="float32").reshape(2, 3, 2, 2, 2)
    stacked = stack_frames(tf.constant(frames.reshape(6, 2, 2, 2)), 3).numpy()
    assert stacked.shape == (2, 2, 2, 6)
    np.testing.assert_array_equal(stacked, np.concatenate([frames[:, t] for t in range(3)],
                                                          axis=-1))
    model = model_with(context_frames=3)
    assert model.clip_length == 4 and model.predictor_a.input_shape == (None, 16, 16, 3)
    context = np.random.default_rng(1).uniform(-1, 1, (2, 3, 16, 16, 1)).astype("float32")
    expected = model.predictor_a(np.concatenate(list(context.transpose(1, 0, 2, 3, 4)),
                                                axis=-1)).numpy()
    np.testing.assert_allclose(model.predict_next_frame(context), expected, atol=1e-6)
    np.testing.assert_allclose(model.predict_next_frame(context[0]), expected[0], atol=1e-6)


def test_the_recurrent_loss_alone_trains_the_predictors_only():
    model = model_with(adversarial_weight=0.0, recycle_weight=0.0, recurrent_weight=10.0,
                       cycle_weight=0.0)
    model.compile()
    generators = weights(model.generator_a_to_b) + weights(model.generator_b_to_a)
    predictors = weights(model.predictor_a) + weights(model.predictor_b)
    logs = model.fit(*clips(model), batch_size=4, epochs=2, verbose=0).history
    assert max_abs_diff(generators, weights(model.generator_a_to_b)
                        + weights(model.generator_b_to_a)) == 0.0
    assert max_abs_diff(predictors, weights(model.predictor_a) + weights(model.predictor_b)) > 0
    assert logs["recycle"] == [0.0, 0.0] and logs["cycle"] == [0.0, 0.0]
    assert logs["g_gan"] == [0.0, 0.0]
    assert logs["g_loss"][1] == pytest.approx(10 * logs["recurrent"][1], rel=1e-6)
    assert logs["recurrent"][1] < logs["recurrent"][0]  # Adam on a fixed batch


def test_the_cyclegan_twin_is_cyclegans_objective_and_leaves_the_predictors_alone():
    """recycle = recurrent = 0, cycle 10: CycleGAN's LSGAN + cycle objective on the
    context frames; only the two translated frames are judged."""
    twin = model_with(recycle_weight=0.0, recurrent_weight=0.0, cycle_weight=10.0)
    a, b = clips(twin)
    expected = {"g_gan": 0.0, "d_loss": 0.0, "cycle": 0.0}
    for x, y, forward, back, judge in ((a, b, twin.generator_a_to_b, twin.generator_b_to_a,
                                        twin.discriminator_b),
                                       (b, a, twin.generator_b_to_a, twin.generator_a_to_b,
                                        twin.discriminator_a)):
        for t in (0, 1):
            fake = run(forward, x[:, t])
            expected["g_gan"] += np.mean((run(judge, fake) - 1.0) ** 2)
            expected["d_loss"] += 0.5 * (np.mean((run(judge, y[:, t]) - 1.0) ** 2)
                                         + np.mean(run(judge, fake) ** 2))
            expected["cycle"] += np.mean(np.abs(run(back, fake) - x[:, t])) / 2
    predictors = weights(twin.predictor_a) + weights(twin.predictor_b)
    logs = frozen_step(twin, a, b)
    for term, value in expected.items():
        assert logs[term] == pytest.approx(value, rel=1e-4), term
    assert logs["recycle"] == 0.0 and logs["recurrent"] == 0.0
    twin.compile()  # Adam: the generators move, the predictors get no gradient at all
    generators = weights(twin.generator_a_to_b)
    twin.fit(a, b, batch_size=4, epochs=1, verbose=0)
    assert max_abs_diff(predictors, weights(twin.predictor_a) + weights(twin.predictor_b)) == 0
    assert max_abs_diff(generators, weights(twin.generator_a_to_b)) > 0


@pytest.mark.parametrize("term", ["adversarial", "recycle", "recurrent", "cycle"])
def test_a_zero_weight_switches_its_term_off(term):
    weights_on = dict(adversarial_weight=1.0, recycle_weight=10.0, recurrent_weight=10.0,
                      cycle_weight=10.0)
    model = model_with(**{**weights_on, f"{term}_weight": 0.0})
    logs = frozen_step(model, *clips(model))
    log = "g_gan" if term == "adversarial" else term
    assert logs[log] == 0.0
    others = [name for name in ("g_gan", "recycle", "recurrent", "cycle") if name != log]
    assert all(logs[name] > 0 for name in others)
    factors = {"g_gan": 1.0, "recycle": 10.0, "recurrent": 10.0, "cycle": 10.0}
    assert logs["g_loss"] == pytest.approx(sum(factors[k] * logs[k] for k in others), rel=1e-5)


# ----------------------------------------------------------------- retargeting
def test_translate_video_maps_every_frame_and_keeps_the_shape():
    model = model_with()
    videos = np.random.default_rng(2).uniform(-1, 1, (2, 5, 16, 16, 1)).astype("float32")
    out = model.translate_video(videos)
    assert out.shape == videos.shape and out.dtype == np.float32
    assert out.min() >= -1 and out.max() <= 1
    np.testing.assert_allclose(out.reshape(10, 16, 16, 1),
                               model.translate(videos.reshape(10, 16, 16, 1)), atol=1e-6)
    np.testing.assert_array_equal(out, model.translate_video(videos))  # deterministic
    np.testing.assert_allclose(model.translate_video(videos[1]), out[1], atol=1e-6)
    back = model.translate_video(tf.constant(videos), direction="b_to_a", batch_size=3)
    np.testing.assert_allclose(back.reshape(10, 16, 16, 1),
                               model.translate(videos.reshape(10, 16, 16, 1),
                                               direction="b_to_a"), atol=1e-6)
    assert not np.allclose(back, out)


def test_video_and_clip_errors_say_what_was_expected():
    model = model_with()
    model.compile()
    a, b = clips(model)
    with pytest.raises(ValueError, match=r"clips of 3 consecutive frames.*num_frames=3"):
        model.fit(a[:, 0], b[:, 0], batch_size=4, verbose=0)  # frames, not clips
    with pytest.raises(ValueError, match=r"fit, b: expected images of shape \(batch, 3, 16"):
        model.fit(a, np.concatenate([b, b], axis=1), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"translate_video\(a_to_b\): expected a video "
                                         r"\(frames, 16, 16, 1\).*got shape \(16, 16, 1\)"):
        model.translate_video(a[0, 0])
    with pytest.raises(ValueError, match=r"got shape \(2, 3, 8, 8, 1\)"):
        model.translate_video(np.zeros((2, 3, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match=r"translate_video\(b_to_a\): expected images in"):
        model.translate_video(a * 3, direction="b_to_a")
    with pytest.raises(ValueError, match=r"expected float images"):
        model.translate_video(np.zeros((3, 16, 16, 1), "uint8"))
    with pytest.raises(TypeError, match=r"numeric array of frames"):
        model.translate_video([["frame"]])
    with pytest.raises(ValueError, match=r"direction must be one of"):
        model.translate_video(a[0], direction="a_to_a")
    with pytest.raises(ValueError, match=r"expected 2 context frames"):
        model.predict_next_frame(a[0])
    with pytest.raises(ValueError, match=r"domain must be one of"):
        model.predict_next_frame(a[0, :2], domain="x")


@pytest.mark.parametrize("kwargs, message", [
    (dict(recycle_weight=-1.0), "recycle_weight must be a number >= 0"),
    (dict(recurrent_weight="10"), "recurrent_weight must be a number >= 0"),
    (dict(context_frames=0), "context_frames must be an int >= 1"),
    (dict(adversarial_weight=0.0, recycle_weight=0.0, recurrent_weight=0.0),
     "all 0: nothing would train"),
    (dict(patch_layers=9), "patch_layers must be an int in"),
])
def test_bad_hyperparameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        model_with(**kwargs)


def test_defaults_and_config_round_trip():
    model = RecycleGAN(image_shape=(128, 128, 3), base_filters=4, predictor_filters=4)
    assert (model.num_blocks, model.recycle_weight, model.recurrent_weight,
            model.cycle_weight, model.context_frames) == (6, 10.0, 10.0, 0.0, 2)
    assert model.predictor_a.input_shape == (None, 128, 128, 6)
    tiny = model_with(cycle_weight=10.0, domain_names=("digits", "fashion"))
    again = RecycleGAN.from_config(tiny.get_config())
    assert again.get_config() == tiny.get_config()
    def count(model, *networks):
        return sum(len(getattr(model, n).trainable_variables) for n in networks)

    generators, predictors = ("generator_a_to_b", "generator_b_to_a"), ("predictor_a",
                                                                         "predictor_b")
    # The generator optimizer trains what the switched-on terms reach, and no more.
    assert len(again.optimizer_variables("generator_optimizer")) == count(
        again, *generators, *predictors)
    twin = model_with(recycle_weight=0.0, recurrent_weight=0.0, cycle_weight=10.0)
    assert len(twin.optimizer_variables("generator_optimizer")) == count(twin, *generators)
    recurrent_only = model_with(adversarial_weight=0.0, recycle_weight=0.0)
    assert len(recurrent_only.optimizer_variables("generator_optimizer")) == count(
        recurrent_only, *predictors)
