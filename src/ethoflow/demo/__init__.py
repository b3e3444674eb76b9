"""The synthetic demo: a small lab with ground truth, and the checks of every stage against it."""
