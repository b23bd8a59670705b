"""The "model from scratch" of docs/design.md runs as written.

The block is read from the page and executed, so the documentation cannot drift from
the core's API: it compiles, trains (also under mixed_float16, with loss-scale
wrapping), saves to .keras and resumes exactly.
"""

import re
from pathlib import Path

import keras
import numpy as np
import pytest

DESIGN = Path(__file__).parents[1] / "docs" / "design.md"


@pytest.fixture(scope="module")
def dense_gan():
    page = DESIGN.read_text()
    section = page[page.index("## A model from scratch"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {"__name__": "design_example"}
    exec(compile(code, str(DESIGN), "exec"), namespace)
    return namespace["DenseGAN"]


def _images(n=16):
    return np.random.default_rng(0).uniform(-1, 1, (n, 16, 16, 1)).astype("float32")


def test_the_example_trains_saves_and_resumes_exactly(dense_gan, tmp_path):
    model = dense_gan(seed=3)
    model.compile()
    assert set(model.named_optimizers()) == {"generator_optimizer", "discriminator_optimizer"}
    history = model.fit(_images(), batch_size=8, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss"} and np.isfinite(history["d_loss"][0])
    model.save(tmp_path / "dense.keras")
    resumed = keras.models.load_model(tmp_path / "dense.keras")
    assert int(resumed.step_counter.numpy()) == 2
    for m in (model, resumed):
        m.fit(_images(), batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_example_is_loss_scaled_under_mixed_float16(dense_gan):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = dense_gan(seed=3)
    model.compile()
    for optimizer in model.named_optimizers().values():
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    before = [w.copy() for w in model.generator.get_weights()]
    model.fit(_images(), batch_size=8, epochs=1, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.generator.get_weights()))
