"""Diversity of a multimodal translator: how different its outputs for one input are.

Zhu et al. (BiCycleGAN, arXiv:1711.11586, section 4) report the mean LPIPS distance
between outputs drawn for the same input. LPIPS (Zhang et al. 2018, arXiv:1801.03924)
compares unit-normalized activations of a pretrained network layer by layer. The
zoo measures the same thing offline in the shipped domain classifier's four
convolutional blocks, with equal layer weights (LPIPS learns them on human
judgements, which this machine does not have): a "LPIPS-like" distance, comparable
between models measured with the same classifier, not with published LPIPS numbers.
"""

import keras
import numpy as np
import tensorflow as tf

FEATURE_LAYERS = ("relu1", "relu2", "relu3", "relu4")
CLASSIFIER_SIDE = 28


def feature_network(classifier="fashion_mnist"):
    """Images in [-1, 1] (any size, 1 or 3 channels) -> the classifier's four
    convolutional blocks' activations (inference mode)."""
    from keras_gan_zoo.metrics.domain import load_domain_classifier

    network = load_domain_classifier(classifier)
    blocks = keras.Model(network.inputs, [network.get_layer(n).output for n in FEATURE_LAYERS])

    @tf.function(reduce_retracing=True)
    def features(images):
        images = tf.cast(images, "float32")
        if images.shape[-1] == 3:
            images = tf.image.rgb_to_grayscale(images)
        if images.shape[1:3] != (CLASSIFIER_SIDE, CLASSIFIER_SIDE):
            images = tf.image.resize(images, (CLASSIFIER_SIDE, CLASSIFIER_SIDE), "bilinear")
        return [tf.cast(f, "float32") for f in blocks(images, training=False)]

    return features


def _unit(features):
    return features / (tf.norm(features, axis=-1, keepdims=True) + 1e-10)


def perceptual_distance(x_features, y_features):
    """Per pair: the mean over layers of the spatial mean of the squared distance
    between channel-normalized activations (LPIPS's form with equal weights)."""
    per_layer = [tf.reduce_mean(tf.reduce_sum(tf.square(_unit(a) - _unit(b)), axis=-1),
                                axis=[1, 2]) for a, b in zip(x_features, y_features)]
    return tf.add_n(per_layer) / len(per_layer)


def diversity_score(translate, images, num_samples=10, seed=0, classifier="fashion_mnist"):
    """Mean pairwise LPIPS-like distance between `num_samples` outputs per input.

    Args:
        translate: `f(images, seed) -> outputs` in [-1, 1], e.g.
            `lambda x, seed: model.translate(x, seed=seed)`.
        images: (N, H, W, C) inputs in [-1, 1].
        num_samples: outputs drawn per input (>= 2).
        seed: the first of the `num_samples` seeds.
        classifier: the domain classifier whose features are compared.

    Returns:
        `(mean, std)` over the inputs of each input's mean pairwise distance (0 for a
        translator that ignores its latent code).

    Example:
        >>> diversity_score(lambda x, s: model.translate(x, seed=s), edges[:100])
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 2:
        raise ValueError(f"num_samples must be an int >= 2; got {num_samples!r}.")
    images = np.asarray(images, "float32")
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be a non-empty (N, H, W, C) batch; got {images.shape}.")
    features = feature_network(classifier)
    draws = [features(np.asarray(translate(images, seed + k), "float32"))
             for k in range(num_samples)]
    pair_means = []
    for i in range(num_samples):
        for j in range(i + 1, num_samples):
            pair_means.append(perceptual_distance(draws[i], draws[j]).numpy())
    per_input = np.mean(pair_means, axis=0)
    return float(per_input.mean()), float(per_input.std())
