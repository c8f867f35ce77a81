"""Run the fuzz targets, each in its own libFuzzer process, and report what they did.

    python -m fuzz [--targets T ...] [--runs N] [--seconds S] [--seed K] [--out fuzz/results]

A target stops at N executions or S seconds, whichever comes first. An input that breaks the contract (an
exception other than a one-line VstError, a hang past --timeout, memory past --rss-limit-mb) is written to
OUT/crashes/, and the run fails. Keep each one in fuzz/regressions/TARGET/ once it is fixed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .seeds import seeds
from .targets import TARGETS

ROOT = Path(__file__).resolve().parents[1]
REGRESSIONS = Path(__file__).with_name("regressions")


def corpus(target: str, folder: Path) -> Path:
    """The target's seeds and its kept regressions, as a libFuzzer corpus folder."""
    folder.mkdir(parents=True)
    for name, data in seeds(target).items():
        (folder / name).write_bytes(data)
    for path in sorted((REGRESSIONS / target).glob("*")):
        shutil.copy(path, folder / f"regression-{path.name}")
    return folder


def run(target: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """One target's libFuzzer run; its executions, coverage, speed and crashes."""
    crashes = args.out / "crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "fuzz.worker",
        target,
        str(corpus(target, work / target)),
        f"-runs={args.runs}",
        f"-max_total_time={args.seconds}",
        f"-seed={args.seed}",
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_limit_mb}",
        "-max_len=262144",
        f"-artifact_prefix={crashes}/{target}-",
        "-print_final_stats=1",
    ]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, errors="replace")
    seconds = time.monotonic() - start
    log = done.stdout + done.stderr
    (args.out / f"{target}.log").write_text(log)
    executions = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    coverage = re.findall(r"cov: (\d+) ft: (\d+)", log)
    found = sorted(p.name for p in crashes.glob(f"{target}-*"))
    return {
        "target": target,
        "executions": int(executions.group(1)) if executions else 0,
        "seconds": round(seconds, 1),
        "per_second": round(int(executions.group(1)) / seconds) if executions else 0,
        "coverage": int(coverage[-1][0]) if coverage else None,
        "features": int(coverage[-1][1]) if coverage else None,
        "exit_code": done.returncode,
        "crashes": found,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"`{report['command']}`",
        "",
        "| target | executions | seconds | per second | coverage (edges / features) | crashes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["targets"]:
        lines.append(
            f"| {r['target']} | {r['executions']:,} | {r['seconds']} | {r['per_second']:,} | "
            f"{r['coverage']} / {r['features']} | {len(r['crashes'])} |"
        )
    total = sum(r["executions"] for r in report["targets"])
    lines += ["", f"Total: {total:,} executions, {sum(len(r['crashes']) for r in report['targets'])} crashes."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", nargs="+", choices=sorted(TARGETS), default=list(TARGETS))
    parser.add_argument("--runs", type=int, default=10_000, help="executions a target (at most)")
    parser.add_argument("--seconds", type=int, default=600, help="seconds a target (at most)")
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer's random seed: a run repeats with it")
    parser.add_argument("--timeout", type=int, default=20, help="seconds one input may take before it is a hang")
    parser.add_argument("--rss-limit-mb", type=int, default=4096, help="memory a target process may reach")
    parser.add_argument("--out", type=Path, default=ROOT / "fuzz" / "results")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python -m fuzz " + " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
    work = Path(tempfile.mkdtemp(prefix="vst-fuzz-corpus-"))
    report: dict[str, Any] = {"command": command.strip(), "targets": []}
    try:
        for target in args.targets:
            result = run(target, args, work)
            print(json.dumps(result), flush=True)
            report["targets"].append(result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (args.out / "fuzz.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "fuzz.md").write_text(markdown(report))
    print(markdown(report))
    return 1 if any(r["crashes"] or r["exit_code"] for r in report["targets"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
