"""`vst zoo list|info|pull` and `vst push`: the command-line face of the zoo."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import hub
from .checkpoint import push
from .registry import Variant, list_variants, plugin_problems, resolve


def _warn_plugin_problems() -> None:
    for problem in plugin_problems():
        print(f"vst: warning: {problem}", file=sys.stderr)


def _summary(variant: Variant) -> dict[str, Any]:
    config = variant.config()
    return {
        "name": variant.name,
        "description": variant.description,
        "use_for": variant.use_for,
        "source": variant.source,
        "weights": variant.weights,
        "available_offline": variant.available_offline(),
        "recipe": config.get("recipe"),
        "metrics": config.get("metrics") or {},
    }


def run_list(args: argparse.Namespace) -> None:
    _warn_plugin_problems()
    rows = [_summary(v) for v in list_variants()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    header = {"name": "NAME", "source": "SOURCE", "available_offline": "OFFLINE", "use_for": "USE IT FOR"}
    table = [header] + [
        {
            **r,
            "available_offline": "yes" if r["available_offline"] else "no",
            "use_for": r["use_for"] or r["description"],
        }
        for r in rows
    ]
    widths = {k: max(len(str(r[k])) for r in table) for k in ("name", "source", "available_offline")}
    for r in table:
        cells = [str(r[k]).ljust(widths[k]) for k in widths]
        print("  ".join([*cells, r["use_for"]]))


def run_info(args: argparse.Namespace) -> None:
    _warn_plugin_problems()
    variant = resolve(args.name)
    summary = _summary(variant)
    for key in ("name", "use_for", "description", "source", "weights", "recipe"):
        if summary[key]:
            print(f"{key}: {summary[key]}")
    print(f"available offline: {'yes' if summary['available_offline'] else 'no'}")
    for key, value in summary["metrics"].items():
        print(f"metric {key}: {value}")
    card = variant.card()
    if card:
        print()
        print(card.rstrip())
    elif variant.weights is not None:
        print("\n(no model card: the weights folder has no README.md)")


def run_pull(args: argparse.Namespace) -> None:
    _warn_plugin_problems()
    variant = resolve(args.name)
    folder = variant.pull()
    if folder is None:
        print(f"{variant.name} ({variant.source}) has no weights; nothing to pull")
        return
    ref = variant.hub_ref
    print(f"{variant.name}: verified checkpoint at {folder}")
    if ref is not None and not ref.pinned:
        pinned = hub.HubRef(ref.repo_id, folder.name)
        print(f"{ref} is commit {folder.name}; pin it as {pinned} to always get these weights")


def run_push(args: argparse.Namespace) -> None:
    folder = Path(args.dir)
    url, commit = push(folder, args.repo_id, private=args.private, revision=args.revision)
    print(f"pushed {', '.join(hub.push_files(folder))} to {args.repo_id}: {url}")
    print(f"use it with --variant {hub.HubRef(args.repo_id, commit)}")


def add_zoo_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="zoo_command", required=True)
    p = sub.add_parser("list", help="the variants, where their weights come from, and whether they work offline")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run_list)
    p = sub.add_parser("info", help="a variant's details and model card")
    p.add_argument("name", help="a variant name, hf://ORG/NAME[@REV] or a checkpoint folder")
    p.set_defaults(run=run_info)
    p = sub.add_parser("pull", help="download a variant's weights into the Hugging Face cache and verify them")
    p.add_argument("name", help="a variant name, hf://ORG/NAME[@REV] or a checkpoint folder")
    p.set_defaults(run=run_pull)


def add_push_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="a checkpoint folder (e.g. the output of `vst train`)")
    parser.add_argument("--repo-id", required=True, help="ORG/NAME on the Hugging Face Hub; created if missing")
    parser.add_argument("--private", action="store_true", help="create the repo private")
    parser.add_argument("--revision", help="the branch to upload to (created if missing); default main")
    parser.set_defaults(run=run_push)
