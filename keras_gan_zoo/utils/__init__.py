"""Small helpers shared across keras_gan_zoo (images, atomic file writes, file hashes)."""

from keras_gan_zoo.utils.files import atomic_output
from keras_gan_zoo.utils.files import atomic_write_bytes
from keras_gan_zoo.utils.files import sha256_file
from keras_gan_zoo.utils.images import make_grid
from keras_gan_zoo.utils.images import save_grid
from keras_gan_zoo.utils.images import save_png
from keras_gan_zoo.utils.images import to_uint8

__all__ = [
    "atomic_output",
    "atomic_write_bytes",
    "make_grid",
    "save_grid",
    "save_png",
    "sha256_file",
    "to_uint8",
]
