"""Batch normalization."""

from .configured import ConfiguredLayer


class BatchNormalization(ConfiguredLayer):
    """Normalises over the batch in training (moving statistics at inference).
    Weights: gamma, beta (trainable), moving_mean, moving_variance."""

    supports_masking = True
    _initializer_keys = ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                         "moving_variance_initializer")

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 synchronized=False, **kwargs):
        self._configure(dict(axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                             beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                             moving_mean_initializer=moving_mean_initializer,
                             moving_variance_initializer=moving_variance_initializer), kwargs)
