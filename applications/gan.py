"""Generative adversarial networks: a training wrapper for any generator/discriminator pair, with the usual
adversarial losses (minimax, non-saturating, WGAN-GP, hinge, least squares) and a class-conditional mode."""

import keras
from keras import ops

from keras_dlx.utils import arguments as args
from keras_dlx.utils.registration import register

__all__ = ["GAN"]

GAN_LOSSES = ("minimax", "non_saturating", "wasserstein_gp", "hinge", "least_squares")


# --- The losses, on the discriminator's logits (backend-neutral, float32) -------------------------------------

def discriminator_loss(real_logits, fake_logits, loss):
    """The discriminator's (critic's) loss for `loss`, a batch mean, without the WGAN-GP gradient penalty.

        minimax, non_saturating: softplus(-D(x)) + softplus(D(G(z)))   (binary cross-entropy on logits)
        wasserstein_gp:          D(G(z)) - D(x)
        hinge:                   relu(1 - D(x)) + relu(1 + D(G(z)))
        least_squares:           (D(x) - 1)^2 / 2 + D(G(z))^2 / 2
    """
    real = ops.cast(real_logits, "float32")
    fake = ops.cast(fake_logits, "float32")
    if loss in ("minimax", "non_saturating"):
        terms = ops.softplus(-real) + ops.softplus(fake)
    elif loss == "wasserstein_gp":
        terms = fake - real
    elif loss == "hinge":
        terms = ops.relu(1.0 - real) + ops.relu(1.0 + fake)
    elif loss == "least_squares":
        terms = 0.5 * ops.square(real - 1.0) + 0.5 * ops.square(fake)
    else:
        args.invalid("loss", loss, "one of " + ", ".join(repr(name) for name in GAN_LOSSES))
    return ops.mean(terms)


def generator_loss(fake_logits, loss):
    """The generator's loss for `loss`, a batch mean.

        minimax:                 -softplus(D(G(z))) = log(1 - sigmoid(D(G(z))))   (the original objective)
        non_saturating:          softplus(-D(G(z))) = -log sigmoid(D(G(z)))
        wasserstein_gp, hinge:   -D(G(z))
        least_squares:           (D(G(z)) - 1)^2 / 2
    """
    fake = ops.cast(fake_logits, "float32")
    if loss == "minimax":
        terms = -ops.softplus(fake)
    elif loss == "non_saturating":
        terms = ops.softplus(-fake)
    elif loss in ("wasserstein_gp", "hinge"):
        terms = -fake
    elif loss == "least_squares":
        terms = 0.5 * ops.square(fake - 1.0)
    else:
        args.invalid("loss", loss, "one of " + ", ".join(repr(name) for name in GAN_LOSSES))
    return ops.mean(terms)


def penalty_from_gradients(gradients):
    """mean over the batch of (||gradient||_2 - 1)^2, the norm over every axis but the first."""
    flat = ops.reshape(ops.cast(gradients, "float32"), (ops.shape(gradients)[0], -1))
    # The small constant keeps the norm differentiable where a gradient is exactly zero.
    norms = ops.sqrt(ops.sum(ops.square(flat), axis=1) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


# --- The backend-specific pieces: input gradients (for the penalty) and one player's update -------------------

def _tf_input_gradient(fn, x):
    """d sum(fn(x)) / dx, itself differentiable (a nested tape, recorded by any enclosing tape)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(fn(x))
    return tape.gradient(total, x)


def _torch_input_gradient(fn, x):
    import torch

    with torch.enable_grad():  # also under evaluate's no_grad
        x = x.detach().requires_grad_(True)
        total = ops.sum(fn(x))
        return torch.autograd.grad(total, x, create_graph=True)[0]


def _jax_input_gradient(scope, variables):
    """An input-gradient function for code running in the JAX stateless `scope` over `variables`."""
    import jax

    def input_gradient(fn, x):
        mapping = [(v, scope.get_current_value(v)) for v in variables]

        def total(x):
            # State written while differentiating (a dropout seed, batch statistics) stays in this inner scope:
            # it would otherwise leak the inner trace's values.
            with keras.StatelessScope(state_mapping=mapping):
                return ops.sum(fn(x))

        return jax.grad(total)(x)

    return input_gradient


def _jax_eager_input_gradient(fn, x):
    import jax

    return jax.grad(lambda x: ops.sum(fn(x)))(x)


def _input_gradient_function():
    """This backend's input gradient outside Keras's JAX training loop (which supplies its own)."""
    return {"tensorflow": _tf_input_gradient, "torch": _torch_input_gradient,
            "jax": _jax_eager_input_gradient}[keras.backend.backend()]


def _tf_update(variables, optimizer, objective):
    """One optimizer step of `variables` on `objective()` = (loss, extras); returns (loss, extras)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss, extras = objective()
        # As Keras's own train_step: the optimizer sums the replicas' gradients, so each replica's loss is
        # divided by their number.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        scaled = optimizer.scale_loss(loss / replicas if replicas > 1 else loss)
    optimizer.apply(tape.gradient(scaled, variables), variables)
    return loss, extras


def _torch_update(variables, optimizer, objective):
    import torch

    loss, extras = objective()
    gradients = torch.autograd.grad(optimizer.scale_loss(loss), [v.value for v in variables])
    with torch.no_grad():
        optimizer.apply(list(gradients), variables)
    return loss, extras


class _JaxState:
    """The values of a model's variables while a JAX step runs: read, replaced and collected by variable."""

    def __init__(self, groups):
        self.variables = [v for group, _ in groups for v in group]
        self.values = {id(v): value for group, values in groups for v, value in zip(group, values)}

    def get(self, variables):
        return [self.values[id(v)] for v in variables]

    def set(self, variables, values):
        self.values.update({id(v): value for v, value in zip(variables, values)})

    def mapping(self, replaced=()):
        values = dict(self.values)
        values.update({id(v): value for v, value in replaced})
        return [(v, values[id(v)]) for v in self.variables]

    def collect(self, scope, variables):
        """The values `scope` wrote to `variables` (None where none was written)."""
        return [scope.get_current_value(v) for v in variables]

    def update(self, variables, written):
        self.values.update({id(v): w for v, w in zip(variables, written) if w is not None})


# --- The two players' optimizers, as one Keras optimizer -----------------------------------------------------

@register
class GANOptimizer(keras.optimizers.Optimizer):
    """The generator's and the discriminator's optimizers seen as one `model.optimizer`.

    Keras keeps one optimizer per model: its `variables` travel through JAX's stateless training state and
    `.keras` files, and callbacks read its `iterations` and `learning_rate`. This one holds both players':
    `variables` are its own followed by `g_optimizer.variables` and `d_optimizer.variables`; `iterations` is the
    generator's (one generator update per training step, so it counts steps, as TensorBoard expects); reading
    `learning_rate` gives the generator's, and setting it changes both players' rates by the same factor (the
    ratio of a two time-scale update rule is kept). `GAN` updates each player with its own optimizer; this one
    never applies gradients itself.

    Args:
        g_optimizer: the generator's optimizer.
        d_optimizer: the discriminator's optimizer (another instance).
        name: the optimizer's name. Defaults to "gan_optimizer".
    """

    def __init__(self, g_optimizer, d_optimizer, name="gan_optimizer"):
        super().__init__(learning_rate=0.0, name=name)
        g_optimizer = keras.optimizers.get(g_optimizer)
        d_optimizer = keras.optimizers.get(d_optimizer)
        if d_optimizer is g_optimizer:
            args.invalid("d_optimizer", d_optimizer, "an optimizer instance other than g_optimizer (each player "
                         "has its own optimizer state)")
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self._players = None

    def build_players(self, g_variables, d_variables):
        """Build both optimizers, each for its player's trainable variables."""
        self._players = (frozenset(id(v) for v in g_variables), frozenset(id(v) for v in d_variables))
        for optimizer, variables in ((self.g_optimizer, g_variables), (self.d_optimizer, d_variables)):
            if not optimizer.built:
                optimizer.build(list(variables))
        self.built = True

    def _split(self, var_list):
        if self._players is None:
            raise ValueError("GANOptimizer: the players' variables are not known yet; `GAN.compile` gives them.")
        return [[v for v in var_list if id(v) in ids] for ids in self._players]

    def build(self, var_list):
        if not self.built:
            self.build_players(*self._split(var_list))

    @property
    def variables(self):
        return self._variables[:] + self.g_optimizer.variables + self.d_optimizer.variables

    @property
    def iterations(self):
        return self.g_optimizer.iterations

    @property
    def learning_rate(self):
        return self.g_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if not hasattr(self, "d_optimizer"):  # the base constructor's own learning rate
            self._learning_rate = learning_rate
            return
        old = float(ops.convert_to_numpy(self.g_optimizer.learning_rate))
        d_rate = float(ops.convert_to_numpy(self.d_optimizer.learning_rate))
        self.g_optimizer.learning_rate = learning_rate
        self.d_optimizer.learning_rate = d_rate * float(learning_rate) / old if old else learning_rate

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError("GANOptimizer does not apply gradients: update each player with its own "
                                  "optimizer (`g_optimizer`, `d_optimizer`).")

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        self.apply(grads, trainable_variables)

    def finalize_variable_values(self, var_list):
        g_variables, d_variables = self._split(var_list)
        self.g_optimizer.finalize_variable_values(g_variables)
        self.d_optimizer.finalize_variable_values(d_variables)

    # The players' optimizers save and load their own state (`.keras` files visit them as attributes).
    def save_own_variables(self, store):
        for i, variable in enumerate(self._variables):
            store[str(i)] = ops.convert_to_numpy(variable)

    def load_own_variables(self, store):
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    def get_config(self):
        return {"name": self.name, "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
                "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("g_optimizer", "d_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key], custom_objects=custom_objects)
        return cls(**config)


# --- The model ------------------------------------------------------------------------------------------------

def _io_shapes(name, model, inputs):
    """The input and output shapes (without the batch axis) of a built functional `model` with `inputs` inputs."""
    if not isinstance(model, keras.Model):
        args.invalid(name, model, "a keras.Model")
    try:
        model_inputs, model_outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        model_inputs = model_outputs = None
    if not model_inputs or not model_outputs:
        args.invalid(name, model.name, "a built model with known inputs (a functional or Sequential model)")
    if len(model_inputs) != inputs:
        allowed = "one input" if inputs == 1 else "two inputs, [data, labels] (num_classes is set)"
        args.invalid(name, f"{model.name!r} with {len(model_inputs)} input(s)", f"a model with {allowed}")
    if len(model_outputs) != 1:
        args.invalid(name, f"{model.name!r} with {len(model_outputs)} outputs", "a model with one output")
    return [tuple(t.shape[1:]) for t in model_inputs], tuple(model_outputs[0].shape[1:])


@register
class GAN(keras.Model):
    """A generative adversarial network: a generator G and a discriminator D trained against each other.

    G maps noise z ~ N(0, I) of `latent_dim` to samples; D maps samples to one *logit* each (no sigmoid: a
    critic's score for "wasserstein_gp"). With x real and G(z) generated, the losses are batch means, computed
    in float32:

        loss             discriminator loss                         generator loss
        "minimax"        softplus(-D(x)) + softplus(D(G(z)))        -softplus(D(G(z))) = log(1 - sigmoid(D(G(z))))
        "non_saturating" softplus(-D(x)) + softplus(D(G(z)))        softplus(-D(G(z))) = -log sigmoid(D(G(z)))
        "wasserstein_gp" D(G(z)) - D(x) + w (||grad D(xh)||_2 - 1)^2  -D(G(z))
        "hinge"          relu(1 - D(x)) + relu(1 + D(G(z)))         -D(G(z))
        "least_squares"  (D(x) - 1)^2 / 2 + D(G(z))^2 / 2            (D(G(z)) - 1)^2 / 2

    "minimax" is the original game (Goodfellow et al.); its generator gradient vanishes while D rejects G's
    samples confidently, which "non_saturating" fixes. For "wasserstein_gp" (Gulrajani et al.) xh = e x +
    (1 - e) G(z), e ~ U(0, 1) per example, and w = `gradient_penalty_weight`; "hinge" is the loss of SAGAN and
    spectrally normalised GANs (Miyato et al.), "least_squares" LSGAN's (Mao et al., targets 0 and 1).

    One training step (one batch of real samples) runs `critic_steps` discriminator updates, each on fresh
    noise and on the *same* real batch (as the keras.io WGAN-GP example does), then one generator update on
    fresh noise. The discriminator sees the real and generated samples in one concatenated batch (one call, as
    the keras.io DCGAN does; it matters only for batch normalisation in D); generated samples do not carry
    gradients to G in D's update. Each player has its own optimizer: `compile(g_optimizer=..., d_optimizer=...)`;
    `model.optimizer` is a `GANOptimizer` holding both (its `iterations` counts training steps; setting its
    `learning_rate` scales both players' rates). Under the "mixed_float16" policy each player's optimizer is
    wrapped in a `keras.optimizers.LossScaleOptimizer`.

    `fit(x)` trains (`fit(x, labels)` when conditional; sample weights are ignored) and logs `d_loss` (D's
    whole objective, the penalty included), `g_loss` and, for "wasserstein_gp", `gradient_penalty` (the
    unweighted mean penalty); each is the mean over the epoch's updates. `evaluate` gives the same without
    updating. Calling the model generates: `gan(z)` (or `gan([z, labels])`) is `generator(z)`; called with a
    batch of real samples, as a generic training loop's forward pass does, it returns as many generated samples
    (random labels when conditional). `generate(n)` draws samples.

    Conditional mode (`num_classes` set): class ids condition both players. The generator takes `[z, labels]`
    and the discriminator `[samples, labels]` (labels: int (batch,)); generated samples in training use the
    real batch's labels, so both players see the data's class frequencies; `generate(n, labels=...)` asks
    for given classes.

    Training runs on TensorFlow (GradientTape; also in replica context: `keras_dlx.distribute.fit` under
    MirroredStrategy), JAX (stateless, in Keras's JAX training loop) and PyTorch (autograd).

    Args:
        generator: a built Keras model from (batch, latent_dim) (conditional: `[z, labels]`) to samples.
        discriminator: a built Keras model from samples (conditional: `[samples, labels]`) to (batch, 1)
            logits; its input shape must be the generator's output shape.
        latent_dim: positive int, the size of z.
        loss: one of "minimax", "non_saturating", "wasserstein_gp", "hinge", "least_squares".
            Defaults to "non_saturating".
        num_classes: None (unconditional) or the number of classes (an int >= 2). Defaults to None.
        critic_steps: positive int, discriminator updates per generator update; None for 5 with
            "wasserstein_gp" and 1 otherwise. Defaults to None.
        gradient_penalty_weight: float >= 0, w of "wasserstein_gp" (unused by the other losses). Defaults to 10.0.
        seed: None or an integer for the noise. Defaults to None.

    Example:

    >>> generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="relu"),
    ...                                   keras.layers.Dense(1)])
    >>> gan = applications.GAN(generator, discriminator, latent_dim=2, seed=0)
    >>> gan.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3))
    >>> points = np.random.default_rng(0).normal(3.0, 0.5, (64, 2)).astype("float32")
    >>> history = gan.fit(points, batch_size=16, epochs=1, verbose=0).history
    >>> sorted(history), int(gan.optimizer.iterations)
    (['d_loss', 'g_loss'], 4)
    >>> tuple(gan.generate(5).shape)
    (5, 2)

    Reference:
        - [Goodfellow et al. 2014, Generative Adversarial Nets](https://arxiv.org/abs/1406.2661)
        - [Gulrajani et al. 2017, Improved Training of Wasserstein GANs](https://arxiv.org/abs/1704.00028)
        - [Mao et al. 2017, Least Squares Generative Adversarial Networks](https://arxiv.org/abs/1611.04076)
        - [Miyato et al. 2018, Spectral Normalization for GANs](https://arxiv.org/abs/1802.05957) (hinge loss)
        - [Mirza & Osindero 2014, Conditional Generative Adversarial Nets](https://arxiv.org/abs/1411.1784)
    """

    def __init__(self, generator, discriminator, latent_dim, loss="non_saturating", num_classes=None,
                 critic_steps=None, gradient_penalty_weight=10.0, seed=None, **kwargs):
        kwargs.setdefault("name", "gan")
        super().__init__(**kwargs)
        self.latent_dim = args.positive_int("latent_dim", latent_dim)
        self.loss_name = args.one_of("loss", loss, GAN_LOSSES)
        if num_classes is not None and (not isinstance(num_classes, int) or isinstance(num_classes, bool)
                                        or num_classes < 2):
            args.invalid("num_classes", num_classes, "None or an integer >= 2")
        self.num_classes = num_classes
        self.critic_steps_arg = None if critic_steps is None else args.positive_int("critic_steps", critic_steps)
        self.critic_steps = critic_steps or (5 if self.loss_name == "wasserstein_gp" else 1)
        self.gradient_penalty_weight = args.non_negative_float("gradient_penalty_weight", gradient_penalty_weight)
        self.seed = args.seed(seed)
        self.sample_shape = self._check_players(generator, discriminator)
        self.generator, self.discriminator = generator, discriminator
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.penalty_tracker = keras.metrics.Mean(name="gradient_penalty")
        self.built = True  # the players are built models: nothing to build from data

    def _check_players(self, generator, discriminator):
        inputs = 1 if self.num_classes is None else 2
        g_inputs, sample_shape = _io_shapes("generator", generator, inputs)
        if g_inputs[0] != (self.latent_dim,):
            args.invalid("generator", f"{generator.name!r} with input shape {g_inputs[0]}",
                         f"a model whose (first) input has the shape (latent_dim,) = ({self.latent_dim},)")
        d_inputs, logits_shape = _io_shapes("discriminator", discriminator, inputs)
        if d_inputs[0] != sample_shape:
            args.invalid("discriminator", f"{discriminator.name!r} with input shape {d_inputs[0]}",
                         f"a model whose (first) input has the generator's output shape {sample_shape}")
        if logits_shape != (1,):
            args.invalid("discriminator", f"{discriminator.name!r} with output shape {logits_shape}",
                         "a model with (batch, 1) outputs (logits)")
        if inputs == 2:
            for name, shapes in (("generator", g_inputs), ("discriminator", d_inputs)):
                if shapes[1] not in ((), (1,)):
                    args.invalid(name, f"labels input of shape {shapes[1]}", "a labels input of shape () or (1,)")
        return sample_shape

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker]
        return trackers + [self.penalty_tracker] if self.loss_name == "wasserstein_gp" else trackers

    @property
    def g_optimizer(self):
        """The generator's optimizer (None before `compile`)."""
        return self.optimizer.g_optimizer if isinstance(self.optimizer, GANOptimizer) else None

    @property
    def d_optimizer(self):
        """The discriminator's optimizer (None before `compile`)."""
        return self.optimizer.d_optimizer if isinstance(self.optimizer, GANOptimizer) else None

    # --- compile and serialization ---

    def compile(self, g_optimizer=None, d_optimizer=None, loss=None, metrics=None, auto_scale_loss=True,
                **kwargs):
        """`g_optimizer`, `d_optimizer`: the players' optimizers (instances, names or configs); None for
        Adam(2e-4, beta_1=0.5) (DCGAN's). Other arguments as `keras.Model.compile` (jit_compile, ...)."""
        if loss is not None or metrics or "optimizer" in kwargs:
            raise ValueError(
                f"Invalid `compile` arguments for {type(self).__name__}: the losses are set by `loss=` at "
                f"construction and each player has its own optimizer: use compile(g_optimizer=..., "
                f"d_optimizer=...). Received: loss={loss!r}, metrics={metrics!r}, "
                f"optimizer={kwargs.get('optimizer')!r}")
        g_optimizer = keras.optimizers.get(g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5))
        d_optimizer = keras.optimizers.get(d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5))
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16":
            g_optimizer, d_optimizer = (
                o if isinstance(o, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(o, name=f"{o.name}_loss_scale")
                for o in (g_optimizer, d_optimizer))
        optimizer = GANOptimizer(g_optimizer, d_optimizer)
        super().compile(optimizer=optimizer, auto_scale_loss=False, **kwargs)
        optimizer.build_players(self.generator.trainable_variables, self.discriminator.trainable_variables)

    def compile_from_config(self, config):
        # `.keras` loading: compile again with the saved optimizers (Keras skips models that override compile).
        config = keras.saving.deserialize_keras_object(config)
        optimizer = config.get("optimizer")
        if isinstance(optimizer, GANOptimizer):
            self.compile(g_optimizer=optimizer.g_optimizer, d_optimizer=optimizer.d_optimizer)
        else:
            self.compile()

    def get_config(self):
        return {"generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "latent_dim": self.latent_dim, "loss": self.loss_name, "num_classes": self.num_classes,
                "critic_steps": self.critic_steps_arg, "gradient_penalty_weight": self.gradient_penalty_weight,
                "seed": self.seed, "name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # --- the players ---

    def _labels(self, labels, batch=None):
        if self.num_classes is None:
            return None
        if labels is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} is conditional (num_classes="
                             f"{self.num_classes}): give the class ids, e.g. fit(samples, labels).")
        labels = ops.cast(ops.convert_to_tensor(labels), "int32")
        return ops.reshape(labels, (-1,) if batch is None else (batch,))

    def _noise(self, batch, seed=None):
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator if seed is None else seed)

    def _generated(self, batch, labels, training):
        z = self._noise(batch)
        return self.generator(z if labels is None else [z, labels], training=training)

    def _logits(self, samples, labels, training):
        return ops.cast(self.discriminator(samples if labels is None else [samples, labels], training=training),
                        "float32")

    def call(self, inputs, training=None):
        if self._is_latent(inputs):
            return self.generator(inputs, training=training)
        shape = tuple(inputs.shape[1:])
        if shape != self.sample_shape:
            args.invalid("inputs", f"a tensor of shape {tuple(inputs.shape)}",
                         f"latent codes (batch, {self.latent_dim})"
                         + (" with labels, [z, labels]" if self.num_classes else "")
                         + f", or a batch of samples (batch, *{self.sample_shape})")
        batch = ops.shape(inputs)[0]
        labels = None
        if self.num_classes is not None:
            labels = keras.random.randint((batch,), 0, self.num_classes, seed=self.seed_generator, dtype="int32")
        return self._generated(batch, labels, training)

    def _is_latent(self, inputs):
        if self.num_classes is not None:
            return isinstance(inputs, (list, tuple)) and len(inputs) == 2
        return not isinstance(inputs, (list, tuple)) and tuple(inputs.shape[1:]) == (self.latent_dim,)

    def generate(self, n, labels=None, seed=None):
        """`n` generated samples (generator in inference mode).

        Args:
            n: positive int.
            labels: conditional mode: `n` class ids, or None for 0, 1, ..., num_classes - 1, 0, 1, ... (one
                row per class in a grid of `num_classes` columns). Must be None when unconditional.
            seed: None (the model's seed generator advances) or an integer (the same samples each time).
        """
        n = args.positive_int("n", n)
        z = self._noise(n, seed)
        if self.num_classes is None:
            if labels is not None:
                args.invalid("labels", labels, "None for an unconditional GAN (num_classes=None)")
            return self.generator(z, training=False)
        labels = ops.arange(n, dtype="int32") % self.num_classes if labels is None else self._labels(labels, n)
        return self.generator([z, labels], training=False)

    # --- the objectives, shared by every backend ---

    def _discriminator_objective(self, real, fake, labels, input_gradient, training=True):
        """D's loss (penalty included) and the unweighted penalty (zero unless "wasserstein_gp")."""
        batch = ops.shape(real)[0]
        samples = ops.concatenate([ops.cast(real, "float32"), ops.cast(fake, "float32")], axis=0)
        both = None if labels is None else ops.concatenate([labels, labels], axis=0)
        logits = self._logits(samples, both, training)
        loss = discriminator_loss(logits[:batch], logits[batch:], self.loss_name)
        penalty = ops.zeros((), "float32")
        if self.loss_name == "wasserstein_gp":
            penalty = self.gradient_penalty(real, fake, labels, input_gradient, training)
            loss = loss + self.gradient_penalty_weight * penalty
        return loss, penalty

    def gradient_penalty(self, real, fake, labels=None, input_gradient=None, training=True):
        """WGAN-GP's mean (||grad D(xh)||_2 - 1)^2 at xh = e real + (1 - e) fake, e ~ U(0, 1) per example.

        `input_gradient(fn, x)` differentiates sum(fn(x)) in x; None for this backend's own (outside a JAX
        training step).
        """
        real = ops.cast(real, "float32")
        fake = ops.cast(fake, "float32")
        labels = self._labels(labels) if labels is not None else None
        shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
        e = keras.random.uniform(shape, seed=self.seed_generator)
        interpolated = e * real + (1.0 - e) * fake
        input_gradient = input_gradient or _input_gradient_function()
        return penalty_from_gradients(input_gradient(lambda x: self._logits(x, labels, training), interpolated))

    def _generator_objective(self, batch, labels, training=True):
        loss = generator_loss(self._logits(self._generated(batch, labels, training), labels, training),
                              self.loss_name)
        return loss, None

    def _fake_for_discriminator(self, batch, labels, training=True):
        return ops.stop_gradient(self._generated(batch, labels, training))

    def _unpack(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.num_classes is None and y is not None:
            args.invalid("y", "labels", "None for an unconditional GAN (num_classes=None): fit(samples)")
        return x, self._labels(y)

    def _update_trackers(self, d_losses, penalties, g_loss):
        for loss in d_losses:
            self.d_loss_tracker.update_state(loss)
        self.g_loss_tracker.update_state(g_loss)
        if self.loss_name == "wasserstein_gp":
            for penalty in penalties:
                self.penalty_tracker.update_state(penalty)
        return {m.name: m.result() for m in self.metrics}

    # --- training and evaluation steps ---

    def train_step(self, *step_args):
        if keras.backend.backend() == "jax":
            return self._jax_train_step(*step_args)
        update = _tf_update if keras.backend.backend() == "tensorflow" else _torch_update
        return self._eager_train_step(step_args[0], update)

    def _eager_train_step(self, data, update):
        """TensorFlow and PyTorch: `update(variables, optimizer, objective)` is the backend's step."""
        real, labels = self._unpack(data)
        batch = ops.shape(real)[0]
        input_gradient = _input_gradient_function()
        d_variables, g_variables = self.discriminator.trainable_variables, self.generator.trainable_variables
        d_losses, penalties = [], []
        for _ in range(self.critic_steps):
            fake = self._fake_for_discriminator(batch, labels)
            loss, penalty = update(d_variables, self.d_optimizer, lambda: self._discriminator_objective(
                real, fake, labels, input_gradient))
            d_losses.append(loss)
            penalties.append(penalty)
        g_loss, _ = update(g_variables, self.g_optimizer, lambda: self._generator_objective(batch, labels))
        return self._update_trackers(d_losses, penalties, g_loss)

    def test_step(self, *step_args):
        if keras.backend.backend() == "jax":
            return self._jax_test_step(*step_args)
        return self._evaluate_batch(step_args[0], _input_gradient_function())

    def _evaluate_batch(self, data, input_gradient):
        real, labels = self._unpack(data)
        batch = ops.shape(real)[0]
        fake = self._generated(batch, labels, training=False)
        d_loss, penalty = self._discriminator_objective(real, fake, labels, input_gradient, training=False)
        g_loss, _ = self._generator_objective(batch, labels, training=False)
        return self._update_trackers([d_loss], [penalty], g_loss)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The discriminator's loss of real `x` (labels `y` when conditional) against generated `y_pred`
        (what calling the model on `x` gives). Training does not use it: generic loops that build a model from
        one batch (`keras_dlx.distribute.fit`) do."""
        labels = self._labels(y) if self.num_classes is not None else None
        return self._discriminator_objective(x, y_pred, labels, _input_gradient_function(), training=False)[0]

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return self.get_metrics_result()

    # --- JAX: the same steps, stateless ---

    def _jax_values(self, state, optimizer):
        groups = [(self.trainable_variables, state[0]), (self.non_trainable_variables, state[1])]
        if optimizer:
            groups.append((self.optimizer.variables, state[2]))
        groups.append((self.metrics_variables, state[-1]))
        return _JaxState(groups)

    def _jax_run(self, current, fn, replaced=()):
        """fn(input_gradient) in a stateless scope over `current`; its result and the state it wrote."""
        with keras.StatelessScope(state_mapping=current.mapping(replaced)) as scope:
            result = fn(_jax_input_gradient(scope, current.variables))
        return result, current.collect(scope, self.non_trainable_variables)

    def _jax_update(self, current, variables, optimizer, objective):
        import jax

        def scaled_loss(values):
            def run(input_gradient):
                loss, extras = objective(input_gradient)
                return optimizer.scale_loss(loss), (loss, extras)

            (scaled, aux), written = self._jax_run(current, run, replaced=zip(variables, values))
            return scaled, (aux, written)

        (_, ((loss, extras), written)), grads = jax.value_and_grad(scaled_loss, has_aux=True)(
            current.get(variables))
        current.update(self.non_trainable_variables, written)
        new_values, optimizer_values = optimizer.stateless_apply(current.get(optimizer.variables), grads,
                                                                 current.get(variables))
        current.set(variables, new_values)
        current.set(optimizer.variables, optimizer_values)
        return loss, extras

    def _jax_generate_for_discriminator(self, current, batch, labels):
        fake, written = self._jax_run(current, lambda _: self._fake_for_discriminator(batch, labels))
        current.update(self.non_trainable_variables, written)
        return fake

    def _jax_train_step(self, state, data):
        current = self._jax_values(state, optimizer=True)
        real, labels = self._unpack(data)
        batch = ops.shape(real)[0]
        d_variables, g_variables = self.discriminator.trainable_variables, self.generator.trainable_variables
        d_losses, penalties = [], []
        for _ in range(self.critic_steps):
            fake = self._jax_generate_for_discriminator(current, batch, labels)
            loss, penalty = self._jax_update(current, d_variables, self.d_optimizer, lambda gradient: (
                self._discriminator_objective(real, fake, labels, gradient)))
            d_losses.append(loss)
            penalties.append(penalty)
        g_loss, _ = self._jax_update(current, g_variables, self.g_optimizer,
                                     lambda gradient: self._generator_objective(batch, labels))
        logs = self._jax_metrics(current, lambda: self._update_trackers(d_losses, penalties, g_loss))
        return logs, (current.get(self.trainable_variables), current.get(self.non_trainable_variables),
                      current.get(self.optimizer.variables), current.get(self.metrics_variables))

    def _jax_metrics(self, current, fn):
        with keras.StatelessScope(state_mapping=current.mapping()) as scope:
            logs = fn()
        current.update(self.metrics_variables, current.collect(scope, self.metrics_variables))
        return logs

    def _jax_test_step(self, state, data):
        current = self._jax_values(state, optimizer=False)
        with keras.StatelessScope(state_mapping=current.mapping()) as scope:
            logs = self._evaluate_batch(data, _jax_input_gradient(scope, current.variables))
        for variables in (self.non_trainable_variables, self.metrics_variables):
            current.update(variables, current.collect(scope, variables))
        return logs, (current.get(self.trainable_variables), current.get(self.non_trainable_variables),
                      current.get(self.metrics_variables))
