"""Pose estimation, DeepLabCut-equivalent: frames to label, labels and datasets, the network
and its training, evaluation, video analysis, filtering, outliers, plots and labelled videos.

Only ``network``, ``training``, ``inference`` and ``evaluation`` import PyTorch; the other
modules run in an env without it.
"""
