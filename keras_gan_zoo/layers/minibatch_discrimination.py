"""Minibatch discrimination (Salimans et al. 2016, section 3.2).

A discriminator that looks at one example at a time cannot tell that the generator
has collapsed onto a few modes: every single fake may look real. Minibatch
discrimination gives it side information about the other examples of the batch.
For features f(x_i) in R^A of the examples of a batch, a learned tensor
T in R^{A x B x C} maps each example to a matrix M_i = f(x_i) T in R^{B x C}; for each
of the B kernels, the closeness of two examples is c_b(x_i, x_j) =
exp(-||M_{i,b} - M_{j,b}||_1), and the layer outputs

    o(x_i)_b = sum_{j != i} c_b(x_i, x_j),   concat(f(x_i), o(x_i)) in R^{A + B}.

Examples that are close to many others in the batch (a collapsed generator's
batch) get large o; real batches, being diverse, get small o, so the discriminator
learns to reject collapsed batches.

The sum skips j = i, as the authors' code does (improved-gan, `MinibatchLayer`
adds 1e6 to the diagonal of the distances): the paper's formula includes the
constant exp(0) = 1 of the example itself, which changes nothing but an offset.
A batch of n identical examples therefore gives o = n - 1 for every kernel, the
maximum; a batch of 1 gives o = 0.

The layer mixes the examples of a batch. Under a `tf.distribute` strategy it sees
each replica's batch only (the similarity features of a global batch of 64 on 2
replicas are computed within each group of 32), so a model using it trains
slightly differently on N replicas than on one device.
"""

import keras

__all__ = ["MinibatchDiscrimination"]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class MinibatchDiscrimination(keras.layers.Layer):
    """Appends minibatch similarity features to each example's features.

    Args:
        num_kernels: B, the number of similarity features appended (100 in the
            authors' code).
        kernel_dim: C, the size of each kernel's projection (5 in the authors' code).
        kernel_initializer: initializer of the tensor T, shape (A, B * C);
            `None` for N(0, 0.05), as in the authors' code.

    Input: (batch, A) features. Output: (batch, A + num_kernels), the input
    followed by the B similarity features.

    Example:
        >>> x = keras.layers.Flatten()(features)
        >>> x = MinibatchDiscrimination(num_kernels=100, kernel_dim=5)(x)
        >>> logits = keras.layers.Dense(1)(x)

    Reference:
        Salimans et al., Improved Techniques for Training GANs, arXiv:1606.03498,
        section 3.2.
    """

    def __init__(self, num_kernels, kernel_dim=5, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("num_kernels", num_kernels), ("kernel_dim", kernel_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MinibatchDiscrimination: {name} must be a positive int; "
                                 f"got {value!r}.")
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim
        if kernel_initializer is None:
            kernel_initializer = keras.initializers.RandomNormal(0.0, 0.05)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                "MinibatchDiscrimination expects flat features of shape (batch, features); "
                f"got shape {tuple(input_shape)}. Put a Flatten layer before it."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(int(input_shape[-1]), self.num_kernels * self.kernel_dim),
            initializer=self.kernel_initializer,
        )

    def call(self, inputs):
        ops = keras.ops
        m = ops.matmul(inputs, self.kernel)
        # Distances in float32: exp(-||.||_1) underflows / rounds badly in half precision.
        m = ops.reshape(ops.cast(m, "float32"), (-1, self.num_kernels, self.kernel_dim))
        diffs = ops.expand_dims(m, 0) - ops.expand_dims(m, 1)  # (n, n, B, C)
        closeness = ops.exp(-ops.sum(ops.abs(diffs), axis=-1))  # (n, n, B)
        n = ops.shape(m)[0]
        self_pairs = ops.expand_dims(ops.eye(n, dtype="float32"), -1)
        similarity = ops.sum(closeness * (1.0 - self_pairs), axis=1)  # (n, B)
        return ops.concatenate([inputs, ops.cast(similarity, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        features = None if input_shape[-1] is None else input_shape[-1] + self.num_kernels
        return (input_shape[0], features)

    def get_config(self):
        return {
            **super().get_config(),
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
