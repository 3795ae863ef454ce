"""Keras-style automatic names: "dense", "dense_1", "dense_2", …"""

import collections
import re

_counts = collections.Counter()


def snake_case(name):
    """Keras's `to_snake_case`: "Conv2D" → "conv2d", "MaxPooling2D" → "max_pooling2d"."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix):
    count = _counts[prefix]
    _counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"
