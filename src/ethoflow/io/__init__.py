"""Files in and out: atomic writes with provenance, video decoding, DeepLabCut tables,
figures and the scripts' log set-up. Nothing here needs PyTorch."""
