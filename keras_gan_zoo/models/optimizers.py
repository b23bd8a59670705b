"""Optimizer plumbing of the training core: loss-scale wrapping and `model.optimizer`
for a model trained by several optimizers.

`OptimizerGroup` is what Keras's learning-rate callbacks and TensorBoard see as
`model.optimizer` when a model has more than one optimizer: they look for an
`optimizers` list (Keras 3's multi-optimizer protocol) and act on each entry, so the
standard callbacks reach the real optimizers and nothing phantom is built or saved.
"""

import keras


def is_float16_policy():
    """True when the global Keras policy computes in float16 (loss scaling needed)."""
    return keras.mixed_precision.global_policy().compute_dtype == "float16"


def is_loss_scaled(optimizer):
    return isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def inner_optimizer(optimizer):
    """The optimizer that updates the weights (inside a loss-scale wrapper, if any)."""
    return optimizer.inner_optimizer if is_loss_scaled(optimizer) else optimizer


class NamedOptimizer:
    """One of a model's optimizers under its short name (`"generator"`), as Keras's
    callbacks see it: `name` and a settable `learning_rate`; everything else is the
    optimizer's own."""

    def __init__(self, name, optimizer):
        self.__dict__.update(name=name, _optimizer=optimizer)

    @property
    def learning_rate(self):
        return self._optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._optimizer.learning_rate = value

    def __getattr__(self, attribute):
        return getattr(self.__dict__["_optimizer"], attribute)

    def __repr__(self):
        return f"<{self.name}: {self._optimizer!r}>"


class OptimizerGroup:
    """`model.optimizer` of a model trained by several optimizers.

    Keras's `LearningRateScheduler` and `ReduceLROnPlateau` act on each of
    `optimizers` (the same schedule for every one, so ratios such as InfoGAN's or
    TTUR's are kept by relative schedules like `lambda epoch, lr: lr * 0.9`), and
    TensorBoard logs `learning_rate_<name>` for each. `iterations` is the model's
    step counter. It holds no state of its own (nothing phantom is saved).
    """

    built = True

    def __init__(self, model):
        self._model = model

    @property
    def optimizers(self):
        return [NamedOptimizer(arg.removesuffix("_optimizer"), opt)
                for arg, opt in self._model.named_optimizers().items()]

    @property
    def iterations(self):
        return self._model.step_counter

    @property
    def variables(self):
        return [v for opt in self._model.named_optimizers().values() for v in opt.variables]

    @property
    def learning_rate(self):
        names = ", ".join(f"model.{arg}" for arg in self._model.named_optimizers())
        raise AttributeError(
            f"{type(self._model).__name__} has several optimizers, each with its own "
            f"learning rate: use {names}.learning_rate (Keras's learning-rate "
            "callbacks act on all of them)."
        )

    def build(self, variables=None):
        """Nothing to build: the model built each optimizer in `compile()`."""

    def finalize_variable_values(self, variables):
        for opt in self._model.named_optimizers().values():
            opt.finalize_variable_values(variables)

    def __repr__(self):
        return f"OptimizerGroup({self.optimizers})"
