"""Maxout: the max over affine pieces (GAN and CGAN discriminators)."""

import keras


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class Maxout(keras.layers.Layer):
    """Maxout unit (Goodfellow et al. 2013, arXiv:1302.4389): max over `pieces`
    affine maps of the input.

    Args:
        units: output size.
        pieces: affine pieces per unit.
    """

    def __init__(self, units, pieces, kernel_initializer="glorot_uniform",
                 kernel_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.pieces = pieces
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.dense = keras.layers.Dense(units * pieces, kernel_initializer=self.kernel_initializer,
                                        kernel_constraint=self.kernel_constraint,
                                        dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        x = self.dense(inputs)
        x = keras.ops.reshape(x, (-1, self.units, self.pieces))
        return keras.ops.max(x, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "pieces": self.pieces,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
        }
