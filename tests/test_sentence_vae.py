"""sentence_vae (Bowman et al. 2015) and its data: the numerics the contract does not see.

KL annealing and word dropout, the reported NLL / KL / perplexity against a computation
by hand, interpolation, the unknown-word policy, the vocabulary through save / load, the
generated verse corpus and the loader of a user's text file. The family contract
(tests/test_contract_sequence.py) runs `sentence_vae_tiny` through fit, resume, export,
mixed precision and MirroredStrategy.
"""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo.datasets import verse, words
from keras_gan_zoo.models.sequence.sentence_vae import logistic_kl_weight, word_dropout

LINES = ["the moon is rising on the sea", "and the star is on the sea",
         "the sea is rising", "the star and the moon"]


def tiny(**overrides):
    return kgz.create_model("sentence_vae_tiny", **overrides)


def test_logistic_kl_weight_schedule():
    steps = np.array([0, 1000, 2500, 4000, 10000])
    expected = 1.0 / (1.0 + np.exp(-0.0025 * (steps - 2500)))
    np.testing.assert_allclose(logistic_kl_weight(steps, 0.0025, 2500).numpy(), expected,
                               rtol=1e-5)
    assert float(logistic_kl_weight(2500, 0.0025, 2500)) == 0.5
    assert float(logistic_kl_weight(0, 0.0025, 2500)) < 0.002  # ~0 at the start
    np.testing.assert_allclose(float(logistic_kl_weight(30, 0.1, 20)), 1 / (1 + np.exp(-1)),
                               rtol=1e-6)
    model = tiny(kl_anneal_k=0.5, kl_anneal_x0=1)
    assert float(model.kl_weight()) == pytest.approx(1 / (1 + np.exp(0.5)))
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    ids = model.to_ids(LINES)
    history = model.fit(ids, batch_size=2, epochs=1, verbose=0, shuffle=False)
    assert int(model.step_counter) == 2  # steps 0 and 1: the epoch mean of their weights
    assert history.history["kl_weight"][0] == pytest.approx(
        np.mean([1 / (1 + np.exp(0.5)), 0.5]), rel=1e-5)
    assert float(tiny(kl_annealing="none").kl_weight()) == 1.0
    assert float(tiny(use_latent=False).kl_weight()) == 0.0


def test_word_dropout_replaces_the_rate_never_special_tokens():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 12, (200, 60)).astype("int32")
    ids[:, 0] = words.BOS_ID
    uniform = rng.random(ids.shape).astype("float32")
    out = word_dropout(tf.constant(ids), 0.3, tf.constant(uniform)).numpy()
    special = np.isin(ids, [words.PAD_ID, words.BOS_ID, words.EOS_ID])
    np.testing.assert_array_equal(out[special], ids[special])
    droppable = ~special & (ids != words.UNK_ID)
    replaced = out != ids
    assert np.all(out[replaced] == words.UNK_ID)
    np.testing.assert_array_equal(replaced, droppable & (uniform < 0.3))  # the exact rule
    assert abs(replaced[droppable].mean() - 0.3) < 0.02

    model = tiny(word_dropout=0.5)
    batch = np.tile(model.to_ids(["the moon is rising on the sea and the star",
                                  "the sea"]), (32, 1))
    inputs = model.decoder_inputs(tf.constant(batch), training=True).numpy()
    np.testing.assert_array_equal(model.decoder_inputs(tf.constant(batch)).numpy(),
                                  batch[:, :-1])  # no dropout outside training
    assert np.all(inputs[:, 0] == words.BOS_ID)
    pad = batch[:, :-1] == words.PAD_ID
    assert np.all(inputs[pad] == words.PAD_ID) and pad.any()
    words_in = batch[:, :-1] > words.EOS_ID
    assert 0.4 < (inputs[words_in] == words.UNK_ID).mean() < 0.6
    assert np.all(tiny(word_dropout=1.0).decoder_inputs(
        tf.constant(batch), training=True).numpy()[words_in] == words.UNK_ID)


def _log_softmax(logits):
    logits = logits.astype("float64")
    top = logits.max(-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))


def test_nll_kl_and_perplexity_by_hand():
    model = tiny(word_dropout=0.0, kl_anneal_k=0.01, kl_anneal_x0=100)
    ids = model.to_ids(LINES)  # different lengths: padding is not counted
    noise = np.random.default_rng(1).standard_normal((len(ids), model.latent_dim)).astype(
        "float32")
    mean, log_var = (np.asarray(t, "float64") for t in model.posterior(tf.constant(ids)))
    z = mean + np.exp(0.5 * log_var) * noise
    logits = keras.ops.convert_to_numpy(model.decoder_logits(ids[:, :-1], tf.constant(
        z.astype("float32"))))
    targets = ids[:, 1:]
    log_p = np.take_along_axis(_log_softmax(logits), targets[..., None], -1)[..., 0]
    mask = targets != words.PAD_ID
    recon = -(log_p * mask).sum(1)
    kl = 0.5 * (mean**2 + np.exp(log_var) - 1 - log_var).sum(1)
    tokens = mask.sum(1)
    np.testing.assert_array_equal(tokens, [len(words.tokenize(s)) + 1 for s in LINES])
    expected = {"sentence_nll": np.mean(recon + kl), "kl": np.mean(kl),
                "nll": (recon + kl).sum() / tokens.sum(),
                "bits_per_word": (recon + kl).sum() / tokens.sum() / np.log(2),
                "perplexity": np.exp((recon + kl).sum() / tokens.sum())}
    batch = {"sequences": ids, "noise": noise}

    model.compile(optimizer=keras.optimizers.SGD(0.0))
    reported = model.evaluate(batch, batch_size=len(ids), return_dict=True, verbose=0)
    for key, value in expected.items():
        assert reported[key] == pytest.approx(value, rel=1e-4), key
    history = model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(len(ids)), epochs=1,
                        verbose=0)  # training reports the same terms (no word dropout)
    for key, value in expected.items():
        assert history.history[key][0] == pytest.approx(value, rel=1e-4), key
    assert history.history["kl_weight"][0] == pytest.approx(1 / (1 + np.exp(1.0)), rel=1e-5)
    assert reported["kl"] > 0 and reported["sentence_nll"] > reported["kl"]


def test_interpolate_decodes_the_posterior_means_of_both_ends():
    model = tiny()
    first, second = LINES[0], LINES[3]
    texts, path = model.interpolate(first, second, steps=6, return_latents=True)
    assert len(texts) == 6 and all(isinstance(t, str) for t in texts)
    assert path.shape == (6, model.latent_dim) and path.dtype == np.float32
    means = model.encode([first, second])
    np.testing.assert_allclose(path[0], means[0], atol=1e-6)
    np.testing.assert_allclose(path[-1], means[1], atol=1e-6)
    np.testing.assert_allclose(path[2], means[0] + 0.4 * (means[1] - means[0]), atol=1e-6)
    assert texts[0] == model.reconstruct([first])[0]
    assert texts[-1] == model.reconstruct([second])[0]
    assert texts == model.decode(path)  # greedy decoding of each point
    with pytest.raises(ValueError, match=r"steps must be an int >= 2"):
        model.interpolate(first, second, steps=1)
    with pytest.raises(TypeError, match=r"second must be a str"):
        model.interpolate(first, [second])


def test_generate_is_seeded_and_returns_strings():
    model = tiny()
    a = model.generate(4, seed=3, temperature=0.7)
    assert len(a) == 4 and all(isinstance(s, str) for s in a)
    assert a == model.generate(4, seed=3, temperature=0.7)
    greedy = model.generate(3, seed=5, greedy=True)
    assert greedy == model.generate(3, seed=5, greedy=True)
    known = set(model.vocabulary)
    assert all(w in known for s in a + greedy for w in s.split())
    with pytest.raises(ValueError, match=r"temperature must be a number > 0"):
        model.generate(2, temperature=0)


def test_unknown_words_are_mapped_to_unk_and_warned_or_refused():
    model = tiny()
    with pytest.warns(words.UnknownWordWarning, match=r"2 word\(s\).*'lighthouse'"):
        ids = model.to_ids(["the lighthouse is on the sea", "the lighthouse"])
    assert ids[0, 2] == words.UNK_ID and ids[1, 2] == words.UNK_ID
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # known words: no warning
        model.to_ids(LINES)
    with pytest.raises(ValueError, match=r"not in the vocabulary.*'lighthouse'"):
        model.reconstruct(["the lighthouse"], unknown="error")
    with pytest.raises(ValueError, match=r"unknown must be one of"):
        model.to_ids(LINES, unknown="ignore")
    with pytest.raises(TypeError, match=r"list of sentences"):
        model.encode("the moon")
    with pytest.raises(ValueError, match=r"without any word"):
        model.encode(["the moon", " "])
    _, counts = words.encode_sentences(["the owl and the owl"], model.vocabulary)
    assert counts == {"owl": 2}


@pytest.mark.filterwarnings("ignore::keras_gan_zoo.datasets.words.UnknownWordWarning")
def test_the_vocabulary_round_trips_through_save_and_load(tmp_path):
    train = verse.verse_lines("train", num_lines=200)
    vocabulary = kgz.datasets.build_word_vocabulary(train, min_count=2)
    model = kgz.create_model("sentence_vae", vocabulary=vocabulary, embedding_dim=8,
                             hidden_units=8, latent_dim=3, seed=1)
    assert model.vocabulary[:4] == list(words.SPECIAL_TOKENS) and model.num_symbols == len(
        vocabulary)
    model.compile()
    model.fit(kgz.datasets.sentence_dataset(train[:32], vocabulary, 16, seed=0), epochs=1,
              verbose=0)
    path = str(tmp_path / "svae.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.vocabulary == vocabulary
    assert restored.get_config() == model.get_config()
    test = verse.verse_lines("test", num_lines=5)
    np.testing.assert_array_equal(restored.to_ids(test, unknown="warn"),
                                  model.to_ids(test, unknown="warn"))
    np.testing.assert_array_equal(restored.encode(test), model.encode(test))
    assert restored.reconstruct(test) == model.reconstruct(test)
    assert restored.generate(3, seed=0) == model.generate(3, seed=0)


def test_the_language_model_baseline_has_no_latent():
    model = tiny(use_latent=False)
    assert not hasattr(model, "encoder_gru") and not hasattr(model, "to_state")
    model.compile()
    history = model.fit(model.to_ids(LINES), batch_size=2, epochs=1, verbose=0)
    assert history.history["kl"] == [0.0] and history.history["kl_weight"] == [0.0]
    assert len(model.generate(2, seed=0)) == 2
    with pytest.raises(ValueError, match=r"use_latent=False"):
        model.encode(LINES)


def test_constructor_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"needs vocabulary="):
        kgz.create_model("sentence_vae")
    with pytest.raises(ValueError, match=r"must start with"):
        tiny(vocabulary=["the", "<unk>", "moon"])
    with pytest.raises(TypeError, match=r"list of str"):
        tiny(vocabulary="the moon")
    with pytest.raises(ValueError, match=r"conditioning must be one of"):
        tiny(conditioning="attention")
    with pytest.raises(ValueError, match=r"word_dropout must be in \[0.0, 1.0\]"):
        tiny(word_dropout=1.5)
    assert tiny(vocabulary=["moon", "sea"]).vocabulary == [*words.SPECIAL_TOKENS, "moon", "sea"]


# ------------------------------------------------------------------ the verse corpus
def test_verse_corpus_is_deterministic_disjoint_and_varied():
    test = verse.verse_lines("test", seed=0)
    assert test == verse.verse_lines("test", seed=0)
    assert test != verse.verse_lines("test", seed=1)
    validation = verse.verse_lines("validation", seed=0)
    train = verse.verse_lines("train", seed=0, num_lines=5000)
    assert (len(test), len(validation), len(train)) == (1000, 1000, 5000)
    assert len(set(train)) == 5000  # distinct lines
    assert not set(train) & set(test) and not set(train) & set(validation)
    assert not set(test) & set(validation)
    # held-out lines do not depend on the size of the training split
    assert verse.verse_lines("train", seed=0, num_lines=10) == train[:10]
    grammar = set(verse.verse_vocabulary())
    assert 300 <= len(grammar) <= 700
    used = {t for line in train for t in words.tokenize(line)}
    assert used <= grammar and len(used) > 0.9 * len(grammar)
    vocabulary = kgz.datasets.build_word_vocabulary(train, min_count=2)
    assert len(vocabulary) > 300
    lengths = [len(words.tokenize(line)) for line in train]
    assert 5 <= min(lengths) and max(lengths) <= 14
    assert kgz.datasets.load_sentences("verse", "test") == test
    with pytest.raises(ValueError, match=r"split must be one of"):
        verse.verse_lines("dev")


def test_verse_is_in_the_catalog_and_load_points_to_load_sentences():
    info = kgz.datasets.info("verse")
    assert info["kind"] == "sentences" and info["splits"] == ("train", "validation", "test")
    assert kgz.datasets.list_datasets("sentences") == ["verse"]
    assert "verse" not in kgz.datasets.list_datasets()  # the default lists image datasets
    with pytest.raises(ValueError, match=r"load_sentences\('verse'"):
        kgz.datasets.load("verse", split="train")


def test_sentence_dataset_pads_counts_unknown_and_skips_long_lines():
    vocabulary = kgz.datasets.build_word_vocabulary(LINES)
    ds = kgz.datasets.sentence_dataset(LINES + ["the owl is rising"], vocabulary, 2,
                                       shuffle=False)
    batches = [b.numpy() for b in ds]
    assert [b.shape for b in batches] == [(2, 9), (2, 9), (1, 9)]
    first = batches[0][0]
    assert first[0] == words.BOS_ID and first[8] == words.EOS_ID
    assert kgz.datasets.words.decode_ids(first, vocabulary) == [LINES[0]]
    assert ds.unknown_words == {"owl": 1} and batches[2][0][2] == words.UNK_ID
    short = kgz.datasets.sentence_dataset(LINES, vocabulary, 4, max_length=5)
    assert short.num_skipped == 2 and short.num_examples == 2
    assert next(iter(short)).shape == (2, 7)


def test_text_lines_reads_splits_and_rejects_bad_files(tmp_path):
    path = tmp_path / "mine.txt"
    lines = [f"line number {i} of the file" for i in range(40)]
    path.write_text("\n".join(["  " + lines[0] + "  ", ""] + lines[1:] + ["", "   "]) + "\n",
                    encoding="utf-8")
    assert kgz.datasets.text_lines(path) == lines
    parts = {s: kgz.datasets.text_lines(path, split=s, holdout=0.1)
             for s in ("train", "validation", "test")}
    assert [len(parts[s]) for s in ("train", "validation", "test")] == [32, 4, 4]
    assert sorted(sum(parts.values(), [])) == sorted(lines)
    assert parts["test"] == kgz.datasets.text_lines(path, split="test", holdout=0.1)
    assert kgz.datasets.load_sentences(str(path), "train", holdout=0.1) == parts["train"]
    with pytest.raises(ValueError, match=r"No such text file"):
        kgz.datasets.text_lines(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"has no sentence"):
        kgz.datasets.text_lines(empty)
    with pytest.raises(ValueError, match=r"split must be None or one of"):
        kgz.datasets.text_lines(path, split="dev")
    with pytest.raises(ValueError, match=r"neither a sentence corpus"):
        kgz.datasets.load_sentences("poems")
    tiny_file = tmp_path / "two.txt"
    tiny_file.write_text("one line\nanother\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"too few"):
        kgz.datasets.text_lines(tiny_file, split="train")
