"""Argument checks shared by the layers (clear `ValueError`s, no silent coercion)."""

import numbers

__all__ = ["check_bool", "check_choice", "check_int", "check_number", "kernel_pair"]


def check_int(owner, name, value, minimum=1, allow_none=False):
    """`value` as an int >= `minimum` (bools refused)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        none = " or None" if allow_none else ""
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}{none}; got {value!r}.")
    return int(value)


def check_number(owner, name, value, positive=True, minimum=None):
    """`value` as a finite float, > 0 when `positive`, >= `minimum` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value \
            or value in (float("inf"), float("-inf")):
        raise ValueError(f"{owner}: {name} must be a finite number; got {value!r}.")
    if positive and value <= 0:
        raise ValueError(f"{owner}: {name} must be > 0; got {value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}; got {value!r}.")
    return float(value)


def check_bool(owner, name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be True or False; got {value!r}.")
    return value


def check_choice(owner, name, value, choices):
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {list(choices)}; got {value!r}.")
    return value


def kernel_pair(owner, name, value):
    """An int or a pair of ints >= 1 as a (height, width) tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
                       for v in value)):
        raise ValueError(f"{owner}: {name} must be an int >= 1 or a pair of them; got {value!r}.")
    return (int(value[0]), int(value[1]))
