"""Plot a run's learning curves: the losses of log.csv and the held-out style ratio of eval.csv.

    python -m vst.training.curves runs/baseline [-o runs/baseline/curves.png]

The loss falls on the styles a run trains on; the eval curve says whether that
carries over to paintings it never saw, which is when to stop.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np


def read_csv(path: Path) -> dict[str, np.ndarray]:
    """A CSV of numbers as one array per column."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: np.array([float(row[key]) for row in rows]) for key in rows[0]} if rows else {}


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Moving average over the last `window` points (fewer at the start)."""
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def plot(run: Path, out: Path) -> Path:
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise SystemExit("plotting needs matplotlib: pip install -e '.[train]'") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log = read_csv(run / "log.csv")
    evaluation = read_csv(run / "eval.csv") if (run / "eval.csv").exists() else {}
    fig, axes = plt.subplots(1, 2 if evaluation else 1, figsize=(11 if evaluation else 6, 4), squeeze=False)
    losses = axes[0][0]
    for key in ("content", "style", "noise", "distill"):
        if key in log and log[key].any():
            losses.plot(log["step"], smooth(log[key], 20), label=key)
    losses.set(xlabel="step", ylabel="loss (moving average of 20 logs)", yscale="log", title="training losses")
    losses.legend()
    if evaluation:
        ratios = axes[0][1]
        for key in ("unseen_style_ratio", "trained_style_ratio"):
            ratios.plot(evaluation["step"], evaluation[key], marker="o", label=key.replace("_", " "))
        ratios.set(xlabel="step", ylabel="style ratio (lower: closer to the style)", title="held-out evaluation")
        ratios.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a training output folder (log.csv, eval.csv)")
    parser.add_argument("-o", "--output", type=Path, help="PNG to write (default: RUN/curves.png)")
    args = parser.parse_args()
    print(plot(args.run, args.output or args.run / "curves.png"))


if __name__ == "__main__":
    main()
