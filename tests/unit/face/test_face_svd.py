import h5py
import numpy as np
import pytest
from scipy.linalg import subspace_angles

from ethoflow.exceptions import VideoError
from ethoflow.face.io import read_face
from ethoflow.face.params import ROI, FaceParams, params_from_config
from ethoflow.face.svd import bin_frames, process_video
from ethoflow.io.video import iter_frame_chunks
from tests.conftest import moving_scene, write_video

FACEMAP_KEYS = ["motion", "motSVD", "movSVD", "motMask", "movMask", "motSv", "movSv",
                "avgframe", "avgmotion", "rois", "sbin"]


def reference(video, sbin, ys=slice(None), xs=slice(None)):
    """Exact SVDs of the full motion and movie matrices, computed the slow obvious way."""
    # the grey levels Facemap sees (face.grey: facemap, the default)
    frames = np.concatenate(list(iter_frame_chunks(video, gray_levels="bgr"))).astype(np.float64)
    n, h, w = frames.shape
    hb, wb = h // sbin, w // sbin
    binned = frames[:, : hb * sbin, : wb * sbin].reshape(n, hb, sbin, wb, sbin).mean(axis=(2, 4))
    binned = binned[:, ys, xs].reshape(n, -1)
    motion = np.abs(np.diff(binned, axis=0))
    out = {}
    for kind, x in (("mot", motion), ("mov", binned)):
        xc = x - x.mean(axis=0)
        # as Facemap: the SVD also removes each frame's mean over pixels
        u, s, vt = np.linalg.svd(xc - xc.mean(axis=1, keepdims=True), full_matrices=False)
        out[kind] = (xc, vt.T, s)
    out["energy"] = motion.sum(axis=1)
    return out


@pytest.mark.parametrize("sbin", [1, 2, 3], ids=["sbin1", "sbin2", "sbin3"])
def test_matches_exact_svd_of_full_motion_matrix(tiny_video, tmp_path, sbin):
    k = 5
    out = process_video(tiny_video, tmp_path / "f.h5", FaceParams(sbin=sbin, ncomps=k),
                        nframes_expected=60)
    res = read_face(out)
    ref = reference(tiny_video, sbin)
    for kind in ("mot", "mov"):
        xc, v, s = ref[kind]
        masks = res[f"{kind}Mask"]["full"].reshape(-1, k)
        # same subspace: principal angles near zero
        assert np.rad2deg(subspace_angles(masks, v[:, :k])).max() < 0.5
        np.testing.assert_allclose(res[f"{kind}Sv"]["full"], s[:k], rtol=1e-3)
        np.testing.assert_allclose(masks.T @ masks, np.eye(k), atol=1e-4)
        np.testing.assert_allclose(masks.sum(axis=0), 0, atol=1e-4)
        # projections are the centred data on the masks, for every frame
        proj = res[f"{kind}SVD"]["full"]
        assert proj.shape == (60, k)
        expect = xc @ masks
        if kind == "mot":
            expect = np.concatenate([expect[:1], expect])  # frame 0 copies frame 1
        np.testing.assert_allclose(proj, expect, atol=1e-2 * np.abs(expect).max())
    np.testing.assert_allclose(res["motion"]["full"][1:], ref["energy"], rtol=1e-4)
    assert res["motion"]["full"][0] == res["motion"]["full"][1]


def test_sampled_svd_projects_every_frame(tmp_path):
    video = write_video(tmp_path / "long.mp4", moving_scene(n=150))
    k = 4
    full = read_face(process_video(video, tmp_path / "a.h5", FaceParams(sbin=2, ncomps=k),
                                   nframes_expected=150))
    part = read_face(process_video(video, tmp_path / "b.h5",
                                   FaceParams(sbin=2, ncomps=k, svd_frames=50, chunk_size=32),
                                   nframes_expected=150))
    assert not list(tmp_path.glob(".*binned"))  # the spill file is gone
    ref = reference(video, 2)
    for kind in ("mot", "mov"):
        xc = ref[kind][0]
        masks = part[f"{kind}Mask"]["full"].reshape(-1, k)
        # a periodic scene: 50 of 150 frames span nearly the same leading subspace
        assert np.rad2deg(subspace_angles(masks, ref[kind][1][:, :2])).max() < 15
        expect = xc @ masks
        if kind == "mot":
            expect = np.concatenate([expect[:1], expect])
        got = part[f"{kind}SVD"]["full"]
        assert got.shape == (150, k)
        np.testing.assert_allclose(got, expect, atol=2e-3 * np.abs(expect).max())
        # leading trace agrees with the all-frames run
        a, b = full[f"{kind}SVD"]["full"][:, 0], got[:, 0]
        assert abs(np.corrcoef(a, b)[0, 1]) > 0.99
    np.testing.assert_allclose(part["avgframe"], full["avgframe"])


def test_small_chunks_and_bands_give_the_same_results(tiny_video, tmp_path, monkeypatch):
    """One frame a chunk, and pixels converted a few rows at a time (as on a large frame):
    the same masks, projections and energy as whole chunks; Facemap's sampling too (its
    motion rows made from the stored frames)."""
    import ethoflow.face.svd as svd

    for sampling in ("spread", "facemap"):
        whole = read_face(process_video(tiny_video, tmp_path / f"w{sampling}.h5",
                                        FaceParams(sbin=2, ncomps=3, svd_sampling=sampling),
                                        nframes_expected=60))
        with monkeypatch.context() as m:
            m.setattr(svd, "CONVERT_BYTES", 4 * 60 * 32 * 3)  # bands of 3 binned rows
            m.setattr(svd, "GRAM_BATCH", 7)
            small = read_face(process_video(
                tiny_video, tmp_path / f"s{sampling}.h5",
                FaceParams(sbin=2, ncomps=3, chunk_size=1, svd_sampling=sampling),
                nframes_expected=60))
        np.testing.assert_array_equal(small["motion"]["full"], whole["motion"]["full"])
        for key in ("motMask", "movMask", "motSVD", "movSVD"):
            np.testing.assert_allclose(small[key]["full"], whole[key]["full"], atol=1e-3)


def test_rois_are_processed_separately(tiny_video, tmp_path):
    rois = (ROI("square", (0, 64), (0, 24)), ROI("blob", (36, 64), (24, 48)))
    res = read_face(process_video(tiny_video, tmp_path / "r.h5",
                                  FaceParams(sbin=2, ncomps=3, rois=rois), nframes_expected=60))
    assert [r["name"] for r in res["rois"]] == ["full", "square", "blob"]
    assert res["motMask"]["square"].shape == (12, 32, 3)
    assert res["motMask"]["blob"].shape == (12, 14, 3)
    ref = reference(tiny_video, 2, slice(12, 24), slice(18, 32))
    masks = res["motMask"]["blob"].reshape(-1, 3)
    assert np.rad2deg(subspace_angles(masks, ref["mot"][1][:, :3])).max() < 0.5
    # motion energy follows |velocity|: the square (period 15 frames) peaks at 2/15 cycles per
    # frame, the pulsing blob (period 9) at 2/9
    freqs = np.fft.rfftfreq(60)
    for name, peak in (("square", 2 / 15), ("blob", 2 / 9)):
        e = res["motion"][name]
        spectrum = np.abs(np.fft.rfft(e - e.mean()))
        assert freqs[spectrum.argmax()] == pytest.approx(peak, abs=0.02), name


def test_output_has_facemap_names_and_provenance(tiny_video, tmp_path):
    out = process_video(tiny_video, tmp_path / "f.h5", FaceParams(sbin=2, ncomps=3),
                        nframes_expected=60, attrs={"session": "s1"})
    with h5py.File(out) as h5:
        assert set(FACEMAP_KEYS) <= set(h5.keys())
        assert h5.attrs["session"] == "s1"
        assert "ethoflow_version" in h5.attrs
        assert '"ncomps": 3' in h5.attrs["params"]
    again = process_video(tiny_video, tmp_path / "g.h5", FaceParams(sbin=2, ncomps=3),
                          nframes_expected=60, attrs={"session": "s1"})
    a, b = read_face(out), read_face(again)
    for key in ("motSVD", "motMask", "movSVD"):
        np.testing.assert_array_equal(a[key]["full"], b[key]["full"])  # deterministic


def test_frame_count_mismatch_is_an_error(tiny_video, tmp_path):
    with pytest.raises(VideoError, match="decoded 60 frames but discovery counted 61"):
        process_video(tiny_video, tmp_path / "f.h5", FaceParams(sbin=2, ncomps=2),
                      nframes_expected=61)
    with pytest.raises(VideoError, match="more than the 50 frames"):
        process_video(tiny_video, tmp_path / "f.h5", FaceParams(sbin=2, ncomps=2),
                      nframes_expected=50)
    assert not list(tmp_path.glob("*.h5")) and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(
    "face, match",
    [
        ({"rois": [{"name": "eye", "x": [10, 5], "y": [0, 4]}]}, "empty ranges"),
        ({"sbin": 0}, "sbin"),
        ({"rois": [{"name": "a", "x": [0, 4], "y": [0, 4]}] * 2}, "unique"),
        ({"motion_svd": False, "movie_svd": False}, "at least one"),
    ],
    ids=["empty-roi", "sbin0", "dupe-roi", "nothing"],
)
def test_bad_parameters(face, match):
    with pytest.raises(ValueError, match=match):
        params_from_config(face)


def test_roi_outside_frame_names_video(tiny_video, tmp_path):
    params = FaceParams(sbin=2, rois=(ROI("off", (100, 120), (0, 10)),))
    with pytest.raises(ValueError, match="tiny.mp4: ROI 'off'"):
        process_video(tiny_video, tmp_path / "f.h5", params, nframes_expected=60)


def test_roi_past_the_last_whole_bin_is_clipped_with_a_warning(tiny_video, tmp_path, caplog):
    """64x48 at sbin 5 bins 60x45 pixels: an ROI to x=64 loses its last 4 columns, and says so."""
    params = FaceParams(sbin=5, ncomps=3, full_frame=False, rois=(ROI("edge", (40, 64), (0, 20)),))
    with caplog.at_level("WARNING"):
        out = read_face(process_video(tiny_video, tmp_path / "f.h5", params, nframes_expected=60))
    assert out["motMask"]["edge"].shape[:2] == (4, 4)
    assert "ROI 'edge' (x=[40, 64], y=[0, 20]) reaches past the last whole 5x5 bin" in caplog.text
    assert "60x45 pixels" in caplog.text


def test_bin_frames_is_exact_block_sum(rng):
    frames = rng.integers(0, 256, (3, 31, 45), dtype=np.uint8)
    for s in (1, 2, 3, 4, 7, 16):
        hb, wb = 31 // s, 45 // s
        ref = frames[:, : hb * s, : wb * s].reshape(3, hb, s, wb, s).astype(np.int64).sum(axis=(2, 4))
        np.testing.assert_array_equal(bin_frames(frames, s), ref)


def test_small_roi_uses_pixel_side_and_matches_exact(tmp_path):
    """More frames than ROI pixels: the pixel-by-pixel Gram path."""
    video = write_video(tmp_path / "v.mp4", moving_scene(n=120))
    roi = ROI("blob", (40, 56), (28, 44))  # 8 x 8 binned pixels at sbin 2, fewer than frames
    res = read_face(process_video(video, tmp_path / "f.h5",
                                  FaceParams(sbin=2, ncomps=4, rois=(roi,), full_frame=False),
                                  nframes_expected=120))
    assert [r["name"] for r in res["rois"]] == ["blob"]
    ref = reference(video, 2, slice(14, 22), slice(20, 28))
    for kind in ("mot", "mov"):
        xc, v, s = ref[kind]
        masks = res[f"{kind}Mask"]["blob"].reshape(-1, 4)
        assert np.rad2deg(subspace_angles(masks, v[:, :4])).max() < 0.5
        np.testing.assert_allclose(res[f"{kind}Sv"]["blob"], s[:4], rtol=1e-3)
        expect = xc @ masks
        if kind == "mot":
            expect = np.concatenate([expect[:1], expect])
        np.testing.assert_allclose(res[f"{kind}SVD"]["blob"], expect, atol=1e-3 * np.abs(expect).max())


def test_leading_components_track_the_demo_oscillations(tmp_path):
    """On the synthetic face video, each ROI's leading motion component follows the
    whisking / jaw / pupil movement the generator put there."""
    from ethoflow.demo.checks import compare_face
    from ethoflow.demo.simulate import DemoSpec, face_rois, write_session

    spec = DemoSpec(n_frames=300, width=96, height=96, n_labeled=2)
    paths = {k: tmp_path / f"{k}.{ext}" for k, ext in
             (("video", "mp4"), ("face_video", "mp4"), ("pose", "h5"), ("states", "csv"),
              ("face_truth", "csv"))}
    paths["labels_dir"] = tmp_path / "labels"
    write_session(spec, 0, "s0", paths)
    rois = tuple(ROI(name, (x0, x1), (y0, y1))
                 for name, (x0, x1, y0, y1) in face_rois(spec.face_width, spec.face_height).items())
    out = process_video(paths["face_video"], tmp_path / "face.h5",
                        FaceParams(sbin=4, ncomps=10, rois=rois), nframes_expected=300,
                        attrs={"fps": spec.fps})
    table = compare_face(out, paths["face_truth"]).set_index("roi")
    assert set(table.index) == {"whiskers", "mouth", "eye"}
    assert (table["component_r"] > 0.8).all(), table
    assert (table["best_component"] <= 2).all(), table
    assert (table["energy_r"] > 0.8).all(), table
