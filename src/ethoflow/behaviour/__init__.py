"""Behaviour embedding and motifs, VAME-equivalent: egocentric features, the RNN-VAE, motif
models, their files and figures. Only ``vae`` imports PyTorch."""
