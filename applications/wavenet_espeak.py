"""Recipe: WaveNet on the offline espeak-ng speech corpus (the run in docs/models/wavenet.md).

    python applications/wavenet_espeak.py --epochs 1 --out runs/wavenet_espeak

Defaults are the documented run: one block of 10 layers (dilations 1..512,
receptive field 1,025 samples = 128 ms at 8 kHz), residual and dilation channels
32, skip channels 128, 256 mu-law levels, global conditioning on the 4 espeak
voices, segments of 4,096 samples in batches of 8, Adam(1e-3), bf16 on a CPU
with native bf16. It writes the checkpoint, `metrics.json` (held-out NLL in nats
per sample and bits), one generated WAV per `--speakers` entry and their
spectrograms as PNG.
"""

import json
import os
import time

from absl import app, flags

import keras_gan_zoo as kgz
from keras_gan_zoo.applications import publish

flags.DEFINE_integer("epochs", 1, "Training epochs.")
flags.DEFINE_integer("batch_size", 8, "Segments per batch.")
flags.DEFINE_integer("segment_length", 4096, "Samples per training segment.")
flags.DEFINE_integer("sample_rate", 8000, "Hz.")
flags.DEFINE_integer("num_blocks", 1, "Repetitions of the dilation cycle.")
flags.DEFINE_integer("layers_per_block", 10, "Layers per cycle (10: dilations up to 512).")
flags.DEFINE_integer("channels", 32, "Residual and dilation channels.")
flags.DEFINE_integer("skip_channels", 128, "Skip and output-head channels.")
flags.DEFINE_enum("precision", "auto", ["auto", "fp32", "bf16", "fp16"], "Precision policy.")
flags.DEFINE_integer("seed", 0, "Data order and sampling seed.")
flags.DEFINE_integer("limit", None, "Use only the first N training utterances.")
flags.DEFINE_float("seconds", 1.5, "Length of each generated sample.")
flags.DEFINE_list("speakers", ["0", "1"], "Voices (speaker ids) to generate.")
flags.DEFINE_string("out", None, "Output directory (default runs/wavenet_espeak).")
FLAGS = flags.FLAGS


def spectrogram_png(audio, path, frame=256, hop=64):
    """A log-magnitude spectrogram (time right, frequency up) as a grayscale PNG."""
    import numpy as np

    frames = np.lib.stride_tricks.sliding_window_view(audio, frame)[::hop] * np.hanning(frame)
    power = np.abs(np.fft.rfft(frames, axis=1)).T[::-1]
    db = 20 * np.log10(power + 1e-5)
    image = np.clip((db - db.max() + 80) / 80, 0, 1)  # an 80 dB range
    return kgz.utils.save_png((image * 255).astype("uint8")[..., None], path)


def main(_):
    f = FLAGS
    out = f.out or os.path.join("runs", "wavenet_espeak")
    os.makedirs(out, exist_ok=True)
    policy = kgz.precision.set_precision(f.precision)
    common = dict(segment_length=f.segment_length, sample_rate=f.sample_rate, with_labels=True)
    train = kgz.datasets.load_audio("espeak_speech", batch_size=f.batch_size, seed=f.seed,
                                    limit=f.limit, **common)
    test = kgz.datasets.load_audio("espeak_speech", "test", batch_size=f.batch_size,
                                   shuffle=False, **common)
    model = kgz.create_model("wavenet", num_blocks=f.num_blocks,
                             layers_per_block=f.layers_per_block, residual_channels=f.channels,
                             dilation_channels=f.channels, skip_channels=f.skip_channels,
                             num_classes=len(train.class_names), sample_rate=f.sample_rate)
    model.compile()
    checkpoint = os.path.join(out, "wavenet_espeak.keras")
    start = time.perf_counter()
    history = model.fit(train, epochs=f.epochs, verbose=2,
                        callbacks=[kgz.callbacks.TrainingCheckpoint(checkpoint)])
    train_seconds = time.perf_counter() - start
    held_out = model.evaluate(test, verbose=0, return_dict=True)
    samples = {}
    for speaker in (int(s) for s in f.speakers):
        start = time.perf_counter()
        audio = model.generate(1, length=int(f.seconds * f.sample_rate), seed=f.seed,
                               labels=speaker)[0]
        seconds = time.perf_counter() - start
        name = f"wavenet_espeak_{train.class_names[speaker].replace('+', '_')}"
        wav = model.write_wav(os.path.join(out, name + ".wav"), audio)
        png = spectrogram_png(audio, os.path.join(out, name + ".png"))
        samples[train.class_names[speaker]] = {
            "wav": wav, "spectrogram": png, "generation_seconds": round(seconds, 2),
            "samples_per_second": round(len(audio) / seconds, 1)}
    metrics = {
        "recipe": "wavenet_espeak", "config": model.get_config(),
        "receptive_field": model.receptive_field, "dtype_policy": policy,
        "train_segments": train.num_segments, "test_segments": test.num_segments,
        "epochs": f.epochs, "batch_size": f.batch_size, "segment_length": f.segment_length,
        "train_seconds": round(train_seconds, 1),
        "machine": publish.machine_description(),
        "train_nll_last_epoch": float(history.history["nll"][-1]),
        "test_nll_nats_per_sample": held_out["nll"],
        "test_bits_per_sample": held_out["bits_per_element"],
        "samples": samples,
    }
    kgz.utils.atomic_write_bytes(os.path.join(out, "metrics.json"),
                                 json.dumps(metrics, indent=2).encode())
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    app.run(main)
