"""GAN-CLS specifics: the three-pair loss, wrong-caption pairing, the INT term, the
tokenizer and its errors, string-tensor serving and caption broadcast. (fit, save,
export in a fresh process, precision and MirroredStrategy: tests/test_contract.py.)"""

import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from contract_helpers import SEED, images_for
from keras_gan_zoo.models.adversarial.gan_cls import (CLS_FAKE_WEIGHT, GANCLS,
                                                      mismatch_partners)


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, "float64"))


@pytest.fixture(scope="module")
def model():
    return kgz.create_model("gan_cls_tiny", seed=SEED)


def test_three_pair_loss_by_hand(model):
    captions = ["sandal", "sandal", "a dark bag", "sandal"]
    ids = tf.constant(model.caption_ids(captions))
    # Next different caption, cyclically: 0 -> 2, 1 -> 2, 2 -> 3, 3 -> 2.
    wrong = tf.constant(model.caption_ids(["a dark bag", "a dark bag", "sandal", "a dark bag"]))
    real = tf.constant(images_for(model, 4, seed=1))
    fake = tf.constant(images_for(model, 4, seed=2))
    loss, terms = model.discriminator_objective(real, fake, ids)
    right_h = model.text_encoder(ids)
    wrong_h = model.text_encoder(wrong)
    s_r = model.discriminator([real, right_h], training=True).numpy()
    s_w = model.discriminator([real, wrong_h], training=True).numpy()
    s_f = model.discriminator([fake, right_h], training=True).numpy()
    # log D(x, h) + 0.5 (log(1 - D(x, h_wrong)) + log(1 - D(G(z), h))), negated.
    expected = softplus(-s_r).mean() + 0.5 * (softplus(s_w).mean() + softplus(s_f).mean())
    assert CLS_FAKE_WEIGHT == 0.5 and terms == {}
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
    # The wrong-caption pair matters: the same loss without it differs.
    assert abs(expected - (softplus(-s_r).mean() + 0.5 * softplus(s_f).mean())) > 1e-3


def test_one_caption_batch_has_no_wrong_term(model):
    ids = tf.constant(model.caption_ids(["bag"] * 4))
    real, fake = tf.constant(images_for(model, 4, 1)), tf.constant(images_for(model, 4, 2))
    loss, _ = model.discriminator_objective(real, fake, ids)
    h = model.text_encoder(ids)
    s_r = model.discriminator([real, h], training=True).numpy()
    s_f = model.discriminator([fake, h], training=True).numpy()
    np.testing.assert_allclose(float(loss), softplus(-s_r).mean() + 0.5 * softplus(s_f).mean(),
                               rtol=1e-5)


def test_wrong_caption_is_never_the_examples_own():
    rng = np.random.default_rng(0)
    for trial in range(30):
        n = int(rng.integers(1, 12))
        ids = rng.integers(2, 5, (n, 3)).astype("int32")  # few distinct captions: repeats
        partner, valid = (t.numpy() for t in mismatch_partners(tf.constant(ids)))
        distinct = {tuple(row) for row in ids}
        for i in range(n):
            if len(distinct) == 1:
                assert not valid[i] and partner[i] == i
                continue
            assert valid[i]
            assert partner[i] != i and tuple(ids[partner[i]]) != tuple(ids[i])
            # the FIRST different caption after i (cyclically)
            between = [(i + k) % n for k in range(1, (partner[i] - i) % n)]
            assert all(tuple(ids[j]) == tuple(ids[i]) for j in between)


def test_wrong_captions_are_paired_over_the_global_batch(model, mirrored_strategy):
    """Replica 0 holds only 'bag's: its wrong captions come from replica 1."""
    ids = model.caption_ids(["bag"] * 4 + ["sandal", "coat", "sandal", "coat"])
    single_wrong, single_valid = (t.numpy() for t in model.mismatched_captions(tf.constant(ids)))
    assert single_valid.all()
    halves = mirrored_strategy.experimental_distribute_values_from_function(
        lambda ctx: tf.constant(ids[4 * ctx.replica_id_in_sync_group:][:4]))
    per_replica = mirrored_strategy.run(tf.function(model.mismatched_captions), args=(halves,))
    wrong = np.concatenate([t.numpy() for t in mirrored_strategy.experimental_local_results(
        per_replica[0])])
    valid = np.concatenate([t.numpy() for t in mirrored_strategy.experimental_local_results(
        per_replica[1])])
    np.testing.assert_array_equal(wrong, single_wrong)
    np.testing.assert_array_equal(valid, single_valid)
    np.testing.assert_array_equal(wrong[:4], np.repeat(ids[4:5], 4, axis=0))  # 'sandal'


def test_int_term_interpolates_embeddings(model):
    ids = tf.constant(model.caption_ids(["sandal", "a light bag", "coat", "coat"]))
    partner_ids = tf.constant(model.caption_ids(["a light bag", "coat", "sandal", "sandal"]))
    z = tf.constant(model.random_latents(4, seed=3))
    fake = model.call_generator(z, ids, training=True)
    loss, terms = model.generator_objective(fake, z, ids)
    h = 0.5 * model.text_encoder(ids) + 0.5 * model.text_encoder(partner_ids)
    logits = model.discriminator([model.generator([z, h], training=True), h], training=True)
    assert set(terms) == {"g_int"}
    np.testing.assert_allclose(float(terms["g_int"]), softplus(-logits.numpy()).mean(),
                               rtol=1e-5)
    cls_logits = model.discriminator([fake, model.text_encoder(ids)], training=True)
    np.testing.assert_allclose(float(loss), softplus(-cls_logits.numpy()).mean(), rtol=1e-5)
    # beta = 1 interpolates nothing: the INT term is then the CLS term on the same z.
    own = kgz.create_model("gan_cls_tiny", seed=SEED, int_beta=1.0, int_weight=2.0)
    own.set_weights(model.get_weights())
    loss, terms = own.generator_objective(own.call_generator(z, ids, training=True), z, ids)
    np.testing.assert_allclose(float(terms["g_int"]), 2.0 * float(loss), rtol=1e-5)


def test_int_term_off_and_reported_when_on():
    off = kgz.create_model("gan_cls_tiny", seed=SEED, int_weight=0)
    assert "g_int" not in [m.name for m in off.metrics]
    ids = tf.constant(off.caption_ids(["sandal", "bag"]))
    z = tf.constant(off.random_latents(2, seed=0))
    assert off.generator_objective(off.call_generator(z, ids), z, ids)[1] == {}
    with pytest.raises(ValueError, match=r"int_beta must be in \[0, 1\]"):
        kgz.create_model("gan_cls_tiny", int_beta=1.5)


def test_unknown_words_and_empty_captions_raise(model):
    with pytest.raises(ValueError, match=r"'drak' \(close: 'dark'\)"):
        model.generate(2, seed=0, captions="a drak sandal")
    with pytest.raises(ValueError, match=r"2 words not in the vocabulary: 'red'.*'hat'"):
        model.generate(2, seed=0, captions=["sandal", "a red hat"])
    for empty in ("", "   "):
        with pytest.raises(ValueError, match=r"empty"):
            model.generate(1, captions=empty)
    with pytest.raises(TypeError, match=r"str.*not class labels"):
        model.generate(2, captions=[3, 4])
    with pytest.raises(ValueError, match=r"max_words=8"):
        model.generate(1, captions=" ".join(["a"] * 9))
    with pytest.raises(ValueError, match=r"one caption \(for all samples\) or 3; got 2"):
        model.generate(3, captions=["bag", "coat"])


def test_fit_checks_captions():
    model = kgz.create_model("gan_cls_tiny", seed=SEED)
    model.compile()
    images = images_for(model, 8)
    captions = np.array(["bag"] * 7 + ["a purple bag"])
    with pytest.raises(ValueError, match=r"fit: .*'purple'"):
        model.fit(images, captions, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"captions.*not class labels"):
        model.fit(tf.data.Dataset.from_tensor_slices(
            (images, np.arange(8, dtype="int32"))).batch(4), verbose=0)
    first = tf.data.Dataset.from_tensor_slices((images, captions[::-1])).batch(4)
    with pytest.raises(ValueError, match=r"first batch.*'purple'"):
        model.fit(first, verbose=0)
    # A later batch is checked in the graph: never trained on as an unknown token.
    later = tf.data.Dataset.from_tensor_slices((images, captions)).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"not in the vocabulary.*purple"):
        model.fit(later, verbose=0)


def test_python_and_graph_tokenizers_agree(model):
    captions = ["sandal", "A  Large DARK  bag with a handle", "t-shirt", "ankle boot"]
    python_ids = model.caption_ids(captions)
    np.testing.assert_array_equal(model.tokenize(tf.constant(captions)).numpy(), python_ids)
    assert python_ids[0, 1] == 0 and (python_ids[1] > 1).sum() == 7  # padded, no OOV


def test_serve_takes_string_tensors(model, tmp_path):
    served = tf.saved_model.load(model.export_generator(tmp_path / "gen"))
    z = model.random_latents(3, seed=4)
    captions = ["sandal", "a light bag", "Ankle  BOOT"]
    images = served.serve(tf.constant(z), tf.constant(captions)).numpy()
    np.testing.assert_allclose(images, model.generate(3, latents=z, captions=captions),
                               atol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"not in the vocabulary.*zebra"):
        served.serve(tf.constant(z[:1]), tf.constant(["a zebra"]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"empty caption"):
        served.serve(tf.constant(z[:1]), tf.constant([" "]))


def test_one_caption_is_broadcast(model):
    z = model.random_latents(3, seed=5)
    coat = model.generate(3, latents=z, captions="a dark coat")
    np.testing.assert_array_equal(coat, model.generate(3, latents=z, captions=["a dark coat"] * 3))
    np.testing.assert_array_equal(coat, model.generate(3, seed=5, captions=np.array(["a dark coat"])))
    sandal = model.generate(3, latents=z, captions="a light sandal")
    assert not np.array_equal(coat, sandal)  # the caption is an input
    # n captions: sample i is drawn for caption i.
    mixed = model.generate(3, latents=z, captions=["a dark coat", "a light sandal", "a dark coat"])
    np.testing.assert_allclose(mixed[[0, 2]], coat[[0, 2]], atol=1e-7)
    np.testing.assert_allclose(mixed[1], sandal[1], atol=1e-7)


def test_config_vocabulary_and_bad_arguments():
    model = kgz.create_model("gan_cls_tiny", vocabulary=["red", "bird", "a"], seed=SEED)
    assert model.get_config()["vocabulary"] == ["red", "bird", "a"]
    assert GANCLS.from_config(model.get_config()).get_config() == model.get_config()
    assert model.generate(1, seed=0, captions="a red bird").shape == (1, 16, 16, 1)
    with pytest.raises(ValueError, match=r"'sandal'"):
        model.generate(1, captions="sandal")
    with pytest.raises(ValueError, match=r"duplicate words: \['red'\]"):
        kgz.create_model("gan_cls_tiny", vocabulary=["red", "red"])
    with pytest.raises(ValueError, match=r"lower-case words"):
        kgz.create_model("gan_cls_tiny", vocabulary=["Red"])
    with pytest.raises(ValueError, match=r"captions, not class labels"):
        kgz.create_model("gan_cls_tiny", num_classes=10)


def test_fits_the_captioned_dataset():
    model = kgz.create_model("gan_cls_tiny", seed=SEED)
    model.compile()
    ds = kgz.datasets.load("fashion_mnist_captions", batch_size=8, limit=16, seed=0,
                           image_size=(16, 16))
    history = model.fit(ds, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "g_int"}
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert int(model.generator_optimizer.iterations) == 2
