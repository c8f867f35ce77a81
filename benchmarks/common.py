"""What every benchmark shares: the data folder and its distinct files, the machine line, the exact command, and
factory options.

The scripts import it as a sibling (`from common import ...`: `python benchmarks/X.py` puts benchmarks/ first on
sys.path; a test that loads a script by path puts it there itself).

Factory options reach one variant's factory without the scripts knowing any method by name:

    --option optical-flow:iterations=100,50 --option optical-flow:optimizer=adam

A value is an int, a float, a comma-separated tuple of them, or else the text as it is.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import shlex
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vst.core.encoder import file_sha256

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def distinct_files(paths: Iterable[Path]) -> list[Path]:
    """`paths` less byte-for-byte copies of an earlier one, each named on stderr: a copy under another name
    (the shared data's coffee.png holds rocket.jpg's bytes) would count one photo twice in a mean."""
    first: dict[str, Path] = {}
    for path in paths:
        digest = file_sha256(path)
        if digest in first:
            print(f"skipping {path}: the same bytes as {first[digest]}", file=sys.stderr)
        else:
            first[digest] = path
    return list(first.values())


def cpu_name() -> str:
    """The CPU's model name and logical core count, from /proc/cpuinfo where there is one."""
    cpuinfo = Path("/proc/cpuinfo")
    names = []
    if cpuinfo.is_file():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
    return f"{names[0]} x{len(names)}" if names else f"{platform.processor() or platform.machine()} x{os.cpu_count()}"


def hardware(*packages: str) -> str:
    """The machine line of a report, with the versions of torch and `packages`: timings mean nothing without it."""
    import torch  # here, not at the top: a benchmark that only drives a server imports this module too

    from vst.core.stylizer import cpu_has_bf16

    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("torch", *packages))
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    bf16 = "yes" if cpu_has_bf16() else "no"
    return f"{cpu_name()}, {gpu}, native bf16 {bf16}, {versions}, {torch.get_num_threads()} torch threads{load}"


def command_line(script: str, parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The exact command with every option spelled out (and OMP_NUM_THREADS when set), so that a later change of
    a default cannot alter a rerun."""
    parts = ["python", script]
    for action in parser._actions:  # argparse keeps no public list of a parser's options
        value = getattr(args, action.dest, None)
        if not action.option_strings or value is None or action.dest == "help":
            continue
        flag = max(action.option_strings, key=len)
        if action.nargs == 0:  # a switch
            parts += [flag] if value else []
        elif isinstance(value, (list, tuple)):
            parts += [flag, *map(str, value)] if value else []
        else:
            parts += [flag, str(value)]
    threads = os.environ.get("OMP_NUM_THREADS")
    return ("" if threads is None else f"OMP_NUM_THREADS={threads} ") + shlex.join(parts)


def _number(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@dataclass(frozen=True)
class FactoryOption:
    """One `--option VARIANT:KEY=VALUE`: a keyword for one variant's factory (the variant may hold ':' itself)."""

    variant: str
    key: str
    value: Any

    @classmethod
    def parse(cls, text: str) -> FactoryOption:
        target, equals, value = text.partition("=")
        variant, _, key = target.rpartition(":")
        if not (equals and variant and key.isidentifier()):
            raise argparse.ArgumentTypeError(f"{text!r} is not VARIANT:KEY=VALUE, e.g. optical-flow:iterations=100,50")
        parsed = tuple(map(_number, value.split(","))) if "," in value else _number(value)
        return cls(variant, key, parsed)

    def __str__(self) -> str:
        value = ",".join(map(str, self.value)) if isinstance(self.value, tuple) else str(self.value)
        return f"{self.variant}:{self.key}={value}"


def add_factory_options(parser: argparse.ArgumentParser) -> None:
    """`--option VARIANT:KEY=VALUE [...]`, repeatable, parsed into `FactoryOption`s."""
    parser.add_argument(
        "--option",
        nargs="+",
        action="extend",
        default=[],
        type=FactoryOption.parse,
        metavar="VARIANT:KEY=VALUE",
        help="a keyword for one variant's factory, e.g. optical-flow:iterations=100,50 (ints, floats, a,b tuples)",
    )


def factory_options(options: Iterable[FactoryOption], variants: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The keywords of each variant; an option for a variant that does not run is an error, not a silent no-op."""
    by_variant: dict[str, dict[str, Any]] = {variant: {} for variant in variants}
    for option in options:
        if option.variant not in by_variant:
            raise SystemExit(f"--option {option}: {option.variant!r} is not among the variants {', '.join(variants)}")
        by_variant[option.variant][option.key] = option.value
    return by_variant
