"""vst: real-time, temporally stable, arbitrary-style video style transfer.

One namespace for everything that gets installed; each part but the last lives in a top-level folder of the
repository:

- `vst.core` (vst_core/): the engine: encoder, AdaIN, decoders, the pipeline, video I/O, metrics;
- `vst.zoo` (zoo/): the registry of variants, their weights, plugins and the Hugging Face Hub;
- `vst.training` (training/): the training loops that make the zoo's checkpoints;
- `vst.cli` (vst_cli/): the `vst` command;
- `vst.app` (app.py) and `vst.live` (vst_live/): the Gradio demo and its WebRTC camera;
- `vst.examples` (vst/examples/, here): the example clips and paintings that all of them share.

Importing `vst` alone loads nothing heavy.
"""
