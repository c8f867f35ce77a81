"""Training of AdaIN decoders: the `baseline` and `noise-resilient` recipes."""
