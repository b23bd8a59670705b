"""Learning-rate schedules of the papers, as standard Keras schedules.

A schedule is saved with the optimizer (and so with the `.keras` file) and is
evaluated from the optimizer's own `iterations`: a resumed run continues the decay
where it stopped, and it works with every Keras optimizer.
"""

import numbers

import keras

__all__ = ["LinearDecay"]


def _check_steps(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{what} must be an int >= 0 (optimizer steps); got {value!r}.")
    return int(value)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for `constant_steps`, then linear to 0 over `decay_steps`.

    CycleGAN's schedule (and pix2pix's `--lr_policy linear`): the authors keep
    2e-4 for 100 epochs and decay it to 0 over the next 100. They step the rate once
    per epoch; this schedule decays every optimizer step, so the rate of epoch e
    is the authors' within one epoch's share of the decay. Give the steps as
    `epochs * steps_per_epoch`.

    Args:
        initial_learning_rate: the constant rate (float > 0).
        constant_steps: optimizer steps at the initial rate.
        decay_steps: steps over which the rate falls linearly to 0 (0: no decay).

    Example:
        >>> steps = len(dataset)                               # batches per epoch
        >>> lr = kgz.schedules.LinearDecay(2e-4, 100 * steps, 100 * steps)
        >>> model.compile(generator_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
        ...               discriminator_optimizer=keras.optimizers.Adam(lr, beta_1=0.5))

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent
        Adversarial Networks", ICCV 2017, arXiv:1703.10593 (section 4 / appendix 7.1).
    """

    def __init__(self, initial_learning_rate, constant_steps, decay_steps):
        if (isinstance(initial_learning_rate, bool)
                or not isinstance(initial_learning_rate, numbers.Real)
                or not initial_learning_rate > 0):
            raise ValueError("initial_learning_rate must be a number > 0; got "
                             f"{initial_learning_rate!r}.")
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = _check_steps(constant_steps, "constant_steps")
        self.decay_steps = _check_steps(decay_steps, "decay_steps")

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        if self.decay_steps == 0:
            return keras.ops.full_like(step, self.initial_learning_rate)
        progress = keras.ops.clip((step - self.constant_steps) / self.decay_steps, 0.0, 1.0)
        return self.initial_learning_rate * (1.0 - progress)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "constant_steps": self.constant_steps, "decay_steps": self.decay_steps}
