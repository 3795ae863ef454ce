"""Nested structures of lists, tuples and dicts (Keras's `tree`): flatten and rebuild them."""


def flatten(structure):
    """The leaves of `structure` in order (dicts by sorted key, as Keras orders them)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def pack_like(structure, leaves):
    """`structure` with its leaves replaced, in order, by `leaves`."""
    iterator = iter(leaves)

    def rebuild(item):
        if isinstance(item, (list, tuple)):
            items = [rebuild(i) for i in item]
            return type(item)(items) if type(item) in (list, tuple) else type(item)(*items)
        if isinstance(item, dict):
            return {key: rebuild(item[key]) for key in sorted(item)} if type(item) is dict else \
                type(item)((key, rebuild(item[key])) for key in sorted(item))
        return next(iterator)

    return rebuild(structure)


def map_structure(fn, structure):
    return pack_like(structure, [fn(leaf) for leaf in flatten(structure)])


def is_nested(structure):
    return isinstance(structure, (list, tuple, dict))
