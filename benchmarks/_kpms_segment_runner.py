"""keypoint-MoSeq 0.8.1's own model on ethoflow's tracks; run by ``benchmarks/segmentation.py
--kpms-python``, inside keypoint-MoSeq's virtual environment (it imports only keypoint-MoSeq,
JAX, NumPy and the standard library).

    _kpms_segment_runner.py IN.npz OUT.npz WORKDIR

IN.npz holds ``coords_<session>`` (n_frames, n_bodyparts, 2) and ``conf_<session>``
(n_frames, n_bodyparts) arrays, ``bodyparts``, ``skeleton`` (pairs), ``anterior``,
``posterior``, ``num_states``, ``kappa_ar``, ``kappa_full``, ``ar_iters``, ``full_iters``,
``latent_var`` and ``seed``. The fit is keypoint-MoSeq's tutorial, step by step:
``setup_project`` → ``format_data`` → ``fit_pca`` (latent dimension: the fewest components
explaining ``latent_var``) → ``init_model`` (seeded) → AR-HMM only (``kappa_ar``,
``ar_iters`` sweeps) → the full keypoint-SLDS (``kappa_full``, ``full_iters`` more) →
``extract_results``. OUT.npz gets ``syllable_<session>`` per frame, ``latent_dim`` and the
seconds each part took.

Venv (once, PyPI only): python3.11 -m venv /opt/kpms-venv &&
/opt/kpms-venv/bin/pip install keypoint-moseq==0.8.1
"""

import sys
import time

import numpy as np


def main() -> None:
    import jax.random as jr
    import keypoint_moseq as kpms

    data_in = np.load(sys.argv[1])
    out_path, project = sys.argv[2], sys.argv[3]
    sessions = [k.removeprefix("coords_") for k in data_in.files if k.startswith("coords_")]
    coordinates = {s: data_in[f"coords_{s}"] for s in sessions}
    confidences = {s: data_in[f"conf_{s}"] for s in sessions}
    bodyparts = [str(b) for b in data_in["bodyparts"]]
    kpms.setup_project(
        project, overwrite=True, bodyparts=bodyparts, use_bodyparts=bodyparts,
        skeleton=[[str(a), str(b)] for a, b in data_in["skeleton"]],
        anterior_bodyparts=[str(b) for b in data_in["anterior"]],
        posterior_bodyparts=[str(b) for b in data_in["posterior"]], video_dir=project)
    kpms.update_config(project, num_states=int(data_in["num_states"]))
    config = lambda: kpms.load_config(project)
    times = {}
    tic = time.perf_counter()
    data, metadata = kpms.format_data(coordinates, confidences, **config())
    pca = kpms.fit_pca(**data, **config())
    latent_dim = int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), float(data_in["latent_var"])) + 1)
    kpms.update_config(project, latent_dim=latent_dim)
    times["pca_s"] = time.perf_counter() - tic
    tic = time.perf_counter()
    model = kpms.init_model(data, pca=pca, seed=jr.PRNGKey(int(data_in["seed"])), **config())
    model = kpms.update_hypparams(model, kappa=float(data_in["kappa_ar"]))
    ar_iters = int(data_in["ar_iters"])
    model, name = kpms.fit_model(model, data, metadata, project, ar_only=True, num_iters=ar_iters,
                                 generate_progress_plots=False)
    times["ar_s"] = time.perf_counter() - tic
    tic = time.perf_counter()
    model, data, metadata, it = kpms.load_checkpoint(project, name, iteration=ar_iters)
    model = kpms.update_hypparams(model, kappa=float(data_in["kappa_full"]))
    model = kpms.fit_model(model, data, metadata, project, name, ar_only=False, start_iter=it,
                           num_iters=it + int(data_in["full_iters"]), generate_progress_plots=False)[0]
    times["full_s"] = time.perf_counter() - tic
    results = kpms.extract_results(model, metadata, project, name)
    np.savez(out_path, latent_dim=latent_dim, **{k: np.asarray(v) for k, v in times.items()},
             **{f"syllable_{s}": np.asarray(results[s]["syllable"]) for s in sessions})


if __name__ == "__main__":
    main()
