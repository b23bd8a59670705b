"""Minibatch standard deviation (Karras et al. 2018, ProGAN section 3).

A simpler replacement for minibatch discrimination: near the end of the
discriminator, compute the standard deviation of each feature at each pixel over a
group of examples, average it over features and pixels to one number per group,
and append it as an extra constant feature map. A generator that collapses gives
groups of near-identical images, a small standard deviation, and the discriminator
can see it.

As in the official code (ProGAN `minibatch_stddev_layer`, kept by StyleGAN and
StyleGAN2):

- the batch of N is split into M = N / G groups of G = min(group_size, N) examples,
  **strided**: example i belongs to group i mod M;
- the channels are split into `num_new_features` contiguous groups of C / n channels,
  each giving one appended feature map;
- per group: std = sqrt(mean_g (x - mean_g x)^2 + 1e-8) (the biased variance), averaged
  over the pixels and the channels of the channel group;
- the statistic is computed in float32 and cast back to the compute dtype.

Batches that do not divide. If N > group_size and N is not a multiple of
group_size the official reshape fails; so does this layer, with a clear error: a
`ValueError` when the batch size is known while building or tracing, an
`InvalidArgumentError` naming the sizes when it is known only at run time. A batch
smaller than group_size is one group (as StyleGAN2-ADA's `G = min(group_size, N)`).
`group_size=None` makes the whole batch one group. Use batch sizes (per replica,
per discriminator step) that are multiples of group_size, or drop the remainder of
the dataset.

Under a `tf.distribute` strategy the layer sees each replica's batch, so the groups
are formed within a replica. `grouping="consecutive"` (example i in group i // G)
makes them the groups one device forms: MirroredStrategy gives each replica a
contiguous block of the global batch, so when each replica's share divides by
group_size, N replicas train exactly as one device (the zoo's ProGAN and StyleGANs
use it). The examples of a batch are exchangeable, so the statistic is the same in
distribution; with the official strided groups the replicas group other examples.
"""

import keras
import tensorflow as tf

from keras_gan_zoo.layers._args import check_choice, check_int, check_number

__all__ = ["MinibatchStdDev"]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class MinibatchStdDev(keras.layers.Layer):
    """Appends `num_new_features` feature maps holding the minibatch standard deviation.

    Args:
        group_size: examples per group (4 in ProGAN / StyleGAN / StyleGAN2); None for the
            whole batch. A batch smaller than it forms one group; a larger batch must be
            divisible by it (see the module docstring).
        num_new_features: appended feature maps (1 in the papers); must divide the
            number of channels.
        epsilon: added to the variance before the square root.
        grouping: `"strided"` (the official layer: example i in group i mod N/G) or
            `"consecutive"` (group i // G: N replicas form one device's groups).

    Input: (N, H, W, C) images. Output: (N, H, W, C + num_new_features).

    Example:
        >>> x = MinibatchStdDev(group_size=4)(x)             # (N, 4, 4, 512) -> (N, 4, 4, 513)
        >>> x = EqualizedConv2D(512, 3, activation="leaky_relu")(x)

    Reference:
        Karras et al., Progressive Growing of GANs, arXiv:1710.10196, section 3;
        Karras et al., Analyzing and Improving the Image Quality of StyleGAN,
        arXiv:1912.04958 (same layer, appendix B).
    """

    def __init__(self, group_size=4, num_new_features=1, epsilon=1e-8, grouping="strided",
                 **kwargs):
        super().__init__(**kwargs)
        self.group_size = check_int("MinibatchStdDev", "group_size", group_size,
                                    allow_none=True)
        self.num_new_features = check_int("MinibatchStdDev", "num_new_features",
                                          num_new_features)
        self.epsilon = check_number("MinibatchStdDev", "epsilon", epsilon, positive=False,
                                    minimum=0)
        self.grouping = check_choice("MinibatchStdDev", "grouping", grouping,
                                     ("strided", "consecutive"))

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError("MinibatchStdDev expects images (batch, height, width, channels) "
                             f"with known channels; got shape {tuple(input_shape)}.")
        if input_shape[-1] % self.num_new_features:
            raise ValueError(f"MinibatchStdDev: num_new_features={self.num_new_features} must "
                             f"divide the {input_shape[-1]} channels.")
        self._check_batch(input_shape[0])

    def _check_batch(self, batch):
        if batch is None or self.group_size is None:
            return
        batch = int(batch)
        if batch > self.group_size and batch % self.group_size:
            raise ValueError(
                f"MinibatchStdDev: a batch of {batch} does not split into groups of "
                f"{self.group_size}; use a (per-replica) batch size that is a multiple of "
                f"group_size, or smaller than it.")

    def call(self, inputs):
        shape = tf.shape(inputs)
        n, h, w = shape[0], shape[1], shape[2]
        c = inputs.shape[-1]
        f = self.num_new_features
        static_n = inputs.shape[0]
        self._check_batch(static_n)
        g = n if self.group_size is None else tf.minimum(self.group_size, n)
        assert_divisible = tf.debugging.assert_equal(
            tf.math.floormod(n, g), 0,
            message=f"MinibatchStdDev: the batch size must be a multiple of group_size="
                    f"{self.group_size} (or smaller than it)")
        with tf.control_dependencies([assert_divisible]):
            # tf.identity, not just tf.cast: a float32 cast creates no op, and every
            # reshape below must wait for the check, or a bad batch may fail first in
            # a reshape with a message that names no cause.
            x = tf.identity(tf.cast(inputs, "float32"))
            if self.grouping == "consecutive":
                # (M, G, H, W, n, C/n): example i = m * G + k is in group m (i // G).
                y, axis = tf.reshape(x, tf.stack([-1, g, h, w, f, c // f])), 1
            else:
                # (G, M, H, W, n, C/n): example i = k * M + m is in group m (i mod M).
                y, axis = tf.reshape(x, tf.stack([g, -1, h, w, f, c // f])), 0
        y = y - tf.reduce_mean(y, axis=axis, keepdims=True)
        y = tf.sqrt(tf.reduce_mean(tf.square(y), axis=axis) + self.epsilon)  # (M, H, W, n, C/n)
        y = tf.reduce_mean(y, axis=[1, 2, 4])                                 # (M, n)
        # No tf.transpose / tf.tile / tf.repeat: under XLA their gradients need the
        # permutation or multiples as compile-time constants, which they are not
        # inside the tf.cond of a lazy regularizer (R1 every 16 steps, double
        # backprop). Replicate by broadcasting against zeros instead.
        zeros = tf.zeros_like(x[..., :1])                                      # (N, H, W, 1)
        if self.grouping == "consecutive":
            groups = tf.zeros_like(tf.reshape(x[:, 0, 0, :1], tf.stack([-1, g, 1])))
            y = tf.reshape(y[:, None, :] + groups, [-1, 1, 1, f])            # i -> i // G
        else:
            groups = tf.zeros_like(tf.reshape(x[:, 0, 0, :1], tf.stack([g, -1, 1])))
            y = tf.reshape(y[None, :, :] + groups, [-1, 1, 1, f])            # i -> i mod M
        y = y + zeros                                                        # (N, H, W, n)
        return tf.concat([inputs, tf.cast(y, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_new_features)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size,
                "num_new_features": self.num_new_features, "epsilon": self.epsilon,
                "grouping": self.grouping}
