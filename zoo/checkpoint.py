"""A checkpoint as a Hugging Face model: `from_pretrained`, `save_pretrained` and `push_to_hub`.

Built on huggingface_hub's `PyTorchModelHubMixin`, with vst's rules where the mixin
leaves room for them: a Hub reference is parsed and fetched by the zoo's one door
(`hub.download`: checkpoint files only, never a pickle), loading verifies the folder
as every other path does (`load_checkpoint`: safetensors only, decoder names and
shapes, finite weights, the encoder's sha256), and saving writes the checkpoint
layout in the dtype it was read in, with its model card.

    model = AdaINCheckpoint.from_pretrained("ORG/NAME", revision="v1")   # or a folder
    model.save_pretrained("out/")
    model.push_to_hub("ORG/OTHER")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from huggingface_hub import HfApi, PyTorchModelHubMixin
from huggingface_hub import constants as hf_constants
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from huggingface_hub.utils import httpx
from safetensors import safe_open
from torch import nn

from vst.core import load_checkpoint, save_checkpoint
from vst.core.checkpoint import ENCODER_FILE, MODEL_FILE, CheckpointError, architecture_of
from vst.core.encoder import EncoderIdentity

from . import hub
from .card import CARD_TAGS, write_model_card
from .errors import ZooError

_DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32}


class AdaINCheckpoint(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="vst",
    license="mit",
    pipeline_tag="image-to-image",
    tags=list(CARD_TAGS),  # a copy: the mixin appends its own tags to the list it is given
):
    """An AdaIN decoder of any architecture with its config (recipe, encoder identity, training record,
    metrics) and model card; a lite checkpoint's student encoder travels as its bundled encoder weights, and a
    student that reads its style through VGG-19 carries its style map."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = config
        self.decoder = architecture_of(config).decoder()
        self.card: str | None = None  # the card it was read with; a new one is written from the config otherwise
        self.encoder_weights: dict[str, torch.Tensor] | None = None  # bundled when the encoder is not a built-in
        architecture = architecture_of(config)
        self.style_map = architecture.style_map() if architecture.style_through_vgg else None
        self.dtype_on_disk = torch.float32

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls, pretrained_model_name_or_path: str | Path, *, revision: str | None = None, **kwargs: Any
    ) -> AdaINCheckpoint:
        """A checkpoint folder, or `ORG/NAME` (with or without `hf://`) at `revision`, fetched into the HF cache."""
        folder = Path(pretrained_model_name_or_path)
        if not folder.is_dir():
            name = str(pretrained_model_name_or_path)
            ref = hub.HubRef.from_text(name + (f"@{revision}" if revision else ""))
            folder = hub.download(ref)
        return super().from_pretrained(folder, **kwargs)

    @classmethod
    def _from_pretrained(cls, *, model_id: str, **_: Any) -> AdaINCheckpoint:
        folder = Path(model_id)
        decoder, encoder_weights, config, style_path = load_checkpoint(folder)
        model = cls(config)
        model.decoder.load_state_dict(decoder.state_dict())
        if style_path is not None:
            model.style_map = style_path.map
        if (folder / ENCODER_FILE).exists():
            model.encoder_weights = encoder_weights
        with safe_open(str(folder / MODEL_FILE), "pt") as f:
            model.dtype_on_disk = _DTYPES.get(f.get_slice(next(iter(f.keys()))).get_dtype(), torch.float32)
        card = folder / hub.CARD_FILE
        model.card = card.read_text() if card.is_file() else None
        return model

    def _save_pretrained(self, save_directory: Path) -> None:
        identity = EncoderIdentity(**self.config["encoder"])
        config = {k: v for k, v in self.config.items() if k not in ("architecture", "encoder")}
        save_checkpoint(
            save_directory,
            self.decoder,
            identity,
            config,
            dtype=self.dtype_on_disk,
            encoder_weights=self.encoder_weights,
            architecture=architecture_of(self.config),
            style_map=self.style_map,
        )
        if self.card is None:
            write_model_card(save_directory, self.config)
        else:
            (Path(save_directory) / hub.CARD_FILE).write_text(self.card)


def push(folder: str | Path, repo_id: str, *, private: bool = False, revision: str | None = None) -> tuple[str, str]:
    """Verify a checkpoint folder and push it with `push_to_hub` (the checkpoint files as read, its card as it is,
    no training leftovers); `revision` is a branch, created if needed. Returns (commit url, commit sha)."""
    ref = hub.HubRef.from_text(repo_id)
    if not Path(folder).is_dir():
        raise CheckpointError(f"checkpoint folder not found: {folder}")
    model = AdaINCheckpoint.from_pretrained(folder)  # refuses pickles, wrong layouts, foreign encoders
    if model.card is None:
        raise ZooError(
            f"{folder} has no {hub.CARD_FILE} model card; `vst train` writes one, or add one that says "
            "what data and budget the checkpoint had"
        )
    try:
        if revision:  # push_to_hub uploads to a branch, but does not create one
            api = HfApi()
            api.create_repo(ref.repo_id, private=private or None, exist_ok=True)
            api.create_branch(ref.repo_id, branch=revision, exist_ok=True)
        info = model.push_to_hub(
            ref.repo_id,
            private=private or None,  # None: the owner's default
            branch=revision,
            commit_message=f"Upload vst checkpoint ({', '.join(hub.push_files(Path(folder)))})",
        )
    except HfHubHTTPError as e:
        hint = " (log in with `hf auth login` or set HF_TOKEN)" if e.response.status_code in (401, 403) else ""
        raise ZooError(f"push to {ref.repo_id} failed: {str(e).splitlines()[0]}{hint}") from None
    except (OfflineModeIsEnabled, httpx.TransportError) as e:
        raise ZooError(
            f"push to {ref.repo_id} failed: the Hub ({hf_constants.ENDPOINT}) cannot be reached: {e}"
        ) from None
    return info.commit_url, info.oid
