"""Model-specific numerics of the sequence family: WaveNet and the char-RNN.

Causality (and WaveNet's exact receptive field), fast == naive WaveNet sampling,
mu-law, WAV files, the audio and text loaders (including one small espeak-ng
corpus), the char-RNN's vocabulary, temperature and held-out evaluation, and
`keras-gan-zoo train char_rnn --text FILE`.
"""

import os
import wave

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gan_zoo as kgz
from keras_gan_zoo import datasets
from keras_gan_zoo.cli import main as cli_main
from keras_gan_zoo.datasets import speech
from keras_gan_zoo.models.sequence.wavenet import mu_law_decode, mu_law_encode


def wavenet(**overrides):
    config = dict(num_blocks=1, layers_per_block=4, residual_channels=8, dilation_channels=8,
                  skip_channels=16)
    keras.utils.set_random_seed(0)
    return kgz.create_model("wavenet", **{**config, **overrides})


# ------------------------------------------------------------------ WaveNet
def test_wavenet_is_causal_with_the_stated_receptive_field():
    model = wavenet(num_blocks=2, layers_per_block=3)  # dilations 1,2,4,1,2,4
    rf = model.receptive_field
    assert rf == 2 * (1 + 2 + 4) + 2
    codes = np.random.default_rng(0).integers(0, 256, (1, 40)).astype("int32")
    base = model(codes).numpy()
    t = 30
    for change in (t + 1, t + 5, 39):  # the future: outputs up to t must not move
        other = codes.copy()
        other[0, change] = (other[0, change] + 77) % 256
        out = model(other).numpy()
        np.testing.assert_array_equal(out[0, :change], base[0, :change])
        assert not np.allclose(out[0, change], base[0, change])
    # The output at t sees exactly the inputs t - rf + 1 .. t.
    for offset, moves in ((0, True), (rf - 1, True), (rf, False), (rf + 3, False)):
        other = codes.copy()
        other[0, t - offset] = (other[0, t - offset] + 77) % 256
        assert (not np.array_equal(model(other).numpy()[0, t], base[0, t])) == moves, offset


@pytest.mark.parametrize("jit", [True, False])
@pytest.mark.parametrize("conditional", [False, True])
def test_fast_generation_equals_naive(conditional, jit):
    # 4 layers, dilations up to 8: 60 samples wrap every queue several times. Both
    # paths as XLA programs (the default) and as plain TF graphs (`jit_sampling`).
    model = wavenet(num_classes=3) if conditional else wavenet()
    model.jit_sampling = jit
    labels = [0, 2, 1] if conditional else None
    for seed, temperature in ((0, 1.0), (5, 0.7)):
        fast = model.sample_ids(3, 60, seed=seed, labels=labels, temperature=temperature)
        naive = model.sample_ids(3, 60, seed=seed, labels=labels, temperature=temperature,
                                 fast=False)
        np.testing.assert_array_equal(fast, naive)
        assert len(np.unique(fast)) > 10  # real sampling, not a constant
    audio = model.generate(3, length=60, seed=0, labels=labels)
    np.testing.assert_array_equal(audio, model.generate(3, length=60, seed=0, labels=labels,
                                                        fast=False))
    assert audio.dtype == np.float32 and -1 <= audio.min() and audio.max() <= 1


def test_generation_follows_the_trained_distribution():
    """After fitting a constant tone of one mu-law level, sampling reproduces it."""
    model = wavenet()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    level = float(mu_law_decode(np.array([200]))[0])
    model.fit(np.full((8, 64), level, "float32"), batch_size=8, epochs=60, verbose=0)
    codes = model.sample_ids(2, 40, seed=0)
    assert np.mean(codes[:, 5:] == 200) > 0.9


def test_mu_law_round_trip():
    codes = np.arange(256)
    np.testing.assert_array_equal(mu_law_encode(mu_law_decode(codes)), codes)
    x = np.linspace(-1, 1, 10001)
    back = mu_law_decode(mu_law_encode(x))
    # Companding: fine steps near 0, coarse near +-1 (at most ~3% of full scale).
    assert np.max(np.abs(back - x)) < 0.035
    small = np.abs(x) < 0.01
    assert np.max(np.abs(back - x)[small]) < 3e-4
    assert mu_law_encode(np.array([0.0]))[0] == 128
    assert mu_law_encode(np.array([-5.0, 5.0])).tolist() == [0, 255]  # clipped
    np.testing.assert_array_equal(mu_law_encode(tf.constant(x, tf.float32)).numpy(),
                                  mu_law_encode(x.astype("float32")))


def test_write_wav_is_16_bit_pcm(tmp_path):
    model = wavenet(sample_rate=8000)
    audio = model.generate(1, length=400, seed=0)[0]
    path = model.write_wav(tmp_path / "sample.wav", audio)
    with wave.open(str(path), "rb") as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()) == \
            (1, 2, 8000, 400)
        pcm = np.frombuffer(f.readframes(400), "<i2")
    np.testing.assert_array_equal(pcm, np.round(audio * 32767).astype(np.int16))
    back, rate = datasets.read_wav(path)
    assert rate == 8000 and np.max(np.abs(back - audio)) < 1e-4
    datasets.write_wav(tmp_path / "loud.wav", np.array([2.0, -2.0]), 8000)
    assert datasets.read_wav(tmp_path / "loud.wav")[0].tolist() == [32767 / 32768, -32767 / 32768]
    with pytest.raises(ValueError, match=r"shape \(time,\)"):
        datasets.write_wav(tmp_path / "x.wav", np.zeros((2, 3)), 8000)


# ------------------------------------------------------------------ audio data
def _tone(path, rate, seconds, freq, width=2):
    t = np.arange(int(rate * seconds)) / rate
    x = 0.5 * np.sin(2 * np.pi * freq * t)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(width)
        f.setframerate(rate)
        data = np.round(x * 32767).astype("<i2") if width == 2 else \
            np.round(x * 127 + 128).astype(np.uint8)
        f.writeframes(np.repeat(data, 2).tobytes())  # stereo: both channels


def test_audio_folder_reads_resamples_and_labels(tmp_path):
    _tone(tmp_path / "alice" / "a.wav", 16000, 0.5, 440)
    _tone(tmp_path / "bob" / "b.wav", 8000, 0.5, 440, width=1)
    with pytest.raises(ValueError, match=r"mixes sample rates \[8000, 16000\]"):
        datasets.audio_folder(tmp_path)
    ds = datasets.audio_folder(tmp_path, sample_rate=8000, segment_length=1000, batch_size=8,
                               with_labels=True, shuffle=False)
    assert ds.class_names == ("alice", "bob") and ds.sample_rate == 8000
    audio, labels = next(iter(ds))
    assert audio.shape == (8, 1000) and audio.dtype == tf.float32
    assert labels.numpy().tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    # The resampled 16 kHz tone matches the 8 kHz one (8-bit: coarser).
    np.testing.assert_allclose(audio[1].numpy(), audio[5].numpy(), atol=0.02)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"No \.wav files"):
        datasets.audio_folder(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"no waveform is as long as segment_length"):
        datasets.audio_folder(tmp_path, sample_rate=8000, segment_length=10**6)


def test_espeak_speech_corpus(tmp_path):
    corpus = speech.espeak_corpus(sample_rate=8000, num_sentences=2,
                                           voices=("en-us", "en-us+f3"), cache_dir=tmp_path)
    assert corpus["speaker"].tolist() == [0, 1, 0, 1]
    assert int(corpus["sample_rate"]) == 8000
    lengths = np.diff(corpus["offsets"])
    assert np.all(lengths > 8000)  # each sentence takes more than a second
    audio = corpus["audio"].astype(np.float32) / 32768
    assert 0.02 < np.sqrt(np.mean(audio**2)) < 0.7  # speech, not silence or clipping
    cached = list(tmp_path.glob("espeak_speech_8000hz_*.npz"))
    assert len(cached) == 1
    again = speech.espeak_corpus(sample_rate=8000, num_sentences=2,
                                          voices=("en-us", "en-us+f3"), cache_dir=tmp_path)
    np.testing.assert_array_equal(again["audio"], corpus["audio"])


def test_audio_datasets_are_listed_and_tfds_ones_say_how_to_get_them(tmp_path):
    assert datasets.list_datasets("audio") == ["espeak_speech", "speech_commands", "vctk"]
    assert "espeak_speech" not in datasets.list_datasets()  # load() takes images only
    with pytest.raises(ValueError, match=r"audio dataset.*load_audio\('espeak_speech'"):
        datasets.load("espeak_speech")
    with pytest.raises(datasets.DatasetUnavailableError,
                       match=r"(?s)speech_commands.*not prepared.*download_and_prepare"):
        datasets.load_audio("speech_commands", source="tfds", data_dir=str(tmp_path))
    with pytest.raises(datasets.DatasetUnavailableError, match=r"no offline source"):
        datasets.load_audio("vctk", source="offline")
    with pytest.raises(ValueError, match=r"valid splits: 'train', 'test'"):
        datasets.load_audio("espeak_speech", split="validation")


# ------------------------------------------------------------------ text
def test_text_vocabulary_and_windows():
    text = "abracadabra\n" * 20
    vocabulary = datasets.build_vocabulary(text)
    assert vocabulary == "\nabcdr"
    ids = datasets.encode_text(text, vocabulary)
    assert "".join(vocabulary[i] for i in ids) == text
    with pytest.raises(ValueError, match=r"not in the vocabulary: 'XZ'"):
        datasets.encode_text("aXbZ", vocabulary)
    ds = datasets.char_dataset(text, vocabulary, seq_length=10, batch_size=4, shuffle=False)
    batch = next(iter(ds)).numpy()
    assert batch.shape == (4, 11) and batch.dtype == np.int32
    np.testing.assert_array_equal(batch[0, -1], batch[1, 0])  # windows overlap by one
    np.testing.assert_array_equal(batch.reshape(-1)[:11], ids[:11])
    train, test = datasets.split_text(text, holdout=0.25)
    assert train + test == text and len(test) == 60
    corpus = datasets.load_text("python_docs")
    assert len(corpus) > 300_000 and "assert" in corpus
    assert datasets.load_text("python_docs", split="test") == datasets.split_text(corpus)[1]


def test_char_rnn_keeps_its_vocabulary_and_is_causal(tmp_path):
    vocabulary = "\n abcä€"
    model = kgz.create_model("char_rnn", vocabulary=vocabulary, hidden_units=8)
    model.compile()
    model.fit(model.encode("äbc € cab\n" * 10)[None].repeat(4, 0), epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.vocabulary == vocabulary
    assert restored.generate(20, prime="ä", seed=3) == model.generate(20, prime="ä", seed=3)
    ids = model.encode("äbc € cab\n")[None]
    base = model(ids).numpy()
    other = ids.copy()
    other[0, 6] = (other[0, 6] + 1) % len(vocabulary)
    out = model(other).numpy()
    np.testing.assert_array_equal(out[0, :6], base[0, :6])
    assert not np.allclose(out[0, 6], base[0, 6])
    with pytest.raises(ValueError, match=r"vocabulary="):
        kgz.create_model("char_rnn")
    with pytest.raises(ValueError, match=r"not in the vocabulary: 'z'"):
        model.generate(5, prime="z")


def test_char_rnn_temperature_scales_the_softmax():
    model = kgz.create_model("char_rnn_tiny")
    model.compile(optimizer=keras.optimizers.Adam(3e-2))
    model.fit(model.encode("abcab\nhab ")[None].repeat(8, 0), epochs=30, verbose=0)
    prime = "ab"
    logits = model(model.encode(prime)[None]).numpy()[0, -1].astype("float64")
    for temperature in (0.5, 2.0):
        first = model.sample_ids(4000, 1, seed=1, temperature=temperature, prime=prime)[:, 0]
        p = np.exp(logits / temperature - np.max(logits / temperature))
        p /= p.sum()
        freq = np.bincount(first, minlength=model.num_symbols) / len(first)
        assert 0.5 * np.abs(freq - p).sum() < 0.04, (temperature, freq, p)
    # Near zero the most likely character always wins: greedy decoding.
    text = model.generate(12, prime=prime, temperature=1e-4, seed=0)
    assert text == model.generate(12, prime=prime, temperature=1e-4, seed=99)
    greedy = list(model.encode(prime))
    for _ in range(12):
        greedy.append(int(np.argmax(model(np.array([greedy])).numpy()[0, -1])))
    assert text == model.decode(greedy)


def test_evaluate_text_carries_state_across_chunks():
    model = kgz.create_model("char_rnn_tiny")
    text = "a bad cafe\nhead beach\n" * 12
    whole = model.evaluate_text(text, streams=1, chunk=10_000)
    chunked = model.evaluate_text(text, streams=1, chunk=7)
    assert whole["characters"] == len(text) - 1
    assert abs(whole["nll"] - chunked["nll"]) < 1e-5
    ids = model.encode(text)[None]
    direct = float(model.nll(tf.constant(ids)))
    assert abs(whole["nll"] - direct) < 1e-5
    assert abs(whole["bits_per_char"] - direct / np.log(2)) < 1e-5


def test_cli_trains_char_rnn_on_a_text_file(tmp_path, capsys):
    text_file = tmp_path / "book.txt"
    text_file.write_text("the cat sat on the mat. " * 60, encoding="utf-8")
    out = tmp_path / "run"
    code = cli_main(["train", "char_rnn", "--text", str(text_file), "--epochs", "1",
                     "--batch-size", "4", "--set", "hidden_units=8", "--out", str(out),
                     "--verbose", "0", "--precision", "fp32"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Held-out bits per char:" in printed
    sample = (out / "samples" / "latest.txt").read_text(encoding="utf-8")
    assert len(sample) == 500 and set(sample) <= set("the cat sat on the mat. ")
    model = keras.models.load_model(out / "model.keras")
    assert model.vocabulary == " .acehmnost" and model.hidden_units == 8
