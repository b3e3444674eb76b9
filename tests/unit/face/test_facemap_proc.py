"""Facemap's _proc.npy from the face stage's file: Facemap's keys and layout (the whole frame
first, then the ROIs), values equal to the HDF5 file's."""

from __future__ import annotations

import numpy as np
import pytest

from ethoflow.exceptions import FileFormatError
from ethoflow.face.facemap_proc import write_facemap_proc
from ethoflow.face.io import read_face
from ethoflow.face.params import ROI, FaceParams
from ethoflow.face.svd import process_video

# what facemap.process.run (1.0.8) writes for one video, pupil/blink/running included
FACEMAP_KEYS = {
    "filenames", "save_path", "Ly", "Lx", "sbin", "fullSVD", "save_mat", "Lybin", "Lxbin",
    "sybin", "sxbin", "LYbin", "LXbin", "avgframe", "avgmotion", "avgframe_reshape",
    "avgmotion_reshape", "motion", "motSv", "movSv", "motMask", "movMask", "motMask_reshape",
    "movMask_reshape", "motSVD", "movSVD", "pupil", "running", "blink", "rois", "sy", "sx",
}


def test_facemaps_keys_and_layout(tiny_video, tmp_path):
    h5 = process_video(tiny_video, tmp_path / "f.h5",
                       FaceParams(sbin=2, ncomps=5, rois=(ROI("eye", (8, 40), (4, 28)),)),
                       nframes_expected=60)
    out = write_facemap_proc(h5, tiny_video, 48, 64, tmp_path / "tiny_proc.npy")
    proc = np.load(out, allow_pickle=True).item()
    face = read_face(h5)
    assert set(proc) == FACEMAP_KEYS
    assert proc["filenames"] == [[str(tiny_video.resolve())]] and proc["Ly"] == [48] and proc["Lx"] == [64]
    assert proc["sbin"] == 2 and proc["fullSVD"] and proc["LYbin"] == 24 and proc["LXbin"] == 32
    np.testing.assert_array_equal(proc["avgframe"][0], face["avgframe"])
    for i, region in enumerate(("full", "eye")):  # the whole frame at index 0
        np.testing.assert_array_equal(proc["motion"][i], face["motion"][region])
        for kind in ("mot", "mov"):
            np.testing.assert_array_equal(proc[f"{kind}SVD"][i], face[f"{kind}SVD"][region])
            np.testing.assert_array_equal(proc[f"{kind}Mask_reshape"][i], face[f"{kind}Mask"][region])
            ly, lx, k = face[f"{kind}Mask"][region].shape
            np.testing.assert_array_equal(proc[f"{kind}Mask"][i].reshape(ly, lx, k),
                                          face[f"{kind}Mask"][region])
            np.testing.assert_array_equal(proc[f"{kind}Sv"][i], face[f"{kind}Sv"][region])
    (roi,) = proc["rois"]
    assert roi["rind"] == 1 and roi["rtype"] == "motion SVD" and roi["ivid"] == 0
    np.testing.assert_array_equal(roi["xrange"], np.arange(8, 40))
    np.testing.assert_array_equal(roi["yrange"], np.arange(4, 28))
    assert (roi["yrange_bin"].size, roi["xrange_bin"].size) == face["motMask"]["eye"].shape[:2]
    assert roi["ellipse"].shape == (24, 32) and roi["ellipse"].all()
    assert proc["pupil"] == [] and proc["blink"] == [] and proc["running"] == []


def test_without_the_whole_frame_it_says_what_to_set(tiny_video, tmp_path):
    h5 = process_video(tiny_video, tmp_path / "f.h5",
                       FaceParams(sbin=2, ncomps=3, full_frame=False,
                                  rois=(ROI("eye", (8, 40), (4, 28)),)), nframes_expected=60)
    with pytest.raises(FileFormatError, match=r"f.h5: no whole-frame .* face.full_frame: true"):
        write_facemap_proc(h5, tiny_video, 48, 64, tmp_path / "x_proc.npy")
    assert not (tmp_path / "x_proc.npy").exists()
