"""Sequence family: `SequenceModel` and the audio / text models, one file each."""

from keras_gan_zoo.models.sequence.base import SequenceModel
from keras_gan_zoo.models.sequence.wavenet import WaveNet, mu_law_decode, mu_law_encode
from keras_gan_zoo.models.sequence.char_rnn import CharRNN
from keras_gan_zoo.models.sequence.sentence_vae import SentenceVAE

__all__ = ["SequenceModel", "WaveNet", "mu_law_decode", "mu_law_encode", "CharRNN", "SentenceVAE"]
