"""vst.core: the engine of vst — encoder, AdaIN, decoder, losses, metrics and video I/O.

It knows nothing of the web app or of the Hugging Face Hub: those live in `app.py` and `zoo/`.
"""

from .adain import StyleStats, adain, blend, mean_std, preserve_color
from .checkpoint import CheckpointError, load_checkpoint, read_config, save_checkpoint
from .decoder import Decoder
from .encoder import TAPS, EncoderError, EncoderIdentity, VGGEncoder, load_encoder
from .errors import VstError
from .stylizer import Stylizer, VideoStylizer

__all__ = [
    "TAPS",
    "CheckpointError",
    "Decoder",
    "EncoderError",
    "EncoderIdentity",
    "StyleStats",
    "Stylizer",
    "VGGEncoder",
    "VideoStylizer",
    "VstError",
    "adain",
    "blend",
    "load_checkpoint",
    "load_encoder",
    "mean_std",
    "preserve_color",
    "read_config",
    "save_checkpoint",
]
