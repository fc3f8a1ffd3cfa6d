"""Compression benchmark: what each train-quantize recipe costs and saves.

Prints one Markdown table (the README quotes it) for two datasets: the built-in
digits (tiny-cnn) and a generated, seeded 32-feature classification problem
(mlp). Every row is a full `train_quantize` run with the CLI's defaults, timed
end to end on this machine.

    python benchmarks/compression.py            # both datasets, ~5 min on 2 cores
    python benchmarks/compression.py --only digits
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from edgetf.options import TrainQuantizeOptions  # noqa: E402
from edgetf.train_quantize import train_quantize  # noqa: E402

RECIPES = {
    "PTQ only": {"qat": False},
    "prune 50%": {"prune": 0.5, "qat": False},
    "cluster 16": {"cluster": 16, "qat": False},
    "QAT (default run)": {},
    "prune 50% + cluster 16 + QAT": {"prune": 0.5, "cluster": 16},
}


def generated_dataset(folder: Path, seed: int = 42) -> str:
    """A 5-class, 32-feature problem from scikit-learn's generator, saved as .npz."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    x, y = make_classification(n_samples=4000, n_features=32, n_informative=16, n_classes=5,
                               n_clusters_per_class=2, class_sep=1.5, random_state=seed)
    x_train, x_test, y_train, y_test = train_test_split(
        x.astype(np.float32), y, test_size=0.2, random_state=seed, stratify=y)
    path = folder / "generated.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return str(path)


def run(data: str, recipe: dict) -> dict:
    start = time.perf_counter()
    result = train_quantize(TrainQuantizeOptions(data=data, seed=42, **recipe))
    wall = time.perf_counter() - start
    report = result.report
    return {**report["accuracy"], **report["sizes"], "wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("digits", "generated"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        datasets = {"digits": "digits", "generated": generated_dataset(Path(folder))}
        print("| dataset | recipe | float acc | int8 acc (LiteRT) | int8 − float (pts) "
              "| .tflite B | gzipped B | gz float / gz int8 | wall s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, data in datasets.items():
            if args.only and name != args.only:
                continue
            for recipe_name, recipe in RECIPES.items():
                row = run(data, recipe)
                drop = 100 * (row["int8_litert"] - row["float_keras"])
                ratio = row["float_tflite_gz"] / row["int8_tflite_gz"]
                print(f"| {name} | {recipe_name} | {100 * row['float_keras']:.2f} % "
                      f"| {100 * row['int8_litert']:.2f} % | {drop:+.2f} "
                      f"| {row['int8_tflite']:,} | {row['int8_tflite_gz']:,} | {ratio:.1f}x "
                      f"| {row['wall_s']:.1f} |", flush=True)
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
