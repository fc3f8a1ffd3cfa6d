"""Keyword-spotting benchmark: a spoken keyword set made with espeak-ng, trained through
edgetf's ``audio`` front end, then measured as a keyword-spotting user would: int8
accuracy under TFLM from raw audio, false activations per hour and miss rate on streams
(``edgetf validate``'s calibration), the front end's speed in Python, and the RAM, flash
and latency estimate per board.

The data (seeded, made here; needs ``espeak-ng`` on the PATH):

- six keywords (yes, no, up, down, left, right) and an ``unknown`` label of four other
  words (on, off, stop, go), one 1 s clip each, 16 kHz, the word (espeak's leading and
  trailing silence cut) at a seeded offset that ends it by 950 ms, as Speech Commands'
  words fall anywhere in their clip (a model that only ever saw a word at one offset hears
  it in a stream only when the stream's second puts it there);
- voices: espeak-ng voice x variant (none, +m3, +f2) x speed (140, 175 words/min) x pitch
  (40, 60): 12 variants per voice; four voices train (en-us, en-gb-x-rp, en-029,
  en-gb-scotland), one validates (en-gb-x-gbclan) and two are held out for test
  (en-gb-x-gbcwmd, en), listed in validation_list.txt / testing_list.txt;
- ``_background_noise_``: 20 s each of seeded white noise, pink noise and a 50 Hz hum
  with harmonics under noise; training mixes it in (train-quantize's default
  augmentation: each noisy copy's features computed after a second of the same noise, as
  its front end would be inside a stream, and a tenth more clips of noise alone labelled
  ``unknown``), and the streams lay the held-out clips over it.

Training: train-quantize's default model for the features (``tiny-cnn``), ``--epochs``
(default 20) with QAT (4 epochs, the default), seed 42. Latency: edgetf's estimate for
the model (``inspect``'s, from MACs); the front end has no estimate (its signal ops have
no MAC figure), its speed here is the Python/TFLM interpreter's on this machine.

    python benchmarks/kws.py
    python benchmarks/kws.py --epochs 10 --stream-minutes 10 --keep /tmp/kws
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgetf.analyze.inspect import inspect_file  # noqa: E402
from edgetf.analyze.kws_calibration import THRESHOLD_COLUMNS, threshold_table  # noqa: E402
from edgetf.analyze.validate import ValidateOptions, validate  # noqa: E402
from edgetf.features.audio import audio_features, audio_front_end  # noqa: E402

KEYWORDS = ("yes", "no", "up", "down", "left", "right")
UNKNOWN = ("on", "off", "stop", "go")
VOICES = {"train": ("en-us", "en-gb-x-rp", "en-029", "en-gb-scotland"),
          "validation": ("en-gb-x-gbclan",), "test": ("en-gb-x-gbcwmd", "en")}
VARIANTS = ("", "+m3", "+f2")
SPEEDS = (140, 175)
PITCHES = (40, 60)
RATE = 16000
SEED = 42


def spoken(word: str, voice: str, speed: int, pitch: int, tmp: Path,
           rng: np.random.Generator) -> np.ndarray:
    """One word from espeak-ng, resampled to 16 kHz, in a 1 s clip at a seeded offset
    (anywhere that ends it by 950 ms)."""
    from scipy.signal import resample_poly

    raw = tmp / "word.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w",
                    str(raw), word], check=True, capture_output=True)
    with wave.open(str(raw), "rb") as f:
        rate = f.getframerate()
        x = np.frombuffer(f.readframes(f.getnframes()), np.int16).astype(np.float64)
    x = resample_poly(x, RATE, rate)
    loud = np.flatnonzero(np.abs(x) > 0.01 * np.abs(x).max())
    part = x[loud[0]:loud[-1] + 1][: RATE - RATE // 20]  # espeak's own silences cut
    start = int(rng.integers(RATE - RATE // 20 - len(part) + 1))
    clip = np.zeros(RATE)
    clip[start:start + len(part)] = part
    return np.clip(np.round(clip), -32768, 32767).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(samples.astype(np.int16).tobytes())


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as f:
        return np.frombuffer(f.readframes(f.getnframes()), np.int16)


def noises(rng: np.random.Generator, seconds: int = 20) -> dict[str, np.ndarray]:
    n = seconds * RATE
    white = rng.normal(0, 0.15, n)
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    pink = np.fft.irfft(spectrum, n)
    pink *= 0.15 / pink.std()
    t = np.arange(n) / RATE
    hum = sum(0.1 / k * np.sin(2 * np.pi * 50 * k * t) for k in range(1, 6))
    hum = hum + rng.normal(0, 0.02, n)
    return {name: np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
            for name, x in (("white", white), ("pink", pink), ("hum", hum))}


def make_folder(root: Path) -> dict[str, int]:
    """The keyword folder (module docstring); returns clips per split."""
    rng = np.random.default_rng(SEED)
    counts = {"train": 0, "validation": 0, "test": 0}
    lists: dict[str, list[str]] = {"validation": [], "test": []}
    with tempfile.TemporaryDirectory() as tmp:
        for split, voices in VOICES.items():
            for voice in voices:
                for variant in VARIANTS:
                    for speed in SPEEDS:
                        for pitch in PITCHES:
                            speaker = f"{voice}{variant.replace('+', '-')}-s{speed}-p{pitch}"
                            for word in KEYWORDS + UNKNOWN:
                                label = word if word in KEYWORDS else "unknown"
                                name = f"{label}/{speaker}_nohash_{word}.wav"
                                write_wav(root / name, spoken(word, voice + variant, speed,
                                                              pitch, Path(tmp), rng))
                                counts[split] += 1
                                if split in lists:
                                    lists[split].append(name)
    for name, samples in noises(rng).items():
        write_wav(root / "_background_noise_" / f"{name}.wav", samples)
    (root / "validation_list.txt").write_text("\n".join(lists["validation"]) + "\n")
    (root / "testing_list.txt").write_text("\n".join(lists["test"]) + "\n")
    return counts


def noisy_clip_accuracy(run: Path, clips: Path) -> tuple[float, float, int]:
    """Accuracy on the keyword stream's clips as laid in (the stream's noise added), each
    through a reset front end, and each after the second of the stream before it (the
    front end warmed as on the board): how much of the stream's loss is the noise alone,
    and how much the front end's running state, before the recognizer."""
    from edgetf.analyze.kws_streams import build_streams
    from edgetf.analyze.validate_audio import audio_run, read_clips
    from edgetf.features.streaming import streaming_config
    from edgetf.tflm.interpreter import run_tflm

    model_file = run / "model.tflite"
    recorded = audio_run(model_file)
    found = read_clips(str(clips), recorded)
    streams = build_streams(found, RATE, RATE, streaming_config(), background_s=1, seed=SEED)
    lead = RATE // recorded.front_end.config.stride_samples * \
        recorded.front_end.config.stride_samples
    pieces, leads, labels = [], [], []
    for stream in streams.keywords:
        for start, _, label in stream.events:
            at = start * RATE // 1000
            pieces.append(stream.samples[at:at + RATE])
            leads.append(stream.samples[at - lead:at])
            labels.append(label)
    right = []
    for warm in (None, np.stack(leads)):
        features = audio_features(np.stack(pieces), recorded.front_end, lead=warm)
        scores = run_tflm(model_file.read_bytes(), features[..., np.newaxis])[0]
        predicted = np.asarray(scores).reshape(len(labels), -1).argmax(axis=1)
        right.append(float(np.mean(predicted == np.array(labels))))
    return right[0], right[1], len(labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--stream-minutes", type=float, default=20.0)
    parser.add_argument("--keep", type=Path, help="keep the clips and the run in this folder")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed (apt-get install espeak-ng); nothing measured")
        return 1
    started = time.perf_counter()
    work = args.keep or Path(tempfile.mkdtemp(prefix="edgetf-kws-"))
    clips, run = work / "clips", work / "run"
    if clips.exists():
        shutil.rmtree(clips)
    counts = make_folder(clips)
    made = time.perf_counter()
    print(f"data: {len(KEYWORDS)} keywords + unknown ({len(UNKNOWN)} words), "
          f"{len(VARIANTS) * len(SPEEDS) * len(PITCHES)} variants per voice; clips: "
          f"{counts['train']} train ({len(VOICES['train'])} voices), {counts['validation']}"
          f" validation, {counts['test']} test (held-out voices: "
          f"{', '.join(VOICES['test'])}); espeak-ng took {made - started:.0f} s")

    from edgetf.train.options import TrainQuantizeOptions
    from edgetf.train.train_quantize import train_quantize

    result = train_quantize(TrainQuantizeOptions(data=str(clips), out=str(run),
                                                 epochs=args.epochs, seed=SEED))
    trained = time.perf_counter()
    print(f"train-quantize: {result.report['model']['source']},"
          f" {result.report['model']['parameters']:,} parameters, {args.epochs} epochs + QAT;"
          f" took {trained - made:.0f} s")

    checked = validate(ValidateOptions(model=run, data=str(clips),
                                       stream_minutes=args.stream_minutes))
    validated = time.perf_counter()
    print(f"\nint8 accuracy under TFLM from raw audio ({checked.samples} held-out clips):"
          f" {100 * checked.tflm_accuracy:.2f} % (LiteRT {100 * checked.int8_accuracy:.2f} %)")
    labels = checked.labels
    print("confusion (rows true, columns predicted): " + " ".join(f"{x:>7}" for x in labels))
    for label, row in zip(labels, checked.confusion, strict=True):
        print(f"  {label:>8} " + " ".join(f"{x:7d}" for x in row))
    streaming = checked.streaming
    at = streaming["at_threshold"]
    print(f"\nstreaming ({streaming['background_hours'] * 60:.0f} min background,"
          f" {streaming['keywords']} keywords, {streaming['model_runs']:,} model runs;"
          f" validate took {validated - trained:.0f} s): at the default threshold"
          f" {at['threshold']:.2f}: {at['false_activations_per_hour']:.1f} false activations"
          f" per hour, miss rate {100 * at['miss_rate']:.1f} %")
    cold, warm, laid = noisy_clip_accuracy(run, clips)
    print(f"  the {laid} keyword clips as laid in the stream (its noise added), each from a"
          f" reset front end: {100 * cold:.2f} % right; after the stream's second before"
          f" it (as on the board): {100 * warm:.2f} % right")
    print("  " + " | ".join(THRESHOLD_COLUMNS))
    for row in threshold_table(streaming):
        print("  " + " | ".join(row))
    print(f"  streams: {streaming['streams']}")

    front_end = audio_front_end()
    held = np.stack([read_wav(clips / name)
                     for name in (clips / "testing_list.txt").read_text().split()])
    best = float("inf")
    for _ in range(3):
        tick = time.perf_counter()
        audio_features(held, front_end)
        best = min(best, time.perf_counter() - tick)
    frames = len(held) * front_end.frames(RATE)
    print(f"\nfront end in Python (TFLM interpreter, child start included, best of 3):"
          f" {frames / best:,.0f} frames/s, {len(held) / best:,.1f} clips/s"
          f" ({len(held) / best:.0f}x real time) on {len(held)} 1 s clips")

    inspection = inspect_file(run / "model.tflite", features="audio")
    device = result.report["device"]
    print("\nper board (RAM and flash: the library emit-firmware --from emits, front end"
          " included; latency: inspect's estimate for the model, the front end has none):")
    print(f"  {'board':<14} {'RAM':>9} {'flash':>9} {'model latency':>14}")
    for board, figures in device.items():
        latency = inspection.boards[board].latency.latency_ms
        print(f"  {board:<14} {figures['ram_bytes']:>9,} {figures['flash_bytes']:>9,}"
              f" {'-' if latency is None else f'~{latency:.1f} ms':>14}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s; work folder {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
