"""The annotation page: one self-contained HTML file (no server, no internet, plain
JavaScript, the sampled images inside it) on which a person marks where each sampled
bodypart really is, and downloads ``error_annotations.csv`` in keypoint-MoSeq's layout.

Each sample shows the whole frame (scaled) with the predicted point and the crop's outline,
and the crop around the predicted point at full resolution, which zooms (buttons, mouse
wheel or +/-). A click on either picture marks the true location, in video pixels; "not
visible" marks a bodypart that cannot be seen (written with empty x and y, and left out of
the fit). Back and forward (buttons or arrow keys), a counter, and the download button.
Marks are kept in the browser's local storage, so closing the page loses nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ethoflow.io.files import atomic_path

__all__ = ["CSV_HEADER", "annotation_page", "write_page"]

# keypoint-MoSeq 0.8.1's save_annotations header, line for line
CSV_HEADER = [
    "# key: recording name",
    "# coordinate_index: index of the keypoint data in coordinates (same as video_frame_index if every frame was used)",
    "# video_frame_index: frame number in the video",
    "# bodypart: name of the bodypart that was annotated",
    "# x: x-coordinate of the annotated keypoint",
    "# y: y-coordinate of the annotated keypoint",
    "key,coordinate_index,video_frame_index,bodypart,x,y",
]

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ethoflow: keypoint error annotation</title>
<style>
body { font-family: sans-serif; font-size: 14px; margin: 12px; background: #fafafa; }
#bar button { font-size: 14px; margin-right: 4px; }
#views { display: flex; gap: 12px; align-items: flex-start; margin-top: 8px; }
canvas { border: 1px solid #888; cursor: crosshair; background: #222; }
#status { margin: 6px 0; }
.done { color: #070; } .todo { color: #a00; }
</style></head><body>
<h3>Keypoint error annotation</h3>
<p>Click where the <b id="bp"></b> really is (on either picture), or press "not visible".
The red cross is the network's prediction; your mark is green.
Keys: &larr;/&rarr; back/next, +/&minus; zoom, v not visible, c clear.</p>
<div id="bar">
<button id="prev">&larr; back</button><button id="next">next &rarr;</button>
<button id="zin">zoom +</button><button id="zout">zoom &minus;</button>
<button id="invisible">not visible</button><button id="clear">clear</button>
<button id="download">download error_annotations.csv</button>
</div>
<div id="status"><span id="counter"></span> &middot; <span id="where"></span> &middot; <span id="mark"></span></div>
<div id="views"><canvas id="frame"></canvas><canvas id="crop" width="480" height="480"></canvas></div>
<script>
const SAMPLES = __SAMPLES__;
const HEADER = __HEADER__;
const STORE = "ethoflow-annotations-" + __KEY__;
let marks = {};
try { marks = JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { marks = {}; }
let i = 0, zoom = 3;
const images = {};
function img(src) {
  if (!images[src]) { const im = new Image(); im.src = src; images[src] = im; }
  return images[src];
}
function id(s) { return s.key + "/" + s.coordinate_index + "/" + s.bodypart; }
function save() { try { localStorage.setItem(STORE, JSON.stringify(marks)); } catch (e) {} }
function cross(ctx, x, y, colour, r) {
  ctx.strokeStyle = colour; ctx.lineWidth = 2; ctx.beginPath();
  ctx.moveTo(x - r, y); ctx.lineTo(x + r, y); ctx.moveTo(x, y - r); ctx.lineTo(x, y + r); ctx.stroke();
}
function ring(ctx, x, y, colour, r) {
  ctx.strokeStyle = colour; ctx.lineWidth = 2; ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.stroke();
}
function cropView(s, im) {
  // the crop is drawn magnified by `zoom`, centred on the predicted point where it can be
  const c = document.getElementById("crop");
  const size = c.width / zoom;
  let cx = s.x - s.crop_x0, cy = s.y - s.crop_y0;
  if (!Number.isFinite(s.x)) { cx = im.width / 2; cy = im.height / 2; }
  const sx = Math.min(Math.max(cx - size / 2, 0), Math.max(im.width - size, 0));
  const sy = Math.min(Math.max(cy - size / 2, 0), Math.max(im.height - size, 0));
  return {sx: sx, sy: sy, size: size};
}
function draw() {
  const s = SAMPLES[i], m = marks[id(s)];
  document.getElementById("bp").textContent = s.bodypart;
  const n = Object.keys(marks).length;
  document.getElementById("counter").innerHTML =
    "sample " + (i + 1) + " of " + SAMPLES.length + " &middot; <span class='" +
    (n >= SAMPLES.length ? "done" : "todo") + "'>annotated " + n + " of " + SAMPLES.length + "</span>";
  document.getElementById("where").textContent = s.key + ", frame " + s.video_frame_index + ", " +
    s.bodypart + " (confidence " + s.confidence.toFixed(3) + ")";
  document.getElementById("mark").textContent = m === undefined ? "not annotated" :
    (m === null ? "marked not visible" : "marked at (" + m[0].toFixed(1) + ", " + m[1].toFixed(1) + ")");
  const f = document.getElementById("frame"), fi = img(s.frame_src);
  const ci = img(s.crop_src);
  if (!fi.complete || !ci.complete) { fi.onload = ci.onload = draw; return; }
  f.width = fi.width; f.height = fi.height;
  const fc = f.getContext("2d");
  fc.drawImage(fi, 0, 0);
  const k = s.frame_scale;
  fc.strokeStyle = "#ff0"; fc.lineWidth = 1;
  fc.strokeRect(s.crop_x0 * k, s.crop_y0 * k, ci.width * k, ci.height * k);
  if (Number.isFinite(s.x)) cross(fc, (s.x + 0.5) * k, (s.y + 0.5) * k, "#f33", 6);
  if (m) ring(fc, (m[0] + 0.5) * k, (m[1] + 0.5) * k, "#3f3", 5);
  const c = document.getElementById("crop"), cc = c.getContext("2d");
  const v = cropView(s, ci);
  cc.imageSmoothingEnabled = false;
  cc.fillStyle = "#222"; cc.fillRect(0, 0, c.width, c.height);
  cc.drawImage(ci, v.sx, v.sy, v.size, v.size, 0, 0, c.width, c.height);
  const z = c.width / v.size;
  if (Number.isFinite(s.x)) cross(cc, (s.x - s.crop_x0 - v.sx + 0.5) * z, (s.y - s.crop_y0 - v.sy + 0.5) * z, "#f33", 10);
  if (m) ring(cc, (m[0] - s.crop_x0 - v.sx + 0.5) * z, (m[1] - s.crop_y0 - v.sy + 0.5) * z, "#3f3", 8);
}
function go(d) { i = Math.min(Math.max(i + d, 0), SAMPLES.length - 1); draw(); }
function setMark(m) { marks[id(SAMPLES[i])] = m; save(); draw(); }
function position(ev, canvas) {
  // offsetX/Y: from the canvas's content edge (its border left out), in CSS pixels
  return [ev.offsetX * canvas.width / canvas.clientWidth, ev.offsetY * canvas.height / canvas.clientHeight];
}
document.getElementById("frame").addEventListener("click", function (ev) {
  const s = SAMPLES[i], p = position(ev, this);
  setMark([p[0] / s.frame_scale - 0.5, p[1] / s.frame_scale - 0.5]);
});
document.getElementById("crop").addEventListener("click", function (ev) {
  const s = SAMPLES[i], p = position(ev, this), v = cropView(s, img(s.crop_src)), z = this.width / v.size;
  setMark([s.crop_x0 + v.sx + p[0] / z - 0.5, s.crop_y0 + v.sy + p[1] / z - 0.5]);
});
document.getElementById("crop").addEventListener("wheel", function (ev) {
  ev.preventDefault(); zoom = Math.min(Math.max(zoom * (ev.deltaY < 0 ? 1.25 : 0.8), 1), 16); draw();
});
function csv() {
  const lines = HEADER.slice();
  for (const s of SAMPLES) {
    const m = marks[id(s)];
    if (m === undefined) continue;
    const xy = m === null ? ["", ""] : [m[0].toFixed(2), m[1].toFixed(2)];
    lines.push([s.key, s.coordinate_index, s.video_frame_index, s.bodypart].concat(xy).join(","));
  }
  return lines.join("\\n") + "\\n";
}
function download() {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([csv()], {type: "text/csv"}));
  a.download = "error_annotations.csv";
  document.body.appendChild(a); a.click(); a.remove();
}
document.getElementById("prev").onclick = function () { go(-1); };
document.getElementById("next").onclick = function () { go(1); };
document.getElementById("zin").onclick = function () { zoom = Math.min(zoom * 1.5, 16); draw(); };
document.getElementById("zout").onclick = function () { zoom = Math.max(zoom / 1.5, 1); draw(); };
document.getElementById("invisible").onclick = function () { setMark(null); };
document.getElementById("clear").onclick = function () { delete marks[id(SAMPLES[i])]; save(); draw(); };
document.getElementById("download").onclick = download;
document.addEventListener("keydown", function (ev) {
  const k = ev.key;
  if (k === "ArrowLeft") go(-1); else if (k === "ArrowRight") go(1);
  else if (k === "+" || k === "=") { zoom = Math.min(zoom * 1.5, 16); draw(); }
  else if (k === "-") { zoom = Math.max(zoom / 1.5, 1); draw(); }
  else if (k === "v") setMark(null);
  else if (k === "c") { delete marks[id(SAMPLES[i])]; save(); draw(); }
});
draw();
</script></body></html>
"""


def _data_uri(path: Path) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_page(samples: pd.DataFrame, folder: str | os.PathLike, html: str | os.PathLike) -> None:
    """Write the annotation page for ``samples`` (:func:`ethoflow.calibration.sampling.cut_samples`'
    table; the images in ``folder`` are put inside the page)."""
    folder = Path(folder)
    records = []
    for r in samples.itertuples(index=False):
        records.append({
            "key": r.key, "coordinate_index": int(r.coordinate_index), "video_frame_index": int(r.video_frame_index),
            "bodypart": r.bodypart, "x": float(r.x), "y": float(r.y), "confidence": float(r.confidence),
            "crop_x0": int(r.crop_x0), "crop_y0": int(r.crop_y0), "frame_scale": float(r.frame_scale),
            "crop_src": _data_uri(folder / r.crop), "frame_src": _data_uri(folder / r.frame),
        })
    # NaN is not JSON: a bodypart with no prediction has no cross
    text = json.dumps(records).replace("NaN", "null")
    ids = "\n".join(f"{s['key']}/{s['coordinate_index']}/{s['bodypart']}" for s in records)
    key = json.dumps(hashlib.sha1(ids.encode()).hexdigest()[:12])
    page = (_PAGE.replace("__SAMPLES__", text).replace("__HEADER__", json.dumps(CSV_HEADER))
            .replace("__KEY__", key))
    with atomic_path(html) as tmp:
        tmp.write_text(page)


def annotation_page(samples_tsv: str, sessions: Sequence[str], videos: Sequence[str], folder: str, html: str,
                    config: Mapping) -> pd.DataFrame:
    """The ``calibration_page`` stage: cut the sampled frames out of the videos (into
    ``folder``, with ``index.tsv`` listing them) and write the annotation page.

    Parameters
    ----------
    sessions, videos
        Each session's video.
    config
        The keys this stage reads: ``calibration.crop_size``.
    """
    from ethoflow.calibration.sampling import cut_samples
    from ethoflow.io.files import write_table

    samples = pd.read_csv(samples_tsv, sep="\t", comment="#", dtype={"key": str, "bodypart": str})
    cut = cut_samples(samples, dict(zip(sessions, videos)), folder, config["calibration"]["crop_size"])
    write_page(cut, folder, html)
    write_table(cut, Path(folder) / "index.tsv")
    return cut
