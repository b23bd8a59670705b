"""One-sided label smoothing, feature matching and historical averaging: a mixin of
`AdversarialModel`.

Three of Salimans et al.'s improved techniques for training GANs (arXiv:1606.03498,
section 3), constructor options of every adversarial model (`label_smoothing=`,
`feature_matching=`, `historical_averaging=`; see `AdversarialModel`'s docstring).
They live here, apart from the training step that calls them, so that `base.py`
reads as Goodfellow's algorithm. The fourth technique, minibatch discrimination, is
a layer (`keras_gan_zoo.layers.MinibatchDiscrimination`) that architectures insert.

`ImprovedTechniques` is a plain mixin, not a Keras class: it has no `__init__` and
is not registered as a serializable; `AdversarialModel.__init__` calls
`_init_improved_techniques` once the networks are set, and the options stay in
`AdversarialModel.get_config`.
"""

import numbers

import keras
import tensorflow as tf

from keras_gan_zoo.layers import MinibatchDiscrimination
from keras_gan_zoo.models.base import Unsaved
from keras_gan_zoo.models.replicas import global_batch_mean


class ImprovedTechniques:
    """Label smoothing, feature matching and historical averaging for
    `AdversarialModel` (Salimans et al. 2016, arXiv:1606.03498).

    Expects the host's `generator`, `discriminator`, `add_weight`, `add_tracker`,
    `discriminator_inputs`, `call_discriminator` and `generator_loss`. The training
    step calls `generator_adversarial_loss` (the generator's adversarial term),
    `historical_penalty` and `_historical_start` / `_historical_update`.
    """

    # True for models whose discriminator loss is a sigmoid cross-entropy taking
    # `real_label=self.real_label` (one-sided label smoothing applies to them).
    supports_label_smoothing = False

    def _init_improved_techniques(self, label_smoothing, feature_matching,
                                  historical_averaging):
        """Validates and sets up Salimans et al.'s options (`AdversarialModel`'s docstring)."""
        name = type(self).__name__
        if (isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real)
                or not 0.0 <= label_smoothing < 1.0):
            raise ValueError(
                f"label_smoothing must be a number in [0, 1) (0.1 is the paper's); "
                f"got {label_smoothing!r}."
            )
        if label_smoothing and not self.supports_label_smoothing:
            raise ValueError(
                f"{name} does not support label_smoothing: one-sided label smoothing "
                "applies to sigmoid cross-entropy discriminator losses (gan, dcgan, cgan); "
                f"{name}'s discriminator loss is not one. Use label_smoothing=0."
            )
        self.label_smoothing = float(label_smoothing)

        if (isinstance(historical_averaging, bool)
                or not isinstance(historical_averaging, numbers.Real)
                or not 0.0 <= historical_averaging < float("inf")):
            raise ValueError(
                f"historical_averaging must be a weight >= 0 (0 = off); "
                f"got {historical_averaging!r}."
            )
        self.historical_averaging = float(historical_averaging)
        self._historical = {}
        if self.historical_averaging:
            for key, net in (("d", self.discriminator), ("g", self.generator)):
                means = [
                    self.add_weight(shape=tuple(v.shape), initializer="zeros",
                                    dtype="float32", trainable=False,
                                    aggregation="only_first_replica",
                                    name=f"hist_avg_{key}_{i}")
                    for i, v in enumerate(net.trainable_variables)
                ]
                count = self.add_weight(shape=(), initializer="zeros", dtype="int64",
                                        trainable=False, aggregation="only_first_replica",
                                        name=f"hist_avg_{key}_count")
                # The variables are fixed here, so each mean stays paired with its weight.
                self._historical[key] = Unsaved(
                    means=means, count=count, variables=list(net.trainable_variables))
                self.add_tracker(f"hist_avg_{key}")

        if feature_matching is False:
            feature_matching = None
        if feature_matching is not None and not isinstance(feature_matching, (bool, str)):
            raise ValueError(
                "feature_matching must be None (off), True (the layer before the logit) "
                f"or a layer name of the discriminator; got {feature_matching!r}."
            )
        self.feature_matching = feature_matching
        self.feature_layer = None
        self._features = Unsaved(model=None)
        if feature_matching is not None:
            self.feature_layer, self._features.model = self._feature_model(feature_matching)

    @property
    def real_label(self):
        """The discriminator's target for real images: `1 - label_smoothing`."""
        return 1.0 - self.label_smoothing

    # ------------------------------------------------------- feature matching
    def _feature_model(self, feature_matching):
        """(layer name, keras.Model(D.inputs, that layer's output)) for feature matching."""
        d = self.discriminator
        inputs = getattr(d, "inputs", None)
        if not inputs:
            raise ValueError(
                "feature_matching needs a functional discriminator (keras.Model built "
                f"from keras.Input); {type(self).__name__}'s discriminator has no inputs."
            )
        if feature_matching is True:
            tensor = keras.tree.flatten(d.outputs)[0]
            for _ in range(2):
                history = tensor._keras_history
                node = history.operation._inbound_nodes[history.node_index]
                if len(node.input_tensors) != 1:
                    raise ValueError(
                        f"feature_matching=True: the layer {history.operation.name!r} "
                        "producing the logit has several inputs; pass the name of the "
                        "feature layer instead."
                    )
                tensor = node.input_tensors[0]
                # The authors match the features *before* minibatch discrimination.
                if not isinstance(tensor._keras_history.operation, MinibatchDiscrimination):
                    break
            layer_name = tensor._keras_history.operation.name
        else:
            try:
                layer = d.get_layer(feature_matching)
            except ValueError:
                raise ValueError(
                    f"feature_matching={feature_matching!r}: the discriminator has no such "
                    f"layer; its layers are {[layer.name for layer in d.layers]}."
                ) from None
            layer_name, tensor = layer.name, layer.output
            if not isinstance(tensor, keras.KerasTensor):
                raise ValueError(
                    f"feature_matching={feature_matching!r}: the layer has several outputs; "
                    "choose a layer with one output."
                )
        try:
            model = keras.Model(d.input, tensor, name="discriminator_features")
        except Exception as error:  # a layer of a nested model, unreachable from D.inputs
            raise ValueError(
                f"feature_matching={feature_matching!r}: cannot build a feature model from "
                f"the discriminator's inputs to layer {layer_name!r} ({error})."
            ) from None
        return layer_name, model

    def call_features(self, images, labels=None, training=False):
        """The discriminator's feature-matching layer on images, as float32 (B, F)."""
        if self._features.model is None:
            raise ValueError("call_features needs a model created with feature_matching=.")
        model = self._features.model
        features = model(self.discriminator_inputs(images, labels), training=training)
        features = tf.cast(features, "float32")
        return tf.reshape(features, [tf.shape(features)[0], -1])

    def feature_matching_loss(self, real_images, fake_images, labels=None):
        """`||mean_x f(x) - mean_z f(G(z))||^2`, means over the global batch.

        The real side is a constant for the generator (stop_gradient). Both sides run
        the discriminator in training mode, as the generator's objective does.
        """
        if real_images is None:
            raise ValueError("feature matching needs the real images of the step.")
        real = tf.stop_gradient(self.call_features(real_images, labels, training=True))
        fake = self.call_features(fake_images, labels, training=True)
        difference = global_batch_mean(real) - global_batch_mean(fake)
        return tf.reduce_sum(tf.square(difference))

    def generator_adversarial_loss(self, fake_images, labels=None, real_images=None,
                                   fake_logits=None):
        """The generator's adversarial term: feature matching when on, else
        `generator_loss(D(fake))` (`fake_logits` spares a second discriminator run).

        Subclasses overriding `generator_objective` call it for their adversarial
        term, so `feature_matching` keeps working for them.
        """
        if self.feature_matching is not None:
            return self.feature_matching_loss(real_images, fake_images, labels)
        if fake_logits is None:
            fake_logits = self.call_discriminator(fake_images, labels, training=True)
        return self.generator_loss(fake_logits)

    # --------------------------------------------------- historical averaging
    def _historical_start(self):
        """Before the first update, the running means start at the current weights."""
        for state in self._historical.values():
            first = tf.equal(state.count, 0)
            for mean, var in zip(state.means, state.variables):
                mean.assign(tf.where(first, tf.cast(var, "float32"), mean))
            state.count.assign(tf.where(first, tf.constant(1, "int64"), state.count))

    def historical_penalty(self, key):
        """`historical_averaging * ||theta - mean of past theta||^2` for "d" or "g".

        The mean covers the weights before the first update and after every applied
        update so far (so the penalty is 0 at the first step).
        """
        state = self._historical[key]
        terms = [
            tf.reduce_sum(tf.square(tf.cast(var, "float32") - tf.stop_gradient(mean)))
            for mean, var in zip(state.means, state.variables)
        ]
        return self.historical_averaging * tf.add_n(terms)

    def _historical_update(self, key, applied):
        """Folds the freshly updated weights into the running mean (if applied)."""
        state = self._historical.get(key)
        if state is None:
            return
        count = tf.cast(state.count, "float32")
        rate = tf.where(applied, 1.0 / (count + 1.0), 0.0)
        for mean, var in zip(state.means, state.variables):
            mean.assign_add(rate * (tf.cast(var, "float32") - mean))
        state.count.assign_add(tf.cast(applied, "int64"))
