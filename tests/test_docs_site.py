"""The documentation site builds with `mkdocs build --strict` (no warning: no broken link or
anchor, no page outside the nav, no docstring the API reference cannot parse), and its
generated pages say what the pretrained records say. docs/site.md describes the site.
mkdocs, mkdocs-material and mkdocstrings[python] come with the test extra (and the docs one)."""

import glob
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDS = sorted(glob.glob(os.path.join(ROOT, "keras_gan_zoo", "applications", "weights",
                                        "*.json")))

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    problems = [line for line in result.stderr.splitlines()
                if line.startswith(("WARNING", "ERROR"))]
    assert result.returncode == 0 and not problems, (
        "mkdocs build --strict failed:\n" + "\n".join(problems or [result.stderr[-3000:]]))
    return out


def _page(site, path):
    file = site / path / "index.html" if not path.endswith(".html") else site / path
    assert file.exists(), f"{path} was not built"
    return file.read_text(encoding="utf-8")


def _text(html):
    """The page's text: tags removed (code is split into highlighted spans)."""
    return re.sub(r"<[^>]+>", "", html)


def _records():
    for path in RECORDS:
        with open(path, encoding="utf-8") as f:
            yield os.path.basename(path)[:-len(".json")], json.load(f)


def test_home_page_points_to_the_readme_commands(site):
    home = _text(_page(site, "index.html"))
    assert "keras-gan-zoo train dcgan --dataset fashion_mnist --epochs 5" in home
    assert "python -m pytest -q -n 2" in home


def test_gallery_shows_every_shipped_grid_with_its_record(site):
    gallery = _page(site, "gallery")
    shipped = [(name, record) for name, record in _records()
               if os.path.exists(os.path.join(ROOT, "docs", "images", f"{name}_pretrained.png"))]
    assert len(shipped) >= 19  # the checkpoints packaged with 0.2.0 all have a grid
    for name, record in shipped:
        assert f'src="../images/{name}_pretrained.png"' in gallery, name
        assert (site / "images" / f"{name}_pretrained.png").exists(), name
        metrics = record["metrics"]
        if "fid" in metrics:
            assert f"FID {metrics['fid']:.2f}" in gallery, name
        elif "psnr_step1" in metrics:  # a next-frame model
            assert f"PSNR {metrics['psnr_step1']:.2f} dB at step 1" in gallery, name
        elif "mask_iou" in metrics:  # a video retargeting model
            assert f"mask IoU {metrics['mask_iou']:.3f} with the paired truth" in gallery, name
        else:
            assert f"test NLL {metrics['test_nll_nats']:.2f} nats" in gallery, name


def test_choose_page_lists_every_registered_model_and_checkpoint(site):
    choose = _page(site, "choose")
    for name, record in _records():
        assert f"<code>{name}</code>" in choose, name
    registered = set()
    for path in glob.glob(os.path.join(ROOT, "keras_gan_zoo", "models", "*", "*.py")):
        with open(path, encoding="utf-8") as f:
            registered.update(re.findall(r"@register_model\(\s*[\"']([a-z0-9_]+)[\"']", f.read()))
    assert {"dcgan", "vae", "pixelcnn", "wavenet", "pix2pix"} <= registered
    for model in registered:
        assert f"<code>{model}</code>" in choose, model
    for heading in ("Adversarial", "Autoencoding", "Translation"):
        assert f">{heading}" in choose


def test_every_model_page_is_in_the_nav(site):
    home = _page(site, "index.html")
    for path in glob.glob(os.path.join(ROOT, "docs", "models", "*.md")):
        stem = os.path.splitext(os.path.basename(path))[0]
        assert (site / "models" / stem / "index.html").exists(), stem
        assert f'href="models/{stem}/"' in home, f"models/{stem}.md is not in the nav"


@pytest.mark.parametrize("page, objects", [
    ("api/keras_gan_zoo", ["keras_gan_zoo.registry.create_model"]),
    ("api/models/base", ["keras_gan_zoo.models.base.GenerativeModel"]),
    ("api/models/adversarial", ["keras_gan_zoo.models.adversarial.DCGAN"]),
    ("api/models/autoencoding", ["keras_gan_zoo.models.autoencoding.VAE"]),
    ("api/models/autoregressive", ["keras_gan_zoo.models.autoregressive.PixelCNN"]),
    ("api/models/sequence", ["keras_gan_zoo.models.sequence.WaveNet"]),
    ("api/models/translation", ["keras_gan_zoo.models.translation.Pix2Pix"]),
    ("api/datasets", ["keras_gan_zoo.datasets.load"]),
    ("api/metrics", ["keras_gan_zoo.metrics.compute_statistics",
                      "keras_gan_zoo.metrics.evaluate.evaluate"]),
    ("api/latent", ["keras_gan_zoo.latent.slerp"]),
    ("api/precision", ["keras_gan_zoo.precision"]),
    ("api/distribute", ["keras_gan_zoo.distribute.strategy_from_environment"]),
    ("api/applications", ["keras_gan_zoo.applications.load_generator",
                          "keras_gan_zoo.applications.list_pretrained"]),
])
def test_api_pages(site, page, objects):
    html = _page(site, page)
    for name in objects:
        assert f'id="{name}"' in html, f"{name} is not documented on {page}"
    # "Example:" sections render as code blocks, not as Markdown block quotes.
    assert "<blockquote>\n<blockquote>" not in html


def _zoo_pages():
    spec = importlib.util.spec_from_file_location(
        "zoo_pages", os.path.join(ROOT, "docs", "hooks", "zoo_pages.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_show_a_next_frame_record(tmp_path):
    """A next-frame record (scored by PSNR per future step, no FID) gets its quality text,
    its sort key (higher PSNR first, after the FIDs and NLLs), a gallery card and a row in
    its family's table."""
    pages = _zoo_pages()
    scores = {"psnr": [19.2155, 16.0], "ssim": [0.7, 0.5], "sharpness": [15.2, 14.0]}
    record = {"architecture": "video_gan", "dataset": "moving_mnist",
              "card": "docs/models/video_gan.md",
              "training": {"train_seconds": 1007.1, "epochs": 5},
              "metrics": {"model": scores, "copy_last": {**scores, "psnr": [14.3701, 12.0]},
                          "l2_only": {**scores, "psnr": [20.5286, 17.0]}, "steps": [1, 2],
                          "n_future": 2, "psnr_step1": 19.2155, "mean_psnr": 17.6078,
                          "grid": "per sequence: context | truth, context | video_gan"}}
    text = "PSNR 19.22 dB at step 1 (copy-last 14.37, l2-only 20.53), 17.61 dB mean over 2 steps"
    assert pages.quality(record) == text
    better = {**record, "metrics": {**record["metrics"], "psnr_step1": 20.0}}
    fid = {"metrics": {"fid": 90.0}}
    nll = {"metrics": {"test_nll_nats": 80.0}}
    assert sorted([record, nll, better, fid], key=pages.quality_key) == [fid, nll, better, record]
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "video_gan_test_pretrained.png").write_bytes(b"")
    models = {"video_gan": "translation", "pix2pix": "translation"}
    gallery = pages.gallery_markdown({"video_gan_test": record}, str(tmp_path), models)
    assert "## Translation" in gallery and "images/video_gan_test_pretrained.png" in gallery
    assert f"moving_mnist · {text} · trained 17 min, 5 epochs" in gallery
    assert "Grid: per sequence: context \\| truth" in gallery
    choose = pages.choose_markdown({"video_gan_test": record}, models, {"video_gan": "Video GAN"})
    row = f"| [`video_gan`](models/video_gan.md) | `video_gan_test` | moving_mnist | {text} |"
    assert row in choose
    assert "## Best measured" not in choose  # not an FID-scored generator


def test_generated_pages_show_a_retargeting_record():
    """A video retargeting record (scored by the foreground-mask IoU with the paired truth,
    no FID) gets its quality text beside its baselines', and sorts after the PSNRs."""
    pages = _zoo_pages()

    def scores(iou):
        return {"mask_iou": iou, "psnr": 12.0, "ssim": 0.5, "mse": 0.2, "l1": 0.3,
                "frames": 40}

    directions = {"a_to_b": {"model": scores(0.5), "identity": scores(0.1),
                             "cycle_twin": scores(0.3)},
                  "b_to_a": {"model": scores(0.4), "identity": scores(0.1),
                             "cycle_twin": scores(0.2)}}
    record = {"architecture": "recycle_gan", "dataset": "moving_mnist_to_fashion",
              "training": {"train_seconds": 1200.0, "epochs": 4},
              "metrics": {"mask_iou": 0.45, "psnr": 12.0, "ssim": 0.5,
                          "directions": directions}}
    assert pages.quality(record) == ("mask IoU 0.450 with the paired truth (cycle-twin 0.250, "
                                     "identity 0.100), PSNR 12.00 dB")
    video = {"metrics": {"psnr_step1": 20.0}}
    better = {**record, "metrics": {**record["metrics"], "mask_iou": 0.6}}
    assert sorted([record, better, video], key=pages.quality_key) == [video, better, record]
