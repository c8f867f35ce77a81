"""The `vst` command: stylize, compare, import-adain, train, push, zoo, app.

Each subcommand is `add_<name>(subparsers)` that registers its arguments and a
`run` function. User errors (`VstError`) print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def add_train(sub: argparse._SubParsersAction) -> None:
    from vst.training.train import add_arguments, run

    p = sub.add_parser("train", help="train a baseline or noise-resilient decoder")
    add_arguments(p)
    p.set_defaults(run=run)


def add_zoo(sub: argparse._SubParsersAction) -> None:
    from vst.zoo.commands import add_zoo_arguments

    p = sub.add_parser("zoo", help="list, inspect and pull stylization variants (built-ins, plugins, Hub repos)")
    add_zoo_arguments(p)


def add_push(sub: argparse._SubParsersAction) -> None:
    from vst.zoo.commands import add_push_arguments

    p = sub.add_parser("push", help="upload a checkpoint folder and its model card to the Hugging Face Hub")
    add_push_arguments(p)


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _rule(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """An engine rule (`vst.core.options`) as an argparse type: the CLI says what the API says, after the option."""

    def parse(text: str) -> Any:
        from vst.core import VstError

        try:
            return check(text)
        except VstError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return parse


def _weights(text: str) -> list[float]:
    try:
        weights = [float(w) for w in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    return weights  # their rule is `vst.core.options.check_weights`


def _device(text: str) -> str:
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?|mps", text):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N, got {text!r}")
    return text


class _Notices(logging.Handler):
    """Library notices (e.g. "downscaled to fit") as `vst: ...` lines on stderr, clear of the progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        tqdm.write(f"vst: {record.getMessage()}", file=sys.stderr)


STABILIZE_HELP = "inference-time stabilization along the input's optical flow, 0 (off) to 1 (strongest)"


def _add_model_options(p: argparse.ArgumentParser) -> None:
    from typing import get_args

    from vst.core.options import check_alpha
    from vst.core.stylizer import Precision

    p.add_argument("--style", action="append", required=True, metavar="IMG", help="style image; repeat to blend")
    p.add_argument("--style-weights", type=_weights, metavar="W1,W2", help="blend weights, one per --style")
    p.add_argument("--alpha", type=_rule(check_alpha), default=1.0, help="style strength in [0, 1]")
    p.add_argument("--preserve-color", action="store_true", help="keep the input's colours")
    p.add_argument("--size", type=_non_negative_int, default=0, metavar="SHORT_SIDE", help="0 keeps the size")
    p.add_argument("--style-size", type=_non_negative_int, default=512, metavar="SHORT_SIDE", help="0 keeps it")
    p.add_argument("--precision", choices=get_args(Precision), default="auto")
    p.add_argument("--device", type=_device, default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--compile", action="store_true", help="torch.compile the network (slower start, faster frames)")
    p.add_argument("--max-frames", type=_positive_int, metavar="N", help="stylize only the first N frames")


def add_stylize(sub: argparse._SubParsersAction) -> None:
    from vst.core.options import check_stabilize

    p = sub.add_parser(
        "stylize",
        help="stylize videos or images with a style, or a blend of several",
        description="Stylize one file, or a folder or glob of them into an output folder. A batch skips the "
        "outputs that exist already, so an interrupted run resumes; under torchrun each process takes its share.",
    )
    p.add_argument("input", help="a video (mp4, mov, ...) or an image (png, jpg, ...); or a folder, or a quoted glob")
    model = p.add_mutually_exclusive_group()
    model.add_argument("--variant", default="noise-resilient", help="zoo variant")
    model.add_argument("--checkpoint", metavar="DIR", help="checkpoint folder or hf://ORG/NAME[@REV]")
    _add_model_options(p)
    p.add_argument("--stabilize", type=_rule(check_stabilize), default=0.0, metavar="S", help=STABILIZE_HELP)
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="an .mp4 or an image file; a folder for a batch"
    )
    p.set_defaults(run=run_stylize)


def add_compare(sub: argparse._SubParsersAction) -> None:
    from vst.core.options import check_stabilize

    p = sub.add_parser(
        "compare",
        help="one side-by-side video of a clip and its stylizations by several variants, in sync",
        description="Writes input | A | B ... as one mp4, each panel labelled, with the clip's audio and frame count.",
    )
    p.add_argument("input", help="a video clip")
    p.add_argument("--variants", nargs="+", default=["baseline", "noise-resilient"], metavar="VARIANT")
    _add_model_options(p)
    help = f"{STABILIZE_HELP}; or one per variant"
    p.add_argument("--stabilize", type=_rule(check_stabilize), nargs="+", default=[0.0], metavar="S", help=help)
    p.add_argument("-o", "--output", required=True, metavar="OUT.mp4", help="the side-by-side video")
    p.set_defaults(run=run_compare)


def _use_notices() -> None:
    """Library notices (downscaled to fit, ...) appear as `vst:` lines."""
    notices = logging.getLogger("vst.core")
    if not any(isinstance(h, _Notices) for h in notices.handlers):
        notices.addHandler(_Notices())
        notices.setLevel(logging.INFO)


def _check_options(args: argparse.Namespace) -> None:
    """What no single option's type can check: before any file is read or model loaded."""
    from vst.core.options import check_weights

    check_weights(args.style_weights, len(args.style))


@contextlib.contextmanager
def _model_errors() -> Iterator[None]:
    """Options the model refuses (--device cuda without CUDA, fp16 on a CPU) and memory, as one line."""
    import torch

    from vst.core import VstError

    try:
        yield
    except ValueError as e:
        raise VstError(str(e)) from None
    except (torch.OutOfMemoryError, MemoryError):
        raise VstError("out of memory; try a smaller --size, or --precision bf16/fp16") from None


def _load(ref: str, args: argparse.Namespace) -> Any:
    from vst import zoo

    from .batch import device_for_rank

    return zoo.load(ref, device=device_for_rank(args.device), precision=args.precision, compile=args.compile)


def _styles(args: argparse.Namespace) -> str | list[str]:
    """--style as `Pipeline.encode_style` takes it: one image, or a list to blend."""
    return args.style[0] if len(args.style) == 1 else args.style


def _style(pipeline: Any, args: argparse.Namespace) -> Any:
    return pipeline.encode_style(_styles(args), args.style_weights, args.style_size)


def run_stylize(args: argparse.Namespace) -> None:
    from vst.core import VstError
    from vst.core.images import load_image
    from vst.core.video import probe

    from .batch import jobs, shard

    _use_notices()
    _check_options(args)
    todo = jobs(args.input, args.output)
    mine, prefix = shard(todo)
    # A folder or glob is a batch (its jobs name files under it); under torchrun even one file is, since the
    # other processes have nothing to do but say so.
    batch = todo[0].src != Path(args.input) or bool(prefix)
    if batch:
        pending = [job for job in mine if not job.dst.exists()]
        print(f"{prefix}{len(pending)} files to stylize, {len(mine) - len(pending)} done already")
        mine = pending
    else:  # read the input before the model, so that a bad file fails fast
        load_image(mine[0].src, args.size) if mine[0].is_image else probe(mine[0].src)
    for path in args.style:
        load_image(path, args.style_size)
    if not mine:
        return
    with _model_errors():
        pipeline = _load(args.checkpoint or args.variant, args)
        style = _style(pipeline, args)
    failed = 0
    for job in mine:
        try:
            with _model_errors():  # per file: one that runs out of memory does not end the batch
                _stylize_one(pipeline, style, job, args)
        except VstError as e:
            if not batch:
                raise
            failed += 1
            print(f"vst: error: {e}", file=sys.stderr)
    if failed:
        raise VstError(f"{prefix}{failed} of {len(mine)} files failed; run the same command again to retry them")


def _stylize_one(pipeline: Any, style: Any, job: Any, args: argparse.Namespace) -> None:
    from vst.core import VstError
    from vst.core.errors import make_parent
    from vst.core.images import save_image

    make_parent(job.dst, VstError)
    options = {"style": style, "alpha": args.alpha, "preserve_color": args.preserve_color, "size": args.size}
    if job.is_image:
        frame = pipeline.stylize_image(job.src, **options)
        save_image(frame, job.dst)
        print(f"wrote {job.dst} ({frame.shape[1]}x{frame.shape[0]})")
        return
    with _progress_bar(job.src.name) as progress:
        pipeline.stylize_video(
            job.src, job.dst, **options, stabilize=args.stabilize, max_frames=args.max_frames, progress=progress
        )
    last = progress.last
    print(f"wrote {job.dst} ({last.frame.shape[1]}x{last.frame.shape[0]}, {last.done} frames)")


class _progress_bar(contextlib.AbstractContextManager):
    """A tqdm bar fed by the pipeline's progress callback; remembers the last step for the closing line.

    The bar appears with the first frame, so that a file that cannot be read is one error line, not a bar too.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.bar: Any = None
        self.last: Any = None

    def __call__(self, step: Any) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(unit="frame", desc=self.name, dynamic_ncols=True)
        self.last = step
        self.bar.total = step.total
        self.bar.set_postfix(fps=f"{step.fps:.2f}", refresh=False)
        self.bar.update(1)

    def __enter__(self) -> _progress_bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def run_compare(args: argparse.Namespace) -> None:
    from vst.core import VstError
    from vst.core.errors import make_parent
    from vst.core.images import load_image
    from vst.core.options import stabilize_per_lane
    from vst.core.pipeline import Clip, follow, record
    from vst.zoo import compare_lanes

    _use_notices()
    _check_options(args)
    dst = Path(args.output)
    if dst.suffix.lower() != ".mp4":
        raise VstError(f"the side-by-side video must be an .mp4 file: {dst}")
    if len(args.variants) < 2:
        raise VstError("--variants needs two or more variants to compare")
    stabilize = stabilize_per_lane(args.stabilize, len(args.variants))
    clip = Clip.open(args.input, args.size, args.max_frames)  # bad clips and styles fail before any model loads
    for path in args.style:
        load_image(path, args.style_size)
    make_parent(dst, VstError)
    with _model_errors():
        lanes = compare_lanes(
            args.variants,
            _styles(args),
            weights=args.style_weights,
            style_size=args.style_size,
            alpha=args.alpha,
            preserve_color=args.preserve_color,
            stabilize=stabilize,
            loader=lambda ref: _load(ref, args),
        )
        with _progress_bar(clip.path.name) as progress:
            frames = follow(record(clip, lanes, side_by_side=dst), clip.total, progress)
    rates = ", ".join(f"{lane.name} {lane.fps:.2f} fps" for lane in lanes)
    print(f"wrote {dst} ({clip.width * (len(lanes) + 1)}x{clip.height}, {frames} frames; {rates})")


def add_import_adain(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-adain", help="convert the published AdaIN weights (naoto0804/pytorch-AdaIN) into a checkpoint folder"
    )
    p.add_argument("--vgg", required=True, metavar="PTH", help="vgg_normalised.pth")
    p.add_argument("--decoder", required=True, metavar="PTH", help="decoder.pth")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="checkpoint folder to write")
    p.set_defaults(run=run_import_adain)


def run_import_adain(args: argparse.Namespace) -> None:
    from vst.core.adain_import import import_adain

    out, identity = import_adain(args.vgg, args.decoder, args.output)
    print(f"wrote {out} (encoder {identity.name}, sha256 {identity.sha256[:12]}…); use it with --checkpoint {out}")


def add_app(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="open the web demo: two variants side by side, live fps, photos, a camera filter")
    p.add_argument(
        "--host", default=os.environ.get("GRADIO_SERVER_NAME"), help="address to serve on (0.0.0.0: the network)"
    )
    p.add_argument("--port", type=int, default=None, help="default $GRADIO_SERVER_PORT, else the first free from 7860")
    p.add_argument("--share", action="store_true", help="also open a public *.gradio.live link")
    p.set_defaults(run=run_app)


def run_app(args: argparse.Namespace) -> None:
    from vst.core.errors import missing_extra

    try:
        from vst import app
    except ImportError as e:
        raise missing_extra(e, "the web demo", "app") from None

    app.serve(args.host, args.port, args.share)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vst", description="Real-time, temporally stable video style transfer.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command")
    for add in (add_stylize, add_compare, add_import_adain, add_train, add_zoo, add_push, add_app):
        add(sub)
    _show_defaults(parser)
    return parser


def _show_defaults(parser: argparse.ArgumentParser) -> None:
    """Every subcommand's --help shows its defaults, nested ones (`vst zoo list`) included."""
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for child in action.choices.values():
            child.formatter_class = argparse.ArgumentDefaultsHelpFormatter
            _show_defaults(child)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from vst.core.errors import DISTRIBUTION

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "(not installed)"


def _terminate(signum: int, _frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C, so that every partial output is removed on the way out."""
    raise KeyboardInterrupt


def _exit_now(signum: int, _frame: Any) -> None:
    """Before a command starts nothing is written yet, and unwinding a half-done import can fail: end at once."""
    print("vst: interrupted", file=sys.stderr, flush=True)
    os._exit(130)


def main(argv: list[str] | None = None) -> int:
    """Run one command. User errors end in one line (exit 2); Ctrl-C or SIGTERM at any moment, even while torch
    is still importing, end in one line (exit 130) with partial outputs removed."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        signal.signal(signal.SIGINT, _exit_now)
        signal.signal(signal.SIGTERM, _exit_now)
    from vst import zoo  # noqa: F401  (the heavy imports, torch's among them, while an interrupt still ends at once)
    from vst.core import VstError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if in_main_thread:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _terminate)
    try:
        args.run(args)
    except VstError as e:
        print(f"vst: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vst: interrupted", file=sys.stderr)
        return 130
    return 0
