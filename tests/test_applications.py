"""Pretrained weights: resolution, sha256 checks, downloads from a real HTTP server on
127.0.0.1, the shipped checkpoints, the CLI on pretrained names, and a recipe end to end.

Download tests register a tiny checkpoint (``dcgan_tiny`` trained for one step) under a
test name (its record in a temporary copy of the registry's folder) and serve its files with
``http.server`` in a thread; the server counts the requests and can cut a transfer after
half of the announced bytes.
"""

import copy
import http.server
import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import urllib.parse

import h5py
import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import cli
from keras_gan_zoo.applications import download, publish, registry

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_NAME = "tiny_test_fashion"
PACKAGED = [name for name in kgz.applications.list_pretrained()
            if kgz.applications.info(name)["files"]["generator"]["packaged"]]
#: The pretrained next-frame predictors (video_gan), scored per future step.
NEXT_FRAME = [name for name in kgz.applications.list_pretrained()
              if "psnr_step1" in kgz.applications.info(name)["metrics"]]


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Every test gets an empty cache and no origin; retries do not sleep."""
    monkeypatch.setenv(download.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(download.ORIGIN_ENV, raising=False)
    monkeypatch.setattr(download, "RETRY_BACKOFF", 0.01)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """A trained-one-step dcgan_tiny: its files in a directory and its registry entry."""
    root = tmp_path_factory.mktemp("origin")
    model = kgz.create_model("dcgan_tiny", seed=3)
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    full = root / f"{TEST_NAME}.keras"
    model.save(full)
    weights = publish.save_generator_weights(model, root / f"{TEST_NAME}_generator.fp16.weights.h5")
    entry = {
        "architecture": "dcgan", "config": model.get_config(), "dataset": "fashion_mnist",
        "files": {"generator": publish.file_record(weights), "model": publish.file_record(full)},
        "metrics": {"fid": 0.0}, "training": {}, "recipe": "a test fixture",
        "description": "a test checkpoint", "card": "docs/models/dcgan.md",
    }
    return {"root": root, "entry": entry, "model": model,
            "generated": model.generate(8, seed=5)}


@pytest.fixture
def register(tmp_path, monkeypatch):
    """``register(name, entry)``: writes `entry` as the record `name` of a temporary copy of
    the registry's folder (the shipped records stay registered) and returns it."""
    records = tmp_path / "records"
    records.mkdir()
    for name in registry.list_pretrained():
        shutil.copyfile(registry.record_path(name), registry.record_path(name, records))
    monkeypatch.setattr(registry, "RECORDS_DIR", str(records))

    def put(name, entry):
        publish.write_entry(registry.record_path(name, records), entry)
        registry.clear_cache()
        return entry

    yield put
    registry.clear_cache()


@pytest.fixture
def register_files(register, monkeypatch):
    """``register_files(name, architecture, model, folder, dataset, metrics)``: registers
    the test checkpoint `name` of `model` whose generator file and `.keras` are
    ``g.fp16.weights.h5`` and ``m.keras`` in `folder`, which becomes the origin; returns
    its record."""
    def put(name, architecture, model, folder, dataset, metrics):
        entry = {"architecture": architecture,
                 "config": json.loads(json.dumps(model.get_config())), "dataset": dataset,
                 "metrics": metrics, "training": {}, "recipe": "a test",
                 "description": "a test", "card": f"docs/models/{architecture}.md",
                 "files": {"generator": publish.file_record(folder / "g.fp16.weights.h5"),
                           "model": publish.file_record(folder / "m.keras")}}
        monkeypatch.setenv(download.ORIGIN_ENV, str(folder))
        return register(name, entry)

    return put


@pytest.fixture
def registered(tiny_checkpoint, register):
    return register(TEST_NAME, copy.deepcopy(tiny_checkpoint["entry"]))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        state = self.server.state
        name = urllib.parse.unquote(self.path).rsplit("/", 1)[-1]
        requested_range = self.headers.get("Range")
        state["requests"].append((name, requested_range))
        path = os.path.join(state["root"], name)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        start = 0
        if requested_range and state["ranges"]:
            start = int(requested_range.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if state["cuts"].get(name, 0) > 0:  # announce everything, send half, hang up
            state["cuts"][name] -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tiny_checkpoint):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.state = {"root": str(tiny_checkpoint["root"]), "requests": [], "cuts": {},
                   "ranges": True}
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/kgz/weights/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _files(directory):
    """Every file under `directory` (temporary ones included)."""
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.relpath(os.path.join(d, f), directory)
                  for d, _, files in os.walk(directory) for f in files)


def _cache():
    return os.environ[download.CACHE_ENV]


def _requests(httpd):
    return httpd.state["requests"]


# --------------------------------------------------------------------------- downloads
def test_good_download_then_cache_hit_makes_no_request(registered, server, tiny_checkpoint):
    spec = registered["files"]["generator"]
    path = kgz.applications.weights_path(TEST_NAME, origin=server.url)
    assert path == os.path.join(_cache(), spec["file"])
    assert download.sha256_file(path) == spec["sha256"]
    assert _requests(server) == [(spec["file"], None)]
    assert _files(_cache()) == [spec["file"]]  # no temporary file left

    generator = kgz.applications.load_generator(TEST_NAME, origin=server.url)
    assert len(server.state["requests"]) == 1  # the cached copy, no second request
    np.testing.assert_allclose(generator.generate(8, seed=5), tiny_checkpoint["generated"],
                               atol=2e-2)  # float16 kernels

    os.environ.pop(download.ORIGIN_ENV, None)
    assert kgz.applications.weights_path(TEST_NAME) == path  # offline: the cache suffices
    assert len(server.state["requests"]) == 1


def test_load_model_downloads_the_full_checkpoint_with_optimizer_state(
        registered, server, tiny_checkpoint, monkeypatch):
    monkeypatch.setenv(download.ORIGIN_ENV, server.url)
    model = kgz.applications.load_model(TEST_NAME)
    original = tiny_checkpoint["model"]
    assert type(model) is type(original)
    iterations = int(original.generator_optimizer.iterations)
    assert iterations == 2 and int(model.generator_optimizer.iterations) == iterations
    np.testing.assert_array_equal(model.generate(8, seed=5), tiny_checkpoint["generated"])
    assert _requests(server) == [(registered["files"]["model"]["file"], None)]


def test_wrong_hash_fails_names_both_hashes_and_leaves_nothing(registered, register, server):
    spec = registered["files"]["generator"]
    actual = spec["sha256"]
    spec["sha256"] = "0" * 64
    register(TEST_NAME, registered)
    with pytest.raises(kgz.applications.ChecksumError) as error:
        kgz.applications.weights_path(TEST_NAME, origin=server.url)
    message = str(error.value)
    assert spec["file"] in message and "0" * 64 in message and actual in message
    assert isinstance(error.value, ValueError)
    assert _files(_cache()) == []


def test_connection_cut_mid_file_is_resumed(registered, server):
    spec = registered["files"]["generator"]
    server.state["cuts"][spec["file"]] = 1
    path = kgz.applications.weights_path(TEST_NAME, origin=server.url)
    assert download.sha256_file(path) == spec["sha256"]
    (first, first_range), (second, second_range) = _requests(server)
    assert first == second == spec["file"] and first_range is None
    assert second_range == f"bytes={spec['size'] // 2}-"  # resumed after the received half
    assert _files(_cache()) == [spec["file"]]


def test_connection_cut_restarts_when_the_server_ignores_ranges(registered, server):
    spec = registered["files"]["model"]
    server.state["ranges"] = False
    server.state["cuts"][spec["file"]] = 2
    path = kgz.applications.weights_path(TEST_NAME, "model", origin=server.url)
    assert download.sha256_file(path) == spec["sha256"]
    assert len(server.state["requests"]) == 3


def test_connection_cut_every_time_fails_cleanly(registered, server):
    spec = registered["files"]["generator"]
    server.state["cuts"][spec["file"]] = 100
    with pytest.raises(kgz.applications.DownloadError, match="in 3 attempts"):
        kgz.applications.weights_path(TEST_NAME, origin=server.url)
    assert len(server.state["requests"]) == 3
    assert _files(_cache()) == []
    with pytest.raises(kgz.applications.DownloadError, match="in 1 attempts"):
        kgz.applications.weights_path(TEST_NAME, origin=server.url, attempts=1)


def test_missing_file_at_the_origin_is_a_download_error(registered, register, server):
    registered["files"]["generator"]["file"] = "not_there.weights.h5"
    register(TEST_NAME, registered)
    with pytest.raises(kgz.applications.DownloadError, match="HTTP 404"):
        kgz.applications.weights_path(TEST_NAME, origin=server.url)
    assert len(server.state["requests"]) == 1  # a 404 is not retried
    assert _files(_cache()) == []


def test_corrupted_cached_file_is_detected_and_fetched_again(registered, server, capsys):
    spec = registered["files"]["generator"]
    path = kgz.applications.weights_path(TEST_NAME, origin=server.url)
    with open(path, "r+b") as f:  # flip bytes in the middle, same size
        f.seek(spec["size"] // 2)
        f.write(b"\x00\xff" * 8)
    assert download.sha256_file(path) != spec["sha256"]
    assert kgz.applications.weights_path(TEST_NAME, origin=server.url) == path
    assert download.sha256_file(path) == spec["sha256"]
    assert len(server.state["requests"]) == 2
    assert "damaged" in capsys.readouterr().err


def test_corrupted_cached_file_without_origin_is_removed(registered, server):
    path = kgz.applications.weights_path(TEST_NAME, origin=server.url)
    with open(path, "ab") as f:
        f.write(b"junk")
    with pytest.raises(kgz.applications.WeightsUnavailableError, match=download.ORIGIN_ENV):
        kgz.applications.weights_path(TEST_NAME)
    assert _files(_cache()) == []


@pytest.mark.parametrize("kind", ["file_url", "directory"])
def test_file_url_and_directory_origins(registered, tiny_checkpoint, kind, monkeypatch):
    root = str(tiny_checkpoint["root"])
    origin = "file://" + urllib.parse.quote(root) if kind == "file_url" else root
    monkeypatch.setenv(download.ORIGIN_ENV, origin)
    model = kgz.applications.load_model(TEST_NAME)
    np.testing.assert_array_equal(model.generate(8, seed=5), tiny_checkpoint["generated"])
    path = kgz.applications.weights_path(TEST_NAME)
    assert os.path.dirname(path) == _cache()
    assert sorted(_files(_cache())) == sorted(
        spec["file"] for spec in registered["files"].values())


def test_bad_origin_and_unknown_names_are_value_errors(registered):
    with pytest.raises(ValueError, match="https://, http:// or file://"):
        kgz.applications.weights_path(TEST_NAME, origin="ftp://example.org/weights")
    with pytest.raises(ValueError) as error:
        kgz.applications.load_generator("dcgan_fashion_mnsit")
    message = str(error.value)
    assert "Did you mean 'dcgan_fashion_mnist'" in message
    for name in kgz.applications.list_pretrained():
        assert name in message
    with pytest.raises(ValueError, match="kind must be one of"):
        kgz.applications.weights_path(TEST_NAME, "discriminator")


def test_damaged_packaged_copy(registered, register, tiny_checkpoint, tmp_path, monkeypatch):
    """A packaged file is hash-checked too: without an origin its damage is an error
    naming both hashes; with one, a good copy is downloaded into the cache."""
    spec = registered["files"]["generator"]
    spec["packaged"] = True
    register(TEST_NAME, registered)
    package = tmp_path / "package"
    package.mkdir()
    monkeypatch.setattr(download, "PACKAGE_DIR", str(package))
    shutil.copyfile(tiny_checkpoint["root"] / spec["file"], package / spec["file"])
    assert kgz.applications.weights_path(TEST_NAME) == str(package / spec["file"])

    with open(package / spec["file"], "ab") as f:
        f.write(b"x")
    damaged = download.sha256_file(package / spec["file"])
    with pytest.raises(kgz.applications.ChecksumError) as error:
        kgz.applications.weights_path(TEST_NAME)
    assert spec["sha256"] in str(error.value) and damaged in str(error.value)
    path = kgz.applications.weights_path(TEST_NAME, origin=str(tiny_checkpoint["root"]))
    assert path == os.path.join(_cache(), spec["file"])


# --------------------------------------------------------------------------- the registry
def test_registry_entries_are_complete():
    names = kgz.applications.list_pretrained()
    assert {"dcgan_fashion_mnist", "gan_mnist"} <= set(PACKAGED)
    for name in names:
        entry = kgz.applications.info(name)
        assert kgz.registry.model_class(entry["architecture"])
        metrics = entry["metrics"]
        model_class = kgz.registry.model_class(entry["architecture"])
        # a next-frame predictor (a translator of stacked context frames) and a video
        # retargeting model (a translator trained on clips) are kinds of their own
        family = ("video" if hasattr(model_class, "predict_frames") else
                  "retargeting" if hasattr(model_class, "translate_video") else
                  model_class.family)
        text = getattr(model_class, "condition_kind",
                       None) == "text"  # GAN-CLS: trained on (images, captions)
        assert entry["dataset"] in kgz.datasets.list_datasets(
            "captions" if text else
            {"translation": "translation", "sequence": "sentences",
             "video": "video", "retargeting": "video"}.get(family, "image"))
        if text:  # sampled for captions of the test images, and the record says how
            assert metrics["captions"], name
        # samplers are scored by FID/KID of generated images, autoregressive models by
        # the likelihood of the test split, the sentence VAE by its test NLL per sentence
        # beside its baseline language model's
        keys = {"autoregressive": ("test_nll_nats", "test_bits_per_dim", "num_test", "real"),
                "sequence": ("test_nll_nats", "test_kl_nats", "test_perplexity",
                             "test_sentences", "test_tokens", "real", "baseline"),
                # translators: each direction on the whole test split, beside its baselines
                "translation": ("fid", "extractor", "num_images", "real", "directions"),
                # next-frame predictors: every future step on the whole test split, beside
                # copying the last frame
                "video": ("psnr_step1", "mean_psnr", "num_sequences", "context_frames",
                          "n_future", "real", "steps", "model", "copy_last"),
                # video retargeting: each direction's frames against the paired truth on
                # the whole test split, beside the input itself
                "retargeting": ("mask_iou", "psnr", "ssim", "num_videos", "num_frames",
                                "real", "directions", "domain_names")}.get(
                    family, ("fid", "kid", "extractor", "num_generated", "num_real"))
        for key in keys:
            assert metrics[key] is not None, (name, key)
        if family == "video":
            assert metrics["whole_split"] and metrics["context_frames"] == entry["config"][
                "context_frames"], name
            assert metrics["steps"] == list(range(1, metrics["n_future"] + 1)), name
            for scores in (metrics["model"], metrics["copy_last"]):
                assert {len(values) for values in scores.values()} == {metrics["n_future"]}
            assert metrics["psnr_step1"] == metrics["model"]["psnr"][0], name
        if family == "retargeting":
            assert metrics["whole_split"], name
            assert set(metrics["directions"]) == set(model_class.directions), name
            for key in ("mask_iou", "psnr", "ssim"):  # the headline: both directions' mean
                mean = np.mean([s["model"][key] for s in metrics["directions"].values()])
                assert metrics[key] == pytest.approx(mean, abs=1e-4), (name, key)
            for scores in metrics["directions"].values():
                assert {"model", "identity"} <= set(scores), name
                assert {s["frames"] for s in scores.values()} == {
                    metrics["num_videos"] * metrics["num_frames"]}, name
        if family == "translation":
            assert set(metrics["directions"]) == set(model_class.directions), name
            for scores in metrics["directions"].values():
                assert "fid" in scores["model"] and len(scores) >= 2, name  # + a baseline
            assert metrics["whole_split"], name
        assert metrics["measured_on"] == "the generator file"
        assert entry["recipe"] and entry["description"]
        # the run's curve and provenance are in the card's Training record, not the record
        assert not {"provenance", *publish.CURVE_KEYS} & {*entry, *entry["training"]}
        with open(os.path.join(REPO, entry["card"])) as f:  # a card may have several
            records = [part.split("\n#", 1)[0]
                       for part in f.read().split("\n### Training record\n")[1:]]
        record = next((r for r in records if f"How `{name}` was made" in r), "")
        assert f"How `{name}` was made" in record and "\nProvenance: " in record
        assert {"autoregressive": "\nValidation NLL ", "sequence": "\nValidation NLL ",
                "video": "\nTraining PSNR ", "retargeting": "\nTraining losses "}.get(
                    family, "\nFID of ") in record
        if family != "sequence":  # a text model's samples are sentences, on its card
            assert os.path.isfile(os.path.join(REPO, "docs", "images",
                                               f"{name}_pretrained.png"))
        assert not entry["files"]["model"]["packaged"]
        assert entry["files"]["model"]["file"].endswith(".keras")


def test_every_record_file_is_what_write_entry_writes(tmp_path):
    """Each weights/<name>.json is its record as publish.entry_json writes it (sorted keys,
    a final newline), and write_entry / read_record give it back unchanged."""
    for name in kgz.applications.list_pretrained():
        path = registry.record_path(name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        entry = registry.read_record(path)
        assert text == publish.entry_json(entry) and text.endswith("}\n"), name
        assert {"name": name, **entry} == kgz.applications.info(name)
        copied = publish.write_entry(tmp_path / f"{name}.json", entry)
        assert registry.read_record(copied) == entry
    with pytest.raises(TypeError, match="set"):
        publish.entry_json({"files": {1, 2}})
    with pytest.raises(ValueError):
        publish.entry_json({"fid": float("nan")})


def test_records_are_validated_read_only_and_copied(register, tmp_path):
    entry = kgz.applications.info("gan_mnist")
    del entry["name"]
    without_card = {key: value for key, value in entry.items() if key != "card"}
    one_file = {**entry, "files": {"generator": entry["files"]["generator"]}}
    for broken, missing in ((without_card, "'card'"), (one_file, "'model'")):
        with pytest.raises(ValueError, match=missing) as error:
            publish.write_entry(tmp_path / "broken.json", broken)
        assert "broken.json" in str(error.value)
    assert not (tmp_path / "broken.json").exists()
    with open(registry.record_path("damaged_test"), "w") as f:  # the register fixture's folder
        f.write('{"architecture": "gan"')
    registry.clear_cache()
    assert "damaged_test" in kgz.applications.list_pretrained()
    with pytest.raises(ValueError, match="damaged_test.json: not a JSON"):
        kgz.applications.info("damaged_test")
    assert kgz.applications.info("gan_mnist")["files"] == entry["files"]  # the others load

    pretrained = kgz.applications.PRETRAINED
    assert list(pretrained) == kgz.applications.list_pretrained() and len(pretrained) > 1
    assert "gan_mnist" in pretrained and "gan_mnsit" not in pretrained
    with pytest.raises(KeyError):
        pretrained["gan_mnsit"]
    with pytest.raises(TypeError):
        pretrained["gan_mnist"] = entry
    pretrained["gan_mnist"]["files"]["generator"]["sha256"] = "0" * 64  # a copy
    kgz.applications.info("gan_mnist")["metrics"]["fid"] = -1.0
    assert pretrained["gan_mnist"] == entry


def test_card_rows_and_training_record_of_a_registry_entry():
    entry = kgz.applications.info("cgan_mnist")
    fids = [113.7591, 67.4591, 45.7726]
    curves = {"fid_curve": [{"epoch": 5 * (i + 1), "fid": fid} for i, fid in enumerate(fids)]}
    rows = publish.card_rows(entry, previous_fid=5.98, curves=curves)
    assert rows["FID"] == f"**{entry['metrics']['fid']:.2f}** (the checkpoint shipped before it: 5.98)"
    curve = rows["FID curve (2,000 samples)"]
    assert curve.startswith(f"{fids[0]:.1f}, {fids[1]:.1f}, ")
    assert f"(epochs 5, 10, ..., 15; best: epoch {entry['training']['best_epoch']}" in curve
    assert entry["files"]["generator"]["sha256"] in rows["generator weights"]
    assert rows["classes found"].endswith("(uniform: 2.303)")
    assert list(rows)[:3] == ["recipe", "training", "FID curve (2,000 samples)"]
    assert "5,175 steps of 100 on 4,500 images" in rows["training"]
    assert "provenance" not in rows and not any(key.startswith("FID curve")
                                                for key in publish.card_rows(entry))
    record = publish.training_record("cgan_mnist", entry, "made by a test", curves)
    assert record.startswith("### Training record\n") and record.endswith("\n")
    assert "\nProvenance: made by a test\n" in record
    assert ", ".join(f"{5 * (i + 1)}: {fid}" for i, fid in enumerate(fids)) in record
    nll = [100.5, 98.25, 99.0]
    pixelcnn = kgz.applications.info("pixelcnn_mnist")
    record = publish.training_record("pixelcnn_mnist", pixelcnn, "p", {"val_nll_curve": nll})
    assert record.rstrip().endswith("): 100.5, 98.25, 99.0")
    critic = publish.card_rows(kgz.applications.info("wgan_gp_fashion_mnist"))["training"]
    assert "generator updates (batches of 320, 5 critic updates of 64 each)" in critic
    assert publish.published_command(
        "python cgan_mnist.py --epochs 3 --out /tmp/run --seed 1") == (
        "python applications/cgan_mnist.py --epochs 3 --seed 1")
    with pytest.raises(ValueError, match="recipe command"):
        publish.published_command("cgan_mnist --epochs 3")


def test_registry_entry_of_a_run_record():
    """registry_entry from a recipe's metrics.json dict: generator packaged, .keras not,
    the recipe's own measurements only when asked for, clear errors otherwise."""
    record = {"sha256": "0" * 64, "size": 10}
    run = {"recipe": "vae_mnist", "model": "vae", "config": {"latent_dim": 2},
           "dataset": "mnist", "command": "python vae_mnist.py --out /tmp/x --epochs 3",
           "files": {"generator": {**record, "file": "g.weights.h5", "packaged": False},
                     "model": {**record, "file": "m.keras", "packaged": True}},
           "evaluation": {"fid": 40.0, "num_generated": 10000},
           "measurements": {"test_nll_nats": 98.8, "grids": {"a": "a.png"}},
           "epochs": 3, "steps": 30, "batch_size": 100, "train_examples": 1000,
           "dtype_policy": "float32", "train_seconds": 9.5, "machine": "2 CPUs, x86_64",
           "stopping": {"epochs_asked": 5, "max_minutes": 15.0, "stopped_by": None,
                        "fid_every": 3, "epochs_run": 3,
                        "fid_curve": [{"epoch": 3, "fid": 41.5}]}}
    entry = publish.registry_entry(run, "d", "docs/models/vae.md",
                                   measurement_keys=["test_nll_nats"])
    assert entry["description"] == "d" and entry["card"] == "docs/models/vae.md"
    assert entry["files"]["generator"]["packaged"] and not entry["files"]["model"]["packaged"]
    assert entry["metrics"] == {"fid": 40.0, "num_generated": 10000, "test_nll_nats": 98.8,
                                "measured_on": "the generator file"}
    assert entry["training"]["max_minutes"] == 15.0 and "epochs_run" not in entry["training"]
    assert "fid_curve" not in entry["training"]  # the curve goes to the card
    assert publish.training_curves(run) == {"fid_curve": run["stopping"]["fid_curve"]}
    assert entry["recipe"] == "python applications/vae_mnist.py --epochs 3"
    assert "description" not in publish.registry_entry(run)
    # a resumed run is reproduced by its parts' commands, in order
    resumed = {**run, "command": "python vae_mnist.py --epochs 5 --resume --out /tmp/x",
               "resumed": {"after_epoch": 3, "earlier_command": run["command"]}}
    assert publish.registry_entry(resumed)["recipe"] == (
        "python applications/vae_mnist.py --epochs 3 && "
        "python applications/vae_mnist.py --epochs 5 --resume")
    with pytest.raises(ValueError, match="test_mse"):
        publish.registry_entry(run, measurement_keys=["test_mse"])
    with pytest.raises(ValueError, match="eval_samples"):
        publish.registry_entry({**run, "evaluation": None})


def test_packaged_files_match_the_registry_and_the_wheel_stays_lean():
    # No origin is published yet, so every registered generator ships with the package
    # (docs/applications.md); the full .keras checkpoints never do.
    assert PACKAGED == kgz.applications.list_pretrained()
    shipped = set(os.listdir(download.PACKAGE_DIR))
    expected = {kgz.applications.info(n)["files"]["generator"]["file"] for n in PACKAGED}
    records = {os.path.basename(registry.record_path(n)) for n in PACKAGED}
    assert shipped == expected | records  # nothing unregistered, no .keras
    total = 0
    for name in PACKAGED:
        spec = kgz.applications.info(name)["files"]["generator"]
        path = os.path.join(download.PACKAGE_DIR, spec["file"])
        # InfoGAN's 6.7 M-parameter generator (13.4 MB) is the largest; 48 MB in all (40
        # before the translators: pix2pix 2.2, CycleGAN 2.6, SRGAN 0.7, DiscoGAN 1.4,
        # BiCycleGAN 2.2 MB; 45 before the style-based ones: StyleGAN2 0.85 MB, StyleGAN
        # and ProGAN about 1 MB each; 50 with cgan / acgan_fashion_mnist; 52 with the
        # sentence VAE's 1.6 MB; 59.6 with GRAN's 4.4 MB and GAN-CLS's 3.4 MB, generator and
        # text encoder; the cap leaves room for the video GAN).
        assert os.path.getsize(path) == spec["size"] <= 14_000_000, name
        total += spec["size"]
        assert download.sha256_file(path) == spec["sha256"], name
        with h5py.File(path, "r") as f:  # float16 kernels
            dtypes = set()
            f.visititems(lambda _, item: dtypes.add(str(item.dtype))
                         if isinstance(item, h5py.Dataset) else None)
        assert "float16" in dtypes
    assert total <= 62_000_000, total


SERVE_ALL = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    jobs = json.loads(sys.argv[1])
    for job in jobs:
        served = tf.saved_model.load(job["path"])
        inputs = [tf.constant(np.load(job["latents"]))]
        if job["labels"]:
            inputs.append(tf.constant(np.load(job["labels"])))
        np.save(job["out"], served.serve(*inputs).numpy())
    print(json.dumps({"served": len(jobs), "imported_zoo": "keras_gan_zoo" in sys.modules}))
    """
)


def test_every_packaged_generator_loads_offline_and_its_export_serves_without_the_package(
        tmp_path):
    jobs, expected = [], {}
    samplers = [name for name in PACKAGED if name not in NEXT_FRAME and  # frames: own test
                kgz.registry.model_family(kgz.applications.info(name)["architecture"])
                != "sequence"]  # sentences: own test
    for name in samplers:
        entry = kgz.applications.info(name)
        gan = kgz.applications.load_generator(name)  # empty cache, no origin: the package
        assert type(gan) is kgz.registry.model_class(entry["architecture"])
        config = json.loads(json.dumps(gan.get_config()))
        # the record's config, and options added after it was written at their defaults
        assert {k: config[k] for k in entry["config"]} == entry["config"]
        labels = (np.arange(6) % getattr(gan, "num_classes", 1)).astype("int32") \
            if getattr(gan, "conditional", False) else None
        condition = {"labels": labels}
        if getattr(gan, "condition_kind", None) == "text":  # GAN-CLS: serve(z, captions)
            labels = np.array(publish.evaluation_captions(entry["dataset"], 6, 0)[0])
            condition = {"captions": labels}
        pad = kgz.datasets.info(entry["dataset"])["padding"]  # fashion_mnist_32: 2
        shape = (6, 28 + 2 * pad, 28 + 2 * pad, 1)
        if hasattr(gan, "translate_video"):  # video retargeting: serve(frames), per frame
            from keras_gan_zoo.models.translation.video_gan import (downsample_frames,
                                                                    frame_factor)
            digits = next(iter(kgz.datasets.load(entry["dataset"], "test", batch_size=6,
                                                 limit=6, num_frames=1)))[0][:, 0]
            latents = downsample_frames(digits, frame_factor(
                digits.shape[1], gan.image_shape[0])).numpy()
            images, shape = gan.translate(latents), latents.shape
        elif gan.family == "translation":  # serve(images): test images of the input domain
            from keras_gan_zoo.metrics import translation
            latents = translation.translation_test_data(
                entry["dataset"], num_images=6,
                scale=entry["config"].get("scale"))[0]
            images = gan.translate(latents)
        elif gan.family == "autoregressive":  # serve(noise): uniform noise per sub-pixel
            latents = np.random.default_rng(1).uniform(
                size=(6, *gan.image_shape[:2], gan.groups)).astype("float32")
            images = gan.generate(6, noise=latents, labels=labels)
        else:
            latents = np.random.default_rng(1).standard_normal(
                (6, gan.latent_dim)).astype("float32")
            images = gan.generate(6, latents=latents, **condition)
        assert images.shape == shape, name
        assert -1 <= images.min() and images.max() <= 1 and images.std() > 0.1, name
        export = gan.export_generator(str(tmp_path / name))
        np.save(tmp_path / f"{name}_z.npy", latents)
        if labels is not None:
            np.save(tmp_path / f"{name}_y.npy", labels)
        jobs.append({"path": export, "latents": str(tmp_path / f"{name}_z.npy"),
                     "labels": str(tmp_path / f"{name}_y.npy") if labels is not None else "",
                     "out": str(tmp_path / f"{name}_out.npy")})
        expected[name] = images
    assert _files(_cache()) == []  # nothing was downloaded or cached
    result = subprocess.run([sys.executable, "-c", SERVE_ALL, json.dumps(jobs)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"served": len(samplers), "imported_zoo": False}
    for name, job in zip(samplers, jobs):
        np.testing.assert_allclose(np.load(job["out"]), expected[name], atol=1e-5)


def test_load_model_offline_names_the_origin_variable():
    with pytest.raises(kgz.applications.WeightsUnavailableError) as error:
        kgz.applications.load_model("dcgan_fashion_mnist")
    message = str(error.value)
    assert download.ORIGIN_ENV in message and "dcgan_fashion_mnist.keras" in message
    assert "not packaged" in message


def test_the_cache_comes_before_the_package():
    spec = kgz.applications.info("gan_mnist")["files"]["generator"]
    packaged = kgz.applications.weights_path("gan_mnist")
    assert packaged == os.path.join(download.PACKAGE_DIR, spec["file"])
    os.makedirs(_cache())
    shutil.copyfile(packaged, os.path.join(_cache(), spec["file"]))
    assert kgz.applications.weights_path("gan_mnist") == os.path.join(_cache(), spec["file"])
    explicit = os.path.join(os.path.dirname(_cache()), "elsewhere")
    assert kgz.applications.weights_path("gan_mnist", cache_dir=explicit) == packaged


# --------------------------------------------------------------------------- the CLI
def test_cli_sample_export_and_list_take_pretrained_names(tmp_path, capsys):
    grid = tmp_path / "gan.png"
    assert cli.main(["sample", "gan_mnist", "--out", str(grid), "--num", "16"]) == 0
    assert Image.open(grid).size == (4 * 28 + 5 * 2, 4 * 28 + 5 * 2)

    grid = tmp_path / "acgan.png"  # conditional: one column per class
    assert cli.main(["sample", "acgan_mnist", "--out", str(grid), "--num", "20"]) == 0
    assert Image.open(grid).size == (10 * 28 + 11 * 2, 2 * 28 + 3 * 2)

    export = tmp_path / "dcgan"
    assert cli.main(["export", "dcgan_fashion_mnist", str(export)]) == 0
    assert (export / "saved_model.pb").is_file()

    capsys.readouterr()
    assert cli.main(["list", "*fashion_mnist"]) == 0
    out = capsys.readouterr().out
    fid = kgz.applications.info("dcgan_fashion_mnist")["metrics"]["fid"]
    assert "pretrained" in out and "dcgan_fashion_mnist" in out and f"FID {fid:.2f}" in out
    assert "gan_mnist " not in out
    assert cli.main(["list", "pixelcnn*"]) == 0  # scored by its likelihood, not FID
    nll = kgz.applications.info("pixelcnn_mnist")["metrics"]["test_nll_nats"]
    assert f"NLL {nll:.2f} nats" in capsys.readouterr().out

    grid = tmp_path / "pixelcnn.png"
    assert cli.main(["sample", "pixelcnn_mnist", "--out", str(grid), "--num", "4"]) == 0
    assert Image.open(grid).size == (2 * 28 + 3 * 2, 2 * 28 + 3 * 2)


def test_cli_errors_for_pretrained_names(registered, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["sample", "dcgan_fashion_mnst", "--out", str(tmp_path / "x.png")])
    assert "no pretrained model of that name" in str(stop.value)
    assert "dcgan_fashion_mnist" in str(stop.value)
    # Origin-only weights without an origin: exit 2 and say what to set.
    assert cli.main(["sample", TEST_NAME, "--out", str(tmp_path / "x.png")]) == 2
    assert download.ORIGIN_ENV in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


# --------------------------------------------------------------------------- recipes
def _repo_for_publish_run(tmp_path, card):
    """A copy of what publish_run writes to: the weights folder with the registry's records
    (not the weights), an empty images folder and the model card `card`."""
    repo = tmp_path / "repo"
    weights = repo / "keras_gan_zoo/applications/weights"
    os.makedirs(weights)
    for name in kgz.applications.list_pretrained():
        shutil.copyfile(registry.record_path(name), registry.record_path(name, weights))
    os.makedirs(repo / os.path.dirname(card))
    shutil.copyfile(os.path.join(REPO, card), repo / card)
    os.makedirs(repo / "docs/images")
    return repo


def _published_records(repo):
    """`{name: record}` of the weights folder of a `_repo_for_publish_run` copy."""
    weights = repo / "keras_gan_zoo/applications/weights"
    return {path.name[:-len(".json")]: registry.read_record(path)
            for path in weights.glob("*.json")}


def test_recycle_gan_recipe_publishes_a_retargeting_record(tmp_path, register, monkeypatch):
    """The Recycle-GAN recipe with tiny settings (1 epoch of 16 clips, 4 filters, 16x16
    frames, its twin), then `--publish_only`: the generator file and the figure land in a
    copy of the repo, and the record (scored on the whole paired test split, its headline
    the mean of both directions) registers and loads with load_generator."""
    out = tmp_path / "run"
    script = os.path.join(REPO, "applications", "recycle_gan_moving_mnist.py")
    tiny = ["--eval_frames", "2", "--figure_videos", "2"]
    train = [sys.executable, script, "--limit", "16", "--epochs", "1", "--batch_size", "8",
             "--base_filters", "4", "--predictor_filters", "4", "--num_blocks", "1",
             "--frame_size", "16", "--eval_videos", "8", "--precision", "fp32",
             "--out", str(out), *tiny]
    result = subprocess.run(train, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = json.loads((out / "metrics.json").read_text())
    assert run["frame_size"] == 16 and set(run["models"]) == {"recycle_gan", "cycle_twin"}
    repo = _repo_for_publish_run(tmp_path, "docs/models/recycle_gan.md")
    publish = [sys.executable, script, "--publish_only", str(out), "--repo", str(repo), *tiny]
    refused = subprocess.run(publish + ["--eval_videos", "8"], capture_output=True, text=True,
                             timeout=300, cwd=tmp_path)
    assert refused.returncode != 0 and "whole test split" in refused.stderr
    published = subprocess.run(publish, capture_output=True, text=True, timeout=600,
                               cwd=tmp_path)
    assert published.returncode == 0, published.stderr[-3000:]
    entry = _published_records(repo)["recycle_gan_moving_mnist"]
    metrics = entry["metrics"]
    assert (metrics["num_videos"], metrics["num_frames"], metrics["frame_size"]) == (1000, 2, 16)
    assert set(metrics["directions"]) == {"a_to_b", "b_to_a"}
    for scores in metrics["directions"].values():
        assert set(scores) == {"model", "identity", "cycle_twin"}
        assert {s["frames"] for s in scores.values()} == {2000}
    for key in ("mask_iou", "psnr", "ssim"):
        assert metrics[key] == pytest.approx(np.mean(
            [s["model"][key] for s in metrics["directions"].values()]), abs=1e-4)
    assert entry["recipe"].startswith("python applications/recycle_gan_moving_mnist.py")
    assert "--out" not in entry["recipe"] and entry["training"]["epochs"] == 1
    generator = entry["files"]["generator"]["file"]
    assert (repo / "keras_gan_zoo/applications/weights" / generator).exists()
    assert (repo / "docs/images/recycle_gan_moving_mnist_pretrained.png").exists()
    shutil.copyfile(out / generator, tmp_path / generator)  # the origin of the registered copy
    shutil.copyfile(out / entry["files"]["model"]["file"],
                    tmp_path / entry["files"]["model"]["file"])
    monkeypatch.setenv(download.ORIGIN_ENV, str(tmp_path))
    register("recycle_test", {**entry, "files": {
        kind: {**spec, "packaged": False} for kind, spec in entry["files"].items()}})
    model = kgz.applications.load_generator("recycle_test")
    video = np.random.default_rng(0).uniform(-1, 1, (3, 16, 16, 1)).astype("float32")
    assert model.translate_video(video, direction="b_to_a").shape == video.shape


def test_recipe_runs_end_to_end_and_its_output_loads_as_a_pretrained_entry(
        tmp_path, register):
    """The ACGAN recipe (conditional: labelled batches, measurements hook) with tiny
    settings; publish_run writes its entry, file, grid and card rows into a copy of the
    repo, and that entry, registered, resolves through kgz.applications."""
    out = tmp_path / "run"
    command = [sys.executable, os.path.join(REPO, "applications", "acgan_mnist.py"),
               "--limit", "200", "--epochs", "1", "--batch_size", "50", "--base_filters", "4",
               "--latent_dim", "8", "--eval_samples", "100", "--accuracy_samples", "50",
               "--floor_samples", "100", "--precision", "fp32", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 4 and metrics["train_examples"] == 200
    assert metrics["config"]["num_classes"] == 10 and metrics["config"]["base_filters"] == 4
    evaluation = metrics["evaluation"]
    assert evaluation["num_generated"] == 100 and evaluation["num_real"] == 500
    assert evaluation["extractor"] == "mnist" and evaluation["labels"] == "cycling 0..9"
    assert np.isfinite(evaluation["fid"]) and np.isfinite(evaluation["kid"])
    measurements = metrics["measurements"]  # the hook: class accuracy + auxiliary head
    assert measurements["accuracy_samples"] == 50
    assert 0 <= measurements["class_accuracy"] <= 1
    assert measurements["auxiliary_classifier_test_images"] == 500
    assert measurements["floor_samples"] == 100
    for key in ("real_train_images", "generated_at_floor_samples"):
        assert np.isfinite(measurements[key]["fid"])
    assert measurements["real_train_images"]["fid"] < measurements[
        "generated_at_floor_samples"]["fid"]  # a one-epoch 4-filter GAN is worse than data
    files = metrics["files"]
    for spec in files.values():
        path = out / spec["file"]
        assert download.sha256_file(path) == spec["sha256"]
        assert f"sha256 {spec['sha256']}  {spec['file']}" in result.stdout
    assert "registry record" in result.stdout and "| FID | **" in result.stdout
    grid = np.asarray(Image.open(out / "grid.png"))
    assert grid.shape[:2] == (10 * 28 + 11 * 2, 10 * 28 + 11 * 2)  # 10 classes x 10

    # publish_run into a copy of the repo's registry, weights folder, images and card.
    repo = _repo_for_publish_run(tmp_path, "docs/models/acgan.md")
    publish_command = [sys.executable, os.path.join(REPO, "applications", "publish_run.py"),
                       "--run", str(out), "--repo", str(repo), "--name", "recipe_test",
                       "--card", "docs/models/acgan.md", "--description", "a test run",
                       "--provenance", "this test"]
    refused = subprocess.run(publish_command, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "10,000" in refused.stderr  # 100 samples < 10,000
    published = subprocess.run(publish_command + ["--min_eval_samples", "100"],
                               capture_output=True, text=True, timeout=300)
    assert published.returncode == 0, published.stderr[-3000:]
    records = _published_records(repo)
    entry = records["recipe_test"]
    assert set(records) == set(kgz.applications.list_pretrained()) | {"recipe_test"}
    for name in kgz.applications.list_pretrained():  # the others untouched
        assert records[name] == registry.read_record(registry.record_path(name))
    assert entry["files"]["generator"]["sha256"] == files["generator"]["sha256"]
    assert entry["metrics"]["fid"] == evaluation["fid"] and entry["description"] == "a test run"
    assert entry["recipe"].startswith("python applications/acgan_mnist.py --limit 200")
    assert "--out" not in entry["recipe"]
    assert (repo / "keras_gan_zoo/applications/weights" / files["generator"]["file"]).exists()
    assert (repo / "docs/images/recipe_test_pretrained.png").read_bytes() == (
        out / "grid.png").read_bytes()
    card = (repo / "docs/models/acgan.md").read_text()
    assert f"| FID | **{evaluation['fid']:.2f}** |" in card
    assert files["generator"]["sha256"] in card and "| provenance |" not in card
    # The card's own Pretrained section was written; acgan_fashion_mnist's section is as
    # the repository has it.
    fashion = "\n## Pretrained on Fashion-MNIST: `acgan_fashion_mnist`"
    original = open(os.path.join(REPO, "docs/models/acgan.md")).read()
    assert card[card.index(fashion):] == original[original.index(fashion):]
    own = card[:card.index(fashion)]
    assert own.count("| FID |") == 1 == own.count("| full model |")
    assert own.count("### Training record") == 1 and "\nProvenance: this test\n" in own
    assert metrics["stopping"]["fid_curve"]  # a check after the last epoch
    for point in metrics["stopping"]["fid_curve"]:
        assert f"{point['epoch']}: {point['fid']}" in card
    # applied again without prose: the description and the card's provenance stay
    again = subprocess.run(publish_command[:-4] + ["--min_eval_samples", "100"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _published_records(repo)["recipe_test"] == entry
    assert (repo / "docs/models/acgan.md").read_text() == card

    entry["files"] = {kind: {**spec, "packaged": False} for kind, spec in files.items()}
    register("recipe_test", entry)
    gan = kgz.applications.load_generator("recipe_test", origin=str(out))
    full = kgz.applications.load_model("recipe_test", origin=str(out))
    assert int(full.generator_optimizer.iterations) == 4
    np.testing.assert_allclose(gan.generate(5, seed=2, labels=3),
                               full.generate(5, seed=2, labels=3), atol=2e-2)


def test_autoregressive_recipe_publishes_a_generator_file_scored_by_its_likelihood(
        tmp_path, register):
    """The PixelCNN recipe with tiny settings writes the generator file (the causal
    network, float16 kernels) and scores it by the test NLL; publish_run accepts the
    run (no FID sample count applies) and the entry loads through kgz.applications."""
    out = tmp_path / "run"
    command = [sys.executable, os.path.join(REPO, "applications", "pixelcnn_mnist.py"),
               "--limit", "80", "--validation_images", "16", "--patience", "1",
               "--test_limit", "20", "--epochs", "2", "--num_samples", "4",
               "--filters", "8", "--num_layers", "2", "--output_filters", "8",
               "--precision", "fp32", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 4 and metrics["train_examples"] == 64  # 80 - 16 held out
    stopping = metrics["stopping"]
    assert stopping["validation_images"] == 16 and len(stopping["val_nll_curve"]) == 2
    assert stopping["best_epoch"] == 1 + int(np.argmin(stopping["val_nll_curve"]))
    evaluation = metrics["evaluation"]
    assert evaluation["num_test"] == 20 and evaluation["real"] == "mnist/test"
    # the shipped file scores within float16 rounding of the float32 checkpoint
    assert abs(evaluation["test_nll_nats"] - metrics["checkpoint_test_nll_nats"]) < 0.5
    assert "| test NLL | **" in result.stdout and "| FID |" not in result.stdout
    files = metrics["files"]
    assert download.sha256_file(out / files["generator"]["file"]) == files["generator"]["sha256"]
    assert (out / "grid.png").read_bytes() == (out / "samples.png").read_bytes()

    repo = _repo_for_publish_run(tmp_path, "docs/models/pixelcnn.md")
    published = subprocess.run(
        [sys.executable, os.path.join(REPO, "applications", "publish_run.py"), "--run",
         str(out), "--repo", str(repo), "--name", "pixelcnn_test", "--card",
         "docs/models/pixelcnn.md", "--description", "a test run", "--provenance", "this test"],
        capture_output=True, text=True, timeout=300)
    assert published.returncode == 0, published.stderr[-3000:]
    entry = _published_records(repo)["pixelcnn_test"]
    assert entry["metrics"]["test_nll_nats"] == evaluation["test_nll_nats"]
    assert entry["metrics"]["measured_on"] == "the generator file"
    card = (repo / "docs/models/pixelcnn.md").read_text()
    assert ", ".join(map(str, stopping["val_nll_curve"])) in card

    entry["files"] = {kind: {**spec, "packaged": False} for kind, spec in files.items()}
    register("pixelcnn_test", entry)
    sampler = kgz.applications.load_generator("pixelcnn_test", origin=str(out))
    full = kgz.applications.load_model("pixelcnn_test", origin=str(out))
    noise = np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype("float32")
    # same noise, float16 vs float32 kernels: a pixel flips only where its probability
    # sits within rounding of the noise
    assert np.mean(sampler.generate(3, noise=noise) == full.generate(3, noise=noise)) > 0.98


# --------------------------------------------------------------------------- autoencoding
def _trained_tiny(name, seed=3):
    model = kgz.create_model(name, seed=seed)
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (32, 16, 16, 1)).astype("float32")
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    return model


@pytest.mark.parametrize("architecture", ["autoencoder", "vae", "vae_gan"])
def test_autoencoding_generator_files_sample_like_the_model(architecture, tmp_path,
                                                             register_files, capsys):
    """The generator file of an autoencoding model is what samples: the decoder (and the
    autoencoder's fitted code mixture); load_generator, `sample NAME` and `export NAME`
    work on it and draw what the trained model draws."""
    model = _trained_tiny(f"{architecture}_tiny")
    if architecture == "autoencoder":  # a mixture that is not the N(0, I) prior
        codes = np.random.default_rng(1).normal(3.0, 0.1, (64, model.latent_dim))
        model.density.assign_mixture(
            kgz.models.fit_gaussian_mixture(codes, model.density_components, seed=0))
    weights = publish.save_generator_weights(model, tmp_path / "g.fp16.weights.h5")
    model.save(tmp_path / "m.keras")
    name = f"{architecture}_test"
    entry = register_files(name, architecture, model, tmp_path, "fashion_mnist", {"fid": 1.0})

    loaded = kgz.applications.load_generator(name)
    assert type(loaded) is type(model)
    images = loaded.generate(8, seed=4)
    assert images.shape == (8, 16, 16, 1) and -1 <= images.min() and images.max() <= 1
    np.testing.assert_allclose(images, model.generate(8, seed=4), atol=2e-2)
    full = kgz.applications.load_model(name)
    np.testing.assert_allclose(full.generate(8, seed=4), model.generate(8, seed=4), atol=1e-6)
    if architecture == "autoencoder":
        for key in ("means", "cholesky", "log_weights"):
            np.testing.assert_array_equal(getattr(loaded.density, key).numpy(),
                                          getattr(model.density, key).numpy())
        prior = loaded.decode(np.random.default_rng(4).standard_normal((8, model.latent_dim)))
        assert np.abs(images - prior).max() > 1e-3  # the mixture was sampled, not N(0, I)
        with h5py.File(weights, "r") as f:
            assert f[publish.LATENT_DENSITY_GROUP]["cholesky"].dtype == np.float32

    grid = tmp_path / "grid.png"
    assert cli.main(["sample", name, "--out", str(grid), "--num", "4"]) == 0
    assert Image.open(grid).size == (2 * 16 + 3 * 2, 2 * 16 + 3 * 2)
    assert cli.main(["export", name, str(tmp_path / "export")]) == 0
    assert (tmp_path / "export" / "saved_model.pb").is_file()
    assert sorted(_files(_cache())) == sorted(spec["file"] for spec in entry["files"].values())


# --------------------------------------------------------------------------- text-conditional
def test_a_text_conditional_generator_file_samples_from_captions(tmp_path, register_files):
    """GAN-CLS turns captions into images through its text encoder: its generator file holds
    the generator (the EMA weights) and the text encoder (group ``text_encoder``, float16
    kernels), so load_generator draws for captions what the trained model draws; a file
    without the encoder is refused."""
    model = kgz.create_model("gan_cls_tiny", seed=3, ema_beta=0.5)
    # Weights far from their initialization (a freshly initialized tiny generator draws
    # near-constant images, which any weights would match): a model that did not load the
    # encoder, or the generator, samples otherwise.
    rng = np.random.default_rng(1)
    for variable in model.generator.trainable_weights + model.text_encoder.trainable_weights:
        variable.assign(variable.numpy() + rng.normal(0, 0.3, variable.shape).astype("float32"))
    model.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    model.fit(images, np.array(["sandal", "a dark bag", "coat", "a light sandal"] * 4),
              batch_size=8, epochs=1, verbose=0)
    weights = publish.save_generator_weights(model, tmp_path / "g.fp16.weights.h5")
    model.save(tmp_path / "m.keras")
    with h5py.File(weights, "r") as f:
        assert publish.TEXT_ENCODER_GROUP in f
        arrays = []  # the tiny encoder's: all below the float16 size
        f[publish.TEXT_ENCODER_GROUP].visititems(
            lambda key, item: arrays.append((item.size, item.dtype))
            if isinstance(item, h5py.Dataset) else None)
        assert len(arrays) >= 5  # embedding, GRU kernels and bias, dense kernel and bias
        for size, dtype in arrays:
            assert dtype == (np.float16 if size >= publish.HALF_PRECISION_MIN_SIZE
                             else np.float32)
    entry = register_files("gan_cls_test", "gan_cls", model, tmp_path,
                           "fashion_mnist_captions", {"fid": 1.0})

    loaded = kgz.applications.load_generator("gan_cls_test")
    assert type(loaded) is type(model) and loaded.vocabulary == model.vocabulary
    asked = ["a dark bag", "sandal", "ankle boot", "a small light coat", "A  Dark BAG"]
    expected = model.generate(5, seed=2, captions=asked)  # the EMA generator
    assert np.abs(expected).max() > 0.3 and np.abs(expected[0] - expected[1]).max() > 0.1
    np.testing.assert_allclose(loaded.generate(5, seed=2, captions=asked), expected, atol=2e-2)
    np.testing.assert_allclose(loaded.generate(5, seed=2, captions=asked, use_ema=False),
                               expected, atol=2e-2)
    full = kgz.applications.load_model("gan_cls_test")
    np.testing.assert_allclose(full.generate(5, seed=2, captions=asked), expected, atol=1e-6)
    # Without the encoder's weights the same captions give other images.
    generator_only = kgz.registry.model_class("gan_cls").from_config(entry["config"])
    publish.sampling_network(generator_only, use_ema=False).load_weights(weights)
    assert np.abs(generator_only.generate(5, seed=2, captions=asked) - expected).max() > 0.1

    with h5py.File(weights, "a") as f:
        del f[publish.TEXT_ENCODER_GROUP]
    with pytest.raises(ValueError, match="no 'text_encoder' group.*captions"):
        kgz.applications.build_from_weights("gan_cls", entry["config"], weights)


def test_a_text_conditional_model_is_measured_for_captions_of_the_test_images():
    """publish.measure samples a text-conditional model for captions of random test
    images of its captioned dataset, against the images of that dataset's base in the base's
    domain-classifier features; the record and card say how the captions were chosen."""
    model = kgz.create_model("gan_cls", image_shape=(28, 28, 1), latent_dim=8,
                             base_filters=4, word_dim=8, text_units=8, text_dim=8,
                             projection_dim=4, seed=0)
    asked = []
    generate = model.generate

    def recording(n, **kwargs):
        asked.extend(kwargs["captions"])
        return generate(n, **kwargs)

    model.generate = recording
    measured = publish.measure(model, "fashion_mnist_captions", num_samples=40, seed=3,
                               batch_size=32)
    assert measured["real"] == "fashion_mnist/test" and measured["extractor"] == "fashion_mnist"
    assert measured["num_generated"] == 40 and measured["labels"] is None
    assert measured["captions"] == publish.caption_protocol("fashion_mnist_captions")
    assert {"fid", "kid", "is", "classes_found"} <= set(measured)
    # each batch is drawn for the captions of evaluation_captions with the batch's seed
    assert len(asked) == 40 and len(set(asked)) > 10
    for index, (start, n) in enumerate([(0, 32), (32, 8)]):
        seed = importlib.import_module("keras_gan_zoo.metrics.evaluate")._batch_seed(3, index)
        assert asked[start:start + n] == publish.evaluation_captions(
            "fashion_mnist_captions", n, seed)[0]
    with pytest.raises(ValueError, match="not a captioned dataset"):
        publish.measure(model, "fashion_mnist", num_samples=8)
    entry = {"architecture": "gan_cls", "config": {}, "dataset": "fashion_mnist_captions",
             "metrics": measured, "recipe": "python applications/gan_cls_fashion_mnist.py",
             "training": {"epochs": 1, "steps": 1, "batch_size": 64, "train_examples": 64,
                          "dtype_policy": "float32", "train_seconds": 1.0},
             "files": {"generator": {"file": "g.h5", "size": 10, "sha256": "0",
                                     "packaged": True},
                       "model": {"file": "m.keras", "size": 10, "sha256": "1",
                                 "packaged": False}}}
    rows = publish.card_rows(entry)
    assert rows["captions"].startswith("40 samples of the generator file, for each sample, a "
                                       "random test image of fashion_mnist_captions")


def test_autoencoder_generator_file_needs_its_fitted_mixture(tmp_path):
    model = _trained_tiny("autoencoder_tiny")
    model.density.fitted.assign(0.0)
    with pytest.raises(ValueError, match="fit_latent_density"):
        publish.save_generator_weights(model, tmp_path / "g.fp16.weights.h5")
    model.generator.save_weights(tmp_path / "decoder_only.weights.h5")  # no mixture
    with pytest.raises(ValueError, match="latent_density"):
        kgz.applications.build_from_weights("autoencoder", model.get_config(),
                                            str(tmp_path / "decoder_only.weights.h5"))


def test_shipped_autoencoder_samples_its_mixture():
    gen = kgz.applications.load_generator("autoencoder_fashion_mnist")  # offline: packaged
    assert float(gen.density.fitted.numpy()) == 1.0
    assert gen.density_components == gen.get_config()["density_components"] == 10
    images = gen.generate(16, seed=0)
    assert images.shape == (16, 28, 28, 1) and -1 <= images.min() and images.max() <= 1
    np.testing.assert_array_equal(images, gen.generate(16, seed=0))
    assert not np.array_equal(images, gen.generate(16, seed=1))


def test_autoencoder_recipe_trains_until_the_fid_stops_improving(tmp_path, register):
    """The autoencoder recipe with tiny settings: FID checks every epoch, early stopping,
    the mixture fitted on all training codes, and a generator file that samples like
    the full checkpoint."""
    out = tmp_path / "run"
    command = [sys.executable, os.path.join(REPO, "applications", "autoencoder_fashion_mnist.py"),
               "--limit", "256", "--epochs", "3", "--batch_size", "64", "--base_filters", "4",
               "--latent_dim", "4", "--components", "3", "--fid_every", "1", "--patience", "1",
               "--fid_samples", "100", "--eval_samples", "100", "--max_minutes", "5",
               "--precision", "fp32", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    stopping = metrics["stopping"]
    assert stopping["epochs_asked"] == 3 and 2 <= stopping["epochs_run"] <= 3
    assert stopping["fid_samples"] == stopping["fid_real"] == 100
    assert metrics["epochs"] == stopping["epochs_run"] == len(stopping["fid_curve"])
    assert metrics["steps"] == 4 * stopping["epochs_run"]
    assert [point["epoch"] for point in stopping["fid_curve"]] == list(
        range(1, stopping["epochs_run"] + 1))
    best = min(stopping["fid_curve"], key=lambda point: point["fid"])
    assert stopping["best_epoch"] == best["epoch"]
    assert stopping["restored_best_weights"] == (best["epoch"] != stopping["epochs_run"])
    assert set(stopping["losses_at_best_epoch"]) == set(metrics["final_losses"])
    if best["epoch"] == stopping["epochs_run"]:
        assert stopping["losses_at_best_epoch"] == pytest.approx(metrics["final_losses"],
                                                                 abs=1e-4)
    assert (stopping["stopped_by"] is not None) == (stopping["epochs_run"] < 3)
    assert metrics["finalize"]["codes"] == 256 and metrics["finalize"]["mixture_components"] == 3
    assert 0 < metrics["measurements"]["test_mse"] < 4
    assert metrics["evaluation"]["num_generated"] == 100
    files = metrics["files"]
    entry = {"architecture": "autoencoder", "config": metrics["config"],
             "dataset": "fashion_mnist", "metrics": metrics["evaluation"], "training": {},
             "recipe": metrics["command"], "description": "a test",
             "card": "docs/models/autoencoder.md",
             "files": {kind: {**spec, "packaged": False} for kind, spec in files.items()}}
    register("ae_recipe_test", entry)
    gen = kgz.applications.load_generator("ae_recipe_test", origin=str(out))
    full = kgz.applications.load_model("ae_recipe_test", origin=str(out))
    np.testing.assert_allclose(gen.generate(6, seed=2), full.generate(6, seed=2), atol=2e-2)


def test_a_recipe_run_resumes_from_its_checkpoint(tmp_path):
    """`--resume` continues a finished recipe run: the optimizer state and step counter
    go on (the generator's Adam counts both parts' steps), metrics.json adds up the two
    parts and keeps the first part's FID checks; nothing left to train is an error."""
    out = tmp_path / "run"
    command = [sys.executable, os.path.join(REPO, "applications", "dcgan_fashion_mnist.py"),
               "--limit", "128", "--batch_size", "32", "--base_filters", "4",
               "--fid_every", "1", "--fid_samples", "100", "--patience", "0",
               "--eval_samples", "0", "--precision", "fp32", "--out", str(out)]

    def run(*flags):
        return subprocess.run(command + list(flags), capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)

    first = run("--epochs", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    earlier = json.loads((out / "metrics.json").read_text())
    second = run("--epochs", "3", "--resume")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "after epoch 1" in second.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 3 and metrics["steps"] == 12
    assert [p["epoch"] for p in metrics["stopping"]["fid_curve"]] == [1, 2, 3]
    assert metrics["stopping"]["fid_curve"][0] == earlier["stopping"]["fid_curve"][0]
    assert metrics["resumed"]["after_epoch"] == 1
    assert metrics["resumed"]["earlier_command"] == earlier["command"]
    assert metrics["train_seconds"] > earlier["train_seconds"]
    model = keras.models.load_model(str(out / "dcgan_fashion_mnist.keras"))
    assert int(model.generator_optimizer.iterations) == 12
    assert int(model.step_counter.numpy()) == 12
    again = run("--epochs", "3", "--resume")
    assert again.returncode != 0 and "already holds 3 epochs" in again.stderr


def test_gan_cls_recipe_finishes_a_run_of_its_earlier_version(tmp_path, register):
    """`gan_cls_fashion_mnist.py --finish` turns a run of the earlier recipe (a .keras and
    its own metrics.json) into what publish_run reads: the generator file (generator and
    text encoder), samples of it in grid.png, its measurement for captions of the test
    images and metrics.json in recipe.run's schema; it refuses another checkpoint."""
    out = tmp_path / "run"
    out.mkdir()
    model = kgz.create_model("gan_cls", image_shape=(28, 28, 1), latent_dim=8, base_filters=4,
                             word_dim=8, text_units=8, text_dim=8, projection_dim=4, seed=1)
    model.compile()
    checkpoint = out / "gan_cls_fashion_mnist.keras"
    model.save(checkpoint)
    earlier = {  # what the earlier recipe wrote
        "recipe": "gan_cls_fashion_mnist",
        "command": "python applications/gan_cls_fashion_mnist.py --seed 2 --out " + str(out),
        "model": "gan_cls", "config": json.loads(json.dumps(model.get_config())),
        "dataset": "fashion_mnist_captions", "train_examples": 64, "epochs": 1, "steps": 1,
        "stopping": {"epochs_asked": 1, "epochs_run": 1, "max_minutes": None,
                     "stopped_by": None, "fid_every": None},
        "batch_size": 64, "dtype_policy": "float32", "train_seconds": 1.0,
        "train_cpu_seconds": 2.0, "machine": publish.machine_description(),
        "final_losses": {"d_loss": 1.0}, "measurements": {"class_accuracy": 0.1},
        "evaluation": {"fid": 300.0, "num_generated": 10000,
                       "captions": "a random caption of a random test image per sample"},
        "files": {"model": publish.file_record(checkpoint)}}
    (out / "metrics.json").write_text(json.dumps(earlier))
    command = [sys.executable, os.path.join(REPO, "applications", "gan_cls_fashion_mnist.py"),
               "--finish", "--eval_samples", "64", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert json.loads((out / "metrics.recipe.json").read_text()) == earlier
    assert metrics["checkpoint_evaluation"] == earlier["evaluation"]
    for key in ("command", "config", "stopping", "train_seconds", "measurements"):
        assert metrics[key] == earlier[key], key
    evaluation = metrics["evaluation"]
    assert evaluation["num_generated"] == 64 and evaluation["seed"] == 2  # the run's --seed
    assert evaluation["real"] == "fashion_mnist/test" and evaluation["num_real"] == 10000
    assert evaluation["captions"] == publish.caption_protocol("fashion_mnist_captions")
    files = metrics["files"]
    assert files["model"] == earlier["files"]["model"] and files["generator"]["packaged"]
    weights = out / files["generator"]["file"]
    assert download.sha256_file(weights) == files["generator"]["sha256"]
    with h5py.File(weights, "r") as f:
        assert publish.TEXT_ENCODER_GROUP in f
    grid = np.asarray(Image.open(out / "grid.png"))
    assert grid.shape[:2] == (10 * 28 + 11 * 2, 10 * 28 + 11 * 2)  # a row per class name
    shipped = kgz.applications.build_from_weights("gan_cls", metrics["config"], str(weights))
    np.testing.assert_allclose(shipped.generate(3, seed=0, captions="a dark bag"),
                               model.generate(3, seed=0, captions="a dark bag"), atol=2e-2)

    repo = _repo_for_publish_run(tmp_path, "docs/models/gan_cls.md")
    published = subprocess.run(
        [sys.executable, os.path.join(REPO, "applications", "publish_run.py"), "--run",
         str(out), "--repo", str(repo), "--name", "gan_cls_test", "--measurement_keys",
         "class_accuracy", "--description", "a test run", "--provenance", "this test",
         "--min_eval_samples", "64"], capture_output=True, text=True, timeout=300)
    assert published.returncode == 0, published.stderr[-3000:]
    entry = _published_records(repo)["gan_cls_test"]
    assert entry["metrics"]["captions"] == evaluation["captions"]
    assert entry["metrics"]["class_accuracy"] == 0.1
    assert entry["recipe"] == "python applications/gan_cls_fashion_mnist.py --seed 2"
    card = (repo / "docs/models/gan_cls.md").read_text()
    assert f"| FID | **{evaluation['fid']:.2f}** |" in card and "| captions | 64 samples" in card
    assert "not published yet |" not in card

    kgz.create_model("gan_cls", image_shape=(28, 28, 1), latent_dim=8, base_filters=4,
                     word_dim=8, text_units=8, text_dim=8, projection_dim=4,
                     seed=5).save(checkpoint)  # another checkpoint than the run's
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert again.returncode != 0 and "is not the checkpoint" in again.stderr


def test_publish_run_writes_into_the_section_of_the_checkpoint_it_publishes():
    """A card of two checkpoints: each publish rewrites its own Pretrained section."""
    sys.path.insert(0, os.path.join(REPO, "applications"))
    try:
        import publish_run
    finally:
        sys.path.pop(0)
    card = textwrap.dedent("""\
        # CGAN

        ## Pretrained

        | | |
        | --- | --- |
        | FID | **3.08** |

        ## Pretrained on Fashion-MNIST: `cgan_fashion_mnist`

        | | |
        | --- | --- |
        | FID | old |

        ## Tiny variant
        """)
    text, unplaced = publish_run.replace_card_rows(card, {"FID": "**2.14**"},
                                                   "cgan_fashion_mnist")
    assert unplaced == [] and "| FID | **3.08** |" in text and "| FID | old |" not in text
    assert text.index("**2.14**") > text.index("`cgan_fashion_mnist`")
    text, _ = publish_run.replace_card_rows(card, {"FID": "**3.00**"}, "cgan_mnist")
    assert "| FID | **3.00** |" in text and "| FID | old |" in text  # the unnamed section
    recorded = publish_run.replace_training_record(card, "### Training record\n\nnew\n",
                                                   "cgan_fashion_mnist")
    assert recorded.index("new") > recorded.index("`cgan_fashion_mnist`")
    assert recorded.index("new") < recorded.index("## Tiny variant")


# --------------------------------------------------------------------------- sentences
_SENTENCES = ["the moon is rising on the sea", "the star is rising", "the sea and the moon",
              "the star is on the sea", "and the moon is rising on the star"]


def test_a_sentence_vae_generator_file_holds_every_network(tmp_path, register_files):
    """The sentence VAE has no single generator: its file holds every network (float16
    kernels), the encoder that reconstruct / interpolate need included, so load_generator
    decodes the greedy sentences of the trained model and scores a close NLL; a file
    without the encoder is refused."""
    model = kgz.create_model("sentence_vae_tiny", seed=3, hidden_units=32)  # GRU kernels of
    model.compile()                                                          # >= 1024 entries
    model.fit(kgz.datasets.sentence_dataset(_SENTENCES * 4, model.vocabulary, 8, seed=0),
              epochs=2, verbose=0)
    # Weights far from their initialization: a network left out would decode otherwise.
    rng = np.random.default_rng(1)
    model.set_weights([w + rng.normal(0, 0.5, w.shape).astype(w.dtype)
                       for w in model.get_weights()])
    weights = publish.save_generator_weights(model, tmp_path / "g.fp16.weights.h5")
    model.save(tmp_path / "m.keras")
    with h5py.File(weights, "r") as f:
        assert {"embedding", "encoder_gru", "decoder_gru", "head"} <= set(f)
        kernels = []
        f.visititems(lambda key, item: kernels.append(item.dtype)
                     if isinstance(item, h5py.Dataset)
                     and item.size >= publish.HALF_PRECISION_MIN_SIZE else None)
        assert kernels and all(dtype == np.float16 for dtype in kernels)
    # Give the model the values the file holds (its large arrays rounded to float16): the
    # loaded model must then decode exactly as it does. Compared with the float32 model, a
    # near tie in a greedy argmax could tell float16 from float32, not a missing network.
    model.set_weights([w.astype(np.float16).astype(w.dtype)
                       if w.dtype == np.float32 and w.size >= publish.HALF_PRECISION_MIN_SIZE
                       else w for w in model.get_weights()])
    entry = register_files("sentence_vae_test", "sentence_vae", model, tmp_path, "verse",
                           {"test_nll_nats": 1.0})

    loaded = kgz.applications.load_generator("sentence_vae_test")
    assert type(loaded) is type(model) and loaded.vocabulary == model.vocabulary
    assert loaded.generate(6, seed=2, greedy=True) == model.generate(6, seed=2, greedy=True)
    assert loaded.reconstruct(_SENTENCES) == model.reconstruct(_SENTENCES)
    assert loaded.interpolate(*_SENTENCES[:2], steps=4) == model.interpolate(*_SENTENCES[:2],
                                                                            steps=4)
    np.testing.assert_allclose(loaded.encode(_SENTENCES), model.encode(_SENTENCES), atol=0.02)
    shipped, trained = (m.evaluate_sentences(_SENTENCES, seed=0) for m in (loaded, model))
    assert shipped["tokens"] == trained["tokens"]
    assert abs(shipped["nll"] - trained["nll"]) < 0.01 * trained["nll"]
    assert abs(shipped["kl"] - trained["kl"]) < 0.01 * trained["kl"] + 1e-3

    with h5py.File(weights, "a") as f:
        del f["encoder_gru"]
    with pytest.raises(ValueError, match="does not hold every network of SentenceVAE"):
        kgz.applications.build_from_weights("sentence_vae", entry["config"], weights)


def test_the_shipped_sentence_vae_scores_its_record_offline():
    """sentence_vae_verse loads from the package (no cache, no origin), scores the record's
    test NLL on the verse test split and decodes from the prior, reconstructs, interpolates."""
    entry = kgz.applications.info("sentence_vae_verse")
    vae = kgz.applications.load_generator("sentence_vae_verse")
    assert _files(_cache()) == []
    metrics = entry["metrics"]
    test = [s for s in kgz.datasets.verse_lines("test", seed=0)
            if len(kgz.datasets.tokenize(s)) <= vae.max_length]
    figures = vae.evaluate_sentences(test, seed=0)
    assert (figures["sentences"], figures["tokens"]) == (metrics["test_sentences"],
                                                         metrics["test_tokens"])
    assert abs(figures["nll"] - metrics["test_nll_nats"]) < 2e-3
    assert abs(figures["nll"] - metrics["checkpoint_test_nll_nats"]) < 2e-3  # float32 .keras
    assert metrics["baseline"]["test_nll_nats"] < metrics["test_nll_nats"]  # the bound
    assert vae.generate(2, seed=0, greedy=True) == [  # docs/models/sentence_vae.md
        "o wild willow, shine quietly over the song",
        "there is a harbor that glows across the blue sea"]
    path = vae.interpolate(test[0], test[1], steps=3)
    assert len(path) == 3 and path[0] == vae.reconstruct([test[0]])[0]


# --------------------------------------------------------------------------- next frames
def test_a_next_frame_generator_file_predicts_like_the_model(tmp_path, register_files):
    """A video GAN's generator file (the translator of stacked context frames, float16
    kernels) registered as a checkpoint: load_generator predicts what the file predicts,
    close to the trained model, and measure_next_frame (the registry's protocol) scores it
    again exactly."""
    from keras_gan_zoo.models.translation import video_gan

    model = kgz.create_model("video_gan_tiny", seed=3, base_filters=8)  # kernels >= 1024
    rng = np.random.default_rng(1)  # weights far from their initialization
    for variable in model.generator.trainable_weights:
        variable.assign(variable.numpy() + rng.normal(0, 0.1, variable.shape).astype("float32"))
    model.compile()
    weights = publish.save_generator_weights(model, tmp_path / "g.fp16.weights.h5")
    model.save(tmp_path / "m.keras")
    with h5py.File(weights, "r") as f:
        assert "a_to_b" in f  # the translator of the one direction; no discriminator
        dtypes = set()
        f.visititems(lambda _, item: dtypes.add(str(item.dtype))
                     if isinstance(item, h5py.Dataset) else None)
        assert "float16" in dtypes
    shipped = kgz.applications.build_from_weights("video_gan", model.get_config(), weights)
    evaluation = publish.measure_next_frame(shipped, "moving_mnist", num_sequences=8,
                                            n_future=3)
    assert evaluation["num_sequences"] == 8 and not evaluation["whole_split"]
    assert (evaluation["context_frames"], evaluation["n_future"]) == (2, 3)
    assert evaluation["real"] == "moving_mnist/test" and evaluation["steps"] == [1, 2, 3]
    assert evaluation["psnr_step1"] == evaluation["model"]["psnr"][0]
    assert evaluation["mean_psnr"] == pytest.approx(np.mean(evaluation["model"]["psnr"]),
                                                    abs=1e-4)
    assert set(evaluation["copy_last"]) == {"psnr", "ssim", "sharpness"}
    register_files("video_gan_test", "video_gan", model, tmp_path, "moving_mnist",
                   {**evaluation, "measured_on": "the generator file"})

    loaded = kgz.applications.load_generator("video_gan_test")
    assert type(loaded) is type(model)
    context = video_gan.load_videos("moving_mnist", "test", 6, num_frames=2, frame_size=16)
    expected = model.predict_frames(context, 4)
    assert expected.shape == (6, 4, 16, 16, 1)
    assert np.abs(expected - context[:, -1:]).max() > 0.1  # not a copy of the last frame
    predicted = loaded.predict_frames(context, 4)
    np.testing.assert_array_equal(predicted, shipped.predict_frames(context, 4))
    np.testing.assert_allclose(predicted[:, 0], expected[:, 0], atol=2e-2)  # float16 kernels
    assert np.abs(predicted - expected).mean() < 5e-3  # their rounding, fed back 3 times
    again = publish.measure_next_frame(loaded, "moving_mnist", num_sequences=8, n_future=3)
    assert {k: v for k, v in again.items() if k != "seconds"} == {
        k: v for k, v in evaluation.items() if k != "seconds"}


def _next_frame_entry():
    """A next-frame registry record with made-up scores over 3 future steps."""
    scores = {"psnr": [19.2155, 17.2513, 16.2069], "ssim": [0.7081, 0.5607, 0.4675],
              "sharpness": [15.1858, 14.5794, 14.2606]}
    return {"architecture": "video_gan", "name": "video_gan_moving_mnist",
            "config": {"context_frames": 4}, "dataset": "moving_mnist",
            "recipe": "python applications/video_gan_moving_mnist.py",
            "metrics": {"model": scores,
                        "copy_last": {"psnr": [14.3701, 13.1655, 12.6671],
                                      "ssim": [0.4851, 0.379, 0.3357],
                                      "sharpness": [13.9353, 12.7563, 12.2746]},
                        "l2_only": {"psnr": [20.5286, 18.3457, 17.0788],
                                    "ssim": [0.8101, 0.6836, 0.5923],
                                    "sharpness": [15.6756, 14.9151, 14.5465]},
                        "steps": [1, 2, 3], "num_sequences": 1000, "context_frames": 4,
                        "n_future": 3, "real": "moving_mnist/test", "whole_split": True,
                        "psnr_step1": 19.2155, "mean_psnr": 17.5579,
                        "measured_on": "the generator file"},
            "training": {"epochs": 18, "steps": 11250, "batch_size": 16,
                         "train_examples": 10000, "dtype_policy": "mixed_bfloat16",
                         "train_seconds": 2500.0, "stopped_by": "time budget (45 min)"},
            "files": {"generator": {"file": "g.h5", "size": 480072, "sha256": "0",
                                    "packaged": True},
                      "model": {"file": "m.keras", "size": 10, "sha256": "1",
                                "packaged": False}}}


def test_next_frame_card_rows_table_and_training_record():
    """A next-frame record's card: PSNR / SSIM rows beside the baselines, a table of every
    future step, and the training PSNR of every epoch in the Training record."""
    entry = _next_frame_entry()
    rows = publish.card_rows(entry)
    assert rows["PSNR at step 1"] == "**19.22 dB** (copy_last 14.37 dB, l2_only 20.53 dB)"
    assert rows["PSNR, mean of steps 1-3"] == "**17.56 dB** (copy_last 13.40 dB, l2_only 18.65 dB)"
    assert rows["SSIM at step 1"] == "**0.708** (copy_last 0.485, l2_only 0.810)"
    assert rows["measured on"].startswith(
        "the 1,000 sequences of moving_mnist/test (the whole split): 3 frames predicted "
        "auto-regressively from 4 by the shipped generator file")
    assert "11,250 steps of 16 on 10,000 sequences per epoch" in rows["training"]
    assert "stopped by time budget (45 min)" in rows["training"] and "FID" not in rows
    table = publish.next_frame_table(entry)
    assert table.startswith(publish.NEXT_FRAME_HEADING + "\n") and table.endswith("\n")
    assert "| score | predictor | 1 | 2 | 3 |" in table
    assert "| PSNR (dB) | **video_gan_moving_mnist** | **19.22** | **17.25** | **16.21** |" in table
    assert "| SSIM | copy_last | 0.485 | 0.379 | 0.336 |" in table
    assert "| sharpness difference (dB) | l2_only | 15.68 | 14.92 | 14.55 |" in table
    record = publish.training_record("video_gan_moving_mnist", entry, "p",
                                     {"train_psnr_curve": [16.75, 18.48, 18.94]})
    assert record.rstrip().endswith("after epochs 1 to 3: 16.75, 18.48, 18.94")
    assert "\nTraining PSNR in dB " in record


_VIDEO_FLAGS = ("--limit", "32", "--batch_size", "16", "--frame_size", "16", "--num_scales", "2",
                "--context_frames", "2", "--base_filters", "2", "--discriminator_filters", "2",
                "--dense_units", "4", "--n_future", "2", "--figure_sequences", "2",
                "--precision", "fp32")


def _video_recipe(out, *flags):
    """applications/video_gan_moving_mnist.py with tiny networks, writing into `out`."""
    command = [sys.executable, os.path.join(REPO, "applications", "video_gan_moving_mnist.py"),
               *_VIDEO_FLAGS, "--out", str(out), *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=600,
                          cwd=os.path.dirname(out))


@pytest.fixture(scope="module")
def video_run(tmp_path_factory):
    """A finished one-epoch run of the video GAN recipe (2 steps) with its l2 twin, measured
    on the whole test split (1,000 sequences, 2 future frames)."""
    out = tmp_path_factory.mktemp("video") / "run"
    result = _video_recipe(out, "--epochs", "1", "--l2_twin")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_video_gan_recipe_resumes_its_run(video_run, tmp_path):
    """`--resume` continues the video GAN run from its checkpoint: the optimizers' and step
    counters go on, the loss curves are appended to, epochs / steps / time add up; the l2
    twin is not trained further (measured again as it was); flags that are not the run's are
    an error."""
    out = tmp_path / "run"
    shutil.copytree(video_run, out)
    earlier = json.loads((out / "metrics.json").read_text())
    result = _video_recipe(out, "--epochs", "2", "--resume")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "after epoch 1" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["epochs"], metrics["steps"]) == (2, 4)
    assert metrics["resumed"]["after_epoch"] == 1
    assert metrics["resumed"]["earlier_command"] == earlier["command"]
    assert metrics["train_seconds"] > earlier["train_seconds"]
    for key, values in metrics["loss_curve"].items():
        assert len(values) == 2 and values[0] == earlier["loss_curve"][key][0], key
    assert metrics["stopping"]["train_psnr_curve"] == metrics["loss_curve"]["psnr"]
    assert metrics["measurements"]["l2_twin"] == earlier["measurements"]["l2_twin"]
    assert metrics["evaluation"]["l2_only"] == earlier["evaluation"]["l2_only"]
    assert metrics["files"]["generator"]["sha256"] != earlier["files"]["generator"]["sha256"]
    model = keras.models.load_model(str(out / "video_gan_moving_mnist.keras"))
    assert int(model.generator_optimizer.iterations) == 4
    assert int(model.step_counter.numpy()) == 4
    # (nothing left to train: recipe.checkpoint_state, tested with the DCGAN recipe)
    other = _video_recipe(out, "--epochs", "3", "--resume", "--base_filters", "4")
    assert other.returncode != 0 and "differ from the checkpoint's config" in other.stderr


def test_video_gan_run_publishes_with_publish_run(video_run, tmp_path, register):
    """publish_run takes a run of the video GAN recipe (no FID: PSNR / SSIM / sharpness per
    future step on the whole test split, measured on the generator file): the record, the
    grid, the card's rows, table of every step and Training record; the record loads and
    its PSNR is the file's. A run measured on part of the test split is refused."""
    metrics = json.loads((video_run / "metrics.json").read_text())
    evaluation = metrics["evaluation"]
    assert evaluation["whole_split"] and evaluation["num_sequences"] == 1000
    assert set(evaluation) >= {"model", "copy_last", "l2_only", "psnr_step1", "mean_psnr"}
    grid = Image.open(video_run / "grid.png")  # 2 sequences x (truth, model, twin) rows
    assert grid.size == (4 * 16 + 5 * 2, 6 * 16 + 7 * 2)
    repo = _repo_for_publish_run(tmp_path, "docs/models/video_gan.md")
    command = [sys.executable, os.path.join(REPO, "applications", "publish_run.py"),
               "--repo", str(repo), "--name", "video_gan_test", "--description", "a test run",
               "--provenance", "this test"]
    published = subprocess.run(command + ["--run", str(video_run)], capture_output=True,
                               text=True, timeout=300)
    assert published.returncode == 0, published.stderr[-3000:]
    entry = _published_records(repo)["video_gan_test"]
    assert entry["metrics"] == {**evaluation, "measured_on": "the generator file"}
    assert (entry["training"]["epochs"], entry["training"]["train_examples"]) == (1, 32)
    assert (repo / "docs/images/video_gan_test_pretrained.png").read_bytes() == (
        video_run / "grid.png").read_bytes()
    card = (repo / "docs/models/video_gan.md").read_text()
    assert f"| PSNR at step 1 | **{evaluation['psnr_step1']:.2f} dB** (copy_last " in card
    assert "| recipe | not published yet |" not in card
    assert card.count(publish.NEXT_FRAME_HEADING) == 1 and "\nProvenance: this test\n" in card
    assert "\nTraining PSNR in dB " in card

    partial = tmp_path / "partial"
    shutil.copytree(video_run, partial)
    metrics["evaluation"].update(whole_split=False, num_sequences=8)
    (partial / "metrics.json").write_text(json.dumps(metrics))
    refused = subprocess.run(command + ["--run", str(partial)], capture_output=True, text=True,
                             timeout=300)
    assert refused.returncode != 0 and "8 test sequences" in refused.stderr
    assert "--eval_sequences" in refused.stderr

    entry["files"] = {kind: {**spec, "packaged": False} for kind, spec in entry["files"].items()}
    register("video_gan_test", entry)
    loaded = kgz.applications.load_generator("video_gan_test", origin=str(video_run))
    measured = publish.measure_next_frame(loaded, "moving_mnist", n_future=1)
    assert measured["psnr_step1"] == pytest.approx(evaluation["psnr_step1"], abs=1e-3)


@pytest.mark.parametrize("name", NEXT_FRAME)
def test_a_shipped_next_frame_model_scores_its_record_offline(name):
    """A pretrained next-frame model loads from the package (no cache, no origin) and its
    first predicted frame scores the record's PSNR on the record's test sequences."""
    entry = kgz.applications.info(name)
    model = kgz.applications.load_generator(name)
    assert _files(_cache()) == []
    metrics = entry["metrics"]
    measured = publish.measure_next_frame(model, entry["dataset"], metrics["num_sequences"],
                                          n_future=1)
    assert measured["psnr_step1"] == pytest.approx(metrics["psnr_step1"], abs=1e-3)
    assert measured["copy_last"]["psnr"][0] == metrics["copy_last"]["psnr"][0]
