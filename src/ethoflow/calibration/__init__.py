"""Keypoint-error calibration, keypoint-MoSeq-equivalent: how wrong a detection is likely to
be, from its confidence.

- :mod:`~ethoflow.calibration.sampling`: (session, frame, bodypart) triples to annotate,
  enriched for low confidence, the frames cut out for annotation, and the annotation page
  (:mod:`~ethoflow.calibration.page`);
- :mod:`~ethoflow.calibration.annotations`: keypoint-MoSeq's ``error_annotations.csv``, read,
  checked and written; and annotations built with no human at all, from held-out labels,
  refined outlier frames and (on the demo) the true keypoints;
- :mod:`~ethoflow.calibration.fit`: the line ``log10(error + 1) = intercept + slope *
  log10(conf + pseudocount)``, project-wide and per bodypart, and the confidence threshold;
- :mod:`~ethoflow.calibration.smoother`: a state-space smoother whose observation noise on
  each frame is the error the calibration predicts from that frame's confidence.

None of these modules imports PyTorch but :mod:`~ethoflow.calibration.annotations`' held-out
source (which runs the networks).
"""
