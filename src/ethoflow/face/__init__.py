"""Face and body motion SVD, Facemap-equivalent: parameters and ROIs, the streamed SVD, the
result file and its figure. Nothing here needs PyTorch."""
