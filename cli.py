"""The `vst` command: stylize, import-adain, train, push, zoo.

Each subcommand is `add_<name>(subparsers)` that registers its arguments and a
`run` function. User errors (`VstError`) print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import sys

from vst_core import VstError


def add_train(sub: argparse._SubParsersAction) -> None:
    from training.train import add_arguments, run

    p = sub.add_parser("train", help="train a baseline or noise-resilient decoder")
    add_arguments(p)
    p.set_defaults(run=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vst", description="Real-time, temporally stable video style transfer.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (add_train,):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except VstError as e:
        print(f"vst: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vst: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
