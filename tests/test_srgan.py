"""SRResNet / SRGAN's own numerics: sub-pixel upsampling, the networks' structure,
the content loss and its frozen network, the SRResNet initialization, the schedule.
The family contract runs on `srresnet_tiny` and `srgan_tiny` in
tests/test_contract_translation.py.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import SEED, max_abs_diff, weights
from keras_gan_zoo.layers import PixelShuffle
from keras_gan_zoo.models.translation import (SRGAN, build_content_network, srgan_discriminator,
                                              srresnet_generator)


def trainable_count(network):
    return sum(int(np.prod(v.shape)) for v in network.trainable_variables)


def pairs(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, *model.image_shape)).astype("float32"),
            rng.uniform(-1, 1, (n, *model.target_shape)).astype("float32"))


def test_pixel_shuffle_moves_channels_into_blocks():
    x = np.arange(1 * 2 * 3 * 8, dtype="float32").reshape(1, 2, 3, 8)
    out = PixelShuffle(2)(x).numpy()
    assert out.shape == (1, 4, 6, 2)
    np.testing.assert_array_equal(out, tf.nn.depth_to_space(x, 2).numpy())
    # The 4 channel groups of pixel (0, 0) fill the 2x2 block at the top left.
    np.testing.assert_array_equal(out[0, :2, :2, 0].ravel(), x[0, 0, 0, ::2])
    assert PixelShuffle.from_config(PixelShuffle(3).get_config()).factor == 3
    with pytest.raises(ValueError, match="factor"):
        PixelShuffle(1)
    with pytest.raises(ValueError, match="divisible by 4"):
        PixelShuffle(2)(np.zeros((1, 2, 2, 6), "float32"))


def test_the_generator_has_the_papers_structure():
    # k9n64 + PReLU; 16 x [k3n64 BN PReLU k3n64 BN]; k3n64 BN; 2 x [k3n256 shuffle PReLU];
    # k9n3, with per-channel PReLU slopes.
    head = 9 * 9 * 3 * 64 + 64 + 64
    block = 2 * (3 * 3 * 64 * 64) + 2 * 2 * 64 + 64
    trunk = 3 * 3 * 64 * 64 + 2 * 64
    upsample = 3 * 3 * 64 * 256 + 256 + 64
    out = 9 * 9 * 64 * 3 + 3
    generator = srresnet_generator((24, 24, 3), scale=4)
    assert trainable_count(generator) == head + 16 * block + trunk + 2 * upsample + out
    assert generator.output_shape == (None, 96, 96, 3)
    for scale in (2, 8):
        assert srresnet_generator((5, 6, 1), scale, 4, 1).output_shape == (
            None, 5 * scale, 6 * scale, 1)


def test_the_discriminator_halves_four_times_to_one_logit():
    discriminator = srgan_discriminator((96, 96, 3))
    strided = [layer.output.shape[1] for layer in discriminator.layers
               if isinstance(layer, keras.layers.Conv2D)]
    assert strided == [96, 48, 48, 24, 24, 12, 12, 6]
    assert discriminator.get_layer("dense").kernel.shape == (6 * 6 * 512, 1024)
    assert discriminator.output_shape == (None, 1)


def test_the_content_loss_without_a_network_is_the_pixel_mse():
    model = kgz.create_model("srgan_tiny", seed=SEED, content_network=None)
    sr, hr = (tf.constant(np.full((2, 16, 16, 1), v, "float32")) for v in (0.5, -0.5))
    assert float(model.content_loss(sr, hr)) == pytest.approx(1.0)


def test_the_content_network_is_frozen_and_not_saved(tmp_path):
    model = kgz.create_model("srgan_tiny", seed=SEED)
    plain = kgz.create_model("srgan_tiny", seed=SEED, content_network=None)
    assert len(model.weights) == len(plain.weights)  # no classifier weights tracked
    network = model._content.network
    before = weights(network.weights)
    model.compile()
    model.fit(*pairs(model, 8), batch_size=4, epochs=1, verbose=0)
    assert max_abs_diff(before, weights(network.weights)) == 0.0
    path = tmp_path / "srgan.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.content_network == "fashion_mnist"
    assert restored._content.network is not None
    low, high = pairs(model, 2, seed=1)
    assert float(restored.content_loss(high, high)) == 0.0
    assert float(restored.content_loss(low.repeat(4, 1).repeat(4, 2), high)) == pytest.approx(
        float(model.content_loss(low.repeat(4, 1).repeat(4, 2), high)), rel=1e-5)


def test_content_features_see_gray_28_pixel_images():
    network, scale = build_content_network("fashion_mnist", (32, 32, 3))
    assert scale == 1.0 and network.output_shape == (None, 7, 7, 64)
    assert not network.trainable_weights


def test_vgg19_without_its_weights_is_a_clear_error(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("URL fetch failure")

    monkeypatch.setattr(keras.applications, "VGG19", offline)
    with pytest.raises(ValueError, match="VGG19 weights .*fashion_mnist"):
        SRGAN(image_shape=(8, 8, 3), base_filters=4, num_blocks=1, content_network="vgg19")


def test_srgan_starts_from_a_trained_srresnet():
    srresnet = kgz.create_model("srresnet_tiny", seed=SEED)
    srresnet.compile()
    low, high = pairs(srresnet, 8)
    srresnet.fit(low, high, batch_size=4, epochs=1, verbose=0)
    srgan = kgz.create_model("srgan_tiny", seed=SEED)
    assert srgan.initialize_from(srresnet) is srgan
    np.testing.assert_array_equal(srgan.translate(low), srresnet.translate(low))
    with pytest.raises(ValueError, match="num_blocks"):
        kgz.create_model("srgan_tiny", num_blocks=2).initialize_from(srresnet)
    with pytest.raises(TypeError, match="SRResNet"):
        srgan.initialize_from(kgz.create_model("pix2pix_tiny"))


def test_psnr_is_reported_on_images_in_minus_one_to_one():
    model = kgz.create_model("srresnet_tiny", seed=SEED)
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    low, high = pairs(model, 4)
    sr = model.generator(low, training=True).numpy()  # the step's batch statistics
    logs = model.fit(low, high, batch_size=4, epochs=1, verbose=0).history
    expected = float(tf.reduce_mean(tf.image.psnr(sr, high, max_val=2.0)))
    assert logs["psnr"][0] == pytest.approx(expected, rel=1e-4)
    assert logs["mse"][0] == pytest.approx(float(np.mean((sr - high) ** 2)), rel=1e-4)


def test_the_default_schedule_drops_the_rate_after_1e5_updates():
    model = kgz.create_model("srgan_tiny", seed=SEED)
    optimizer = model.default_optimizers()["generator_optimizer"]
    optimizer.iterations.assign(99_999)
    assert float(optimizer.learning_rate) == pytest.approx(1e-4)
    optimizer.iterations.assign(100_001)
    assert float(optimizer.learning_rate) == pytest.approx(1e-5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(scale=3), "scale"), (dict(scale=True), "scale"),
    (dict(content_network="alexnet"), "content_network"),
    (dict(adversarial_weight=-1.0), "adversarial_weight"),
    (dict(image_shape=(8, 8)), "image_shape"),
])
def test_bad_arguments_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SRGAN(**{**dict(image_shape=(4, 4, 1), base_filters=4, num_blocks=1,
                        content_network=None), **kwargs})
