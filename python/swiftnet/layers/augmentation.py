"""Image augmentation: random transforms in training, the identity at inference."""

from .configured import ConfiguredLayer


class _Augmentation(ConfiguredLayer):
    def _engine_config(self):
        config = super()._engine_config()
        config["seed"] = self._seed if self.seed is None else int(self.seed)
        return config


class RandomFlip(_Augmentation):
    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        self._configure(dict(mode=mode, seed=seed), kwargs)


class RandomTranslation(_Augmentation):
    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        self._configure(dict(height_factor=height_factor, width_factor=width_factor, fill_mode=fill_mode,
                             interpolation=interpolation, seed=seed, fill_value=fill_value), kwargs)


class RandomRotation(_Augmentation):
    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        self._configure(dict(factor=factor, fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                             fill_value=fill_value), kwargs)


class RandomZoom(_Augmentation):
    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        self._configure(dict(height_factor=height_factor, width_factor=width_factor, fill_mode=fill_mode,
                             interpolation=interpolation, seed=seed, fill_value=fill_value), kwargs)


class RandomCrop(_Augmentation):
    def __init__(self, height, width, seed=None, **kwargs):
        self._configure(dict(height=height, width=width, seed=seed), kwargs)


class RandomContrast(_Augmentation):
    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        self._configure(dict(factor=factor, value_range=value_range, seed=seed), kwargs)
