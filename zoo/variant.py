"""A zoo entry: a stylization method and where its weights come from, and how to build it.

Its own module so that the registry and the plugin loader can both use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vst.core import Stylizer, VideoStylizer, VstError, read_config
from vst.core.checkpoint import CONFIG_FILE, MODEL_FILE

from . import hub
from .errors import ZooError

WEIGHTS_DIR = Path(__file__).parent / "weights"

# factory(weights_folder_or_None, device=..., precision=..., compile=...) -> VideoStylizer
Factory = Callable[..., VideoStylizer]


def adain_factory(folder: Path | None, **options: Any) -> VideoStylizer:
    """AdaIN decoders: every checkpoint folder in the vst.core layout."""
    if folder is None:
        raise ZooError("an AdaIN variant needs a weights folder")
    return Stylizer.from_pretrained(folder, **options)


@dataclass(frozen=True)
class Variant:
    """A stylization method and where its weights come from.

    `weights` is a local folder, `hf://ORG/NAME@REV`, or None for methods without
    weights; `provider` is the distribution of the plugin that registered it; `use_for`
    tells a user in one line when to pick it (the zoo tab, `vst zoo list` and the model card show it).
    """

    name: str
    description: str
    factory: Factory = adain_factory
    weights: str | None = None
    provider: str | None = None
    use_for: str = ""  # one line for users choosing a variant: what it is best at

    @property
    def hub_ref(self) -> hub.HubRef | None:
        return hub.HubRef.parse(self.weights) if self.weights and hub.is_hub_ref(self.weights) else None

    @property
    def source(self) -> str:
        """Where the variant comes from: embedded, hf://ORG/NAME@REV, local:/path, plugin:<dist> or built-in."""
        if self.provider:
            return f"plugin:{self.provider}"
        if self.weights is None:
            return "built-in"
        if self.hub_ref:
            return str(self.hub_ref)
        path = Path(self.weights).resolve()
        return "embedded" if path.is_relative_to(WEIGHTS_DIR.resolve()) else f"local:{path}"

    def local_folder(self) -> Path | None:
        """The weights folder as it is on this machine now (the HF cache for Hub weights), without any download."""
        if self.weights is None:
            return None
        if self.hub_ref:
            return hub.cached_folder(self.hub_ref)
        return Path(self.weights)

    def available_offline(self) -> bool:
        if self.weights is None:
            return True
        folder = self.local_folder()
        return folder is not None and (folder / MODEL_FILE).is_file()

    def config(self) -> dict[str, Any]:
        """The recipe, metrics and training record from config.json, where the weights are on disk; else {}."""
        if self.weights is None:
            return {}
        folder = hub.cached_folder(self.hub_ref, (CONFIG_FILE,)) if self.hub_ref else Path(self.weights)
        return read_config(folder) if folder and (folder / CONFIG_FILE).is_file() else {}

    def card(self) -> str | None:
        """The model card (README.md), fetching only the card and config from the Hub when not cached."""
        if self.weights is None:
            return None
        if self.hub_ref:
            card_files = (CONFIG_FILE, hub.CARD_FILE)
            folder = hub.cached_folder(self.hub_ref, card_files) or hub.download(self.hub_ref, card_files)
        else:
            folder = Path(self.weights)
        path = folder / hub.CARD_FILE
        return path.read_text() if path.is_file() else None

    def weights_folder(self) -> Path | None:
        """The weights folder, downloaded (Hub weights) and checked to exist, or None for weight-free methods."""
        if self.weights is None:
            return None
        if self.hub_ref:
            return hub.download(self.hub_ref)
        folder = Path(self.weights)
        if not folder.is_dir():
            raise ZooError(f"variant {self.name!r}: its weights folder {folder} does not exist")
        return folder

    def pull(self) -> Path | None:
        """Make the weights available offline and verify AdaIN checkpoints (other factories check their own)."""
        folder = self.weights_folder()
        if folder is not None and self.factory is adain_factory:
            hub.verify(folder, str(self.hub_ref) if self.hub_ref else None)
        return folder

    def create(self, **options: Any) -> VideoStylizer:
        """Build the stylizer; options go to the factory (device, precision, compile)."""
        try:
            return self.factory(self.weights_folder(), **options)
        except VstError as e:
            if self.hub_ref and not isinstance(e, ZooError):
                raise type(e)(f"{self.hub_ref}: {e}") from None
            raise
