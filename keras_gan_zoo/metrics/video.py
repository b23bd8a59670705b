"""Measuring next-frame predictors step by step (Mathieu et al. 2015, section 4).

For each future step t = 1..n: PSNR, SSIM and the sharpness difference of the predicted
frames against the true ones, averaged over sequences, for a model and for the
copy-last-frame baseline (the last context frame repeated), which any useful predictor
must beat.

- :func:`sharpness_difference`: the paper's sharpness measure, per image;
- :func:`frame_scores`: per-step PSNR / SSIM / sharpness of predicted against true frames;
- :func:`copy_last_frame`: the baseline;
- :func:`evaluate_next_frame`: a predictor and the baseline on test videos.

Frames are in [-1, 1] (range 2): PSNR with ``max_val=2`` (``tf.image.psnr``), SSIM with
``tf.image.ssim(max_val=2)`` on the frames shifted to [0, 2] (as
:func:`keras_gan_zoo.metrics.translation.pixel_scores`), sharpness with ``max_val=2``.

Example:
    >>> from keras_gan_zoo.metrics import video
    >>> scores = video.evaluate_next_frame(model, test_videos, context_frames=4, n_future=5)
    >>> scores["model"]["psnr"], scores["copy_last"]["psnr"]    # one value per step
"""

import numpy as np
import tensorflow as tf

__all__ = ["sharpness_difference", "frame_scores", "copy_last_frame", "evaluate_next_frame"]

_ROUND = 4


def _as_frames(frames, what, ndim):
    array = np.asarray(frames.numpy() if tf.is_tensor(frames) else frames, dtype="float32")
    if array.ndim != ndim or array.size == 0:
        shape = "(N, H, W, C)" if ndim == 4 else "(N, T, H, W, C)"
        raise ValueError(f"{what} must be a non-empty array {shape}; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} has non-finite values.")
    return array


def sharpness_difference(predicted, truth, max_val=2.0):
    """The sharpness difference of Mathieu et al. (eq. 8), one value (dB) per image:
    ``10 log10(max_val^2 / mean_ij |(dx Y + dy Y) - (dx Y_hat + dy Y_hat)|)`` with
    ``dx Y = |Y[i, j] - Y[i - 1, j]|``, ``dy Y = |Y[i, j] - Y[i, j - 1]|`` over the pixels
    with both neighbours, averaged over channels. Higher is sharper (closer gradients).

    Args:
        predicted: (N, H, W, C) images in [-1, 1], H, W >= 2.
        truth: the true images, of the same shape.
        max_val: the intensity range (2 on [-1, 1]; on [0, 1] frames with 1 the value
            is 10 log10(2) = 3.01 dB lower).

    Returns:
        float64 numpy (N,); ``inf`` where the gradients agree exactly.
    """
    predicted = _as_frames(predicted, "predicted", 4).astype("float64")
    truth = _as_frames(truth, "truth", 4).astype("float64")
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted and truth must have the same shape; got "
                         f"{predicted.shape} and {truth.shape}.")
    if min(truth.shape[1:3]) < 2:
        raise ValueError(f"sharpness needs images of at least 2x2; got {truth.shape[1:3]}.")

    def gradient_sum(y):
        dx = np.abs(y[:, 1:, 1:] - y[:, :-1, 1:])
        dy = np.abs(y[:, 1:, 1:] - y[:, 1:, :-1])
        return dx + dy

    error = np.mean(np.abs(gradient_sum(truth) - gradient_sum(predicted)), axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(max_val**2 / error)


def frame_scores(predicted, truth):
    """Per-step scores of predicted frames against the true ones.

    Args:
        predicted: (N, T, H, W, C) frames in [-1, 1] (T future steps).
        truth: the true frames, of the same shape.

    Returns:
        ``{"psnr", "ssim", "sharpness"}``: lists of T floats, step t's mean over the N
        sequences (an exact prediction of every sequence has PSNR ``inf``).
    """
    predicted = _as_frames(predicted, "predicted", 5)
    truth = _as_frames(truth, "truth", 5)
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted and truth must have the same shape; got "
                         f"{predicted.shape} and {truth.shape}.")
    window = min(11, truth.shape[2], truth.shape[3])
    scores = {"psnr": [], "ssim": [], "sharpness": []}
    for t in range(truth.shape[1]):
        a, b = tf.constant(predicted[:, t]), tf.constant(truth[:, t])
        scores["psnr"].append(float(np.mean(tf.image.psnr(a, b, max_val=2.0).numpy())))
        scores["ssim"].append(float(np.mean(tf.image.ssim(
            a + 1.0, b + 1.0, max_val=2.0, filter_size=window).numpy())))
        scores["sharpness"].append(float(np.mean(sharpness_difference(predicted[:, t],
                                                                      truth[:, t]))))
    return scores


def copy_last_frame(context, n_future):
    """The baseline: the last context frame, repeated. (N, k, H, W, C) -> (N, n, H, W, C)."""
    context = _as_frames(context, "context", 5)
    return np.repeat(context[:, -1:], int(n_future), axis=1)


def _rounded(scores):
    return {key: [round(v, _ROUND) if np.isfinite(v) else v for v in values]
            for key, values in scores.items()}


def evaluate_next_frame(predictor, videos, context_frames, n_future, baselines=None,
                        batch_size=64):
    """A next-frame predictor and its baselines, step by step, on test videos.

    Args:
        predictor: a model with `predict_frames(context, n_future)` (VideoGAN), or a
            callable `(context, n_future) -> (N, n_future, H, W, C)`.
        videos: (N, T, H, W, C) frames in [-1, 1], T >= context_frames + n_future; the
            first `context_frames` are the context, the next `n_future` the truth.
        context_frames: k.
        n_future: future steps measured.
        baselines: `{name: callable or predictor}`; default `{"copy_last":
            copy_last_frame}`.
        batch_size: sequences per forward pass of a model.

    Returns:
        ``{"steps": [1..n], "num_sequences", "model": scores, <baseline>: scores}``, each
        scores the :func:`frame_scores` dict (floats rounded to 4 decimals).
    """
    videos = _as_frames(videos, "videos", 5)
    k, n = int(context_frames), int(n_future)
    if k < 1 or n < 1 or videos.shape[1] < k + n:
        raise ValueError(f"videos of {videos.shape[1]} frames cannot give {k} context and "
                         f"{n} future frames (context_frames, n_future >= 1).")
    context, truth = videos[:, :k], videos[:, k:k + n]
    baselines = {"copy_last": copy_last_frame} if baselines is None else dict(baselines)

    def run(fn):
        if hasattr(fn, "predict_frames"):
            return fn.predict_frames(context, n, batch_size=batch_size)
        return fn(context, n)

    result = {"steps": list(range(1, n + 1)), "num_sequences": int(len(videos)),
              "model": _rounded(frame_scores(run(predictor), truth))}
    for name, baseline in baselines.items():
        result[name] = _rounded(frame_scores(run(baseline), truth))
    return result
