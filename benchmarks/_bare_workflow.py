"""A bare Snakemake workflow with the DAG of ethoflow's, for the planning benchmark.

Same rules, same file patterns, same dependencies (a per-session discovery, its checkpoint,
the labels -> dataset -> training -> evaluation chain, per session face, inference,
filtering, plots, labelled video, embedding and motifs, the aggregate VAE and motif model,
usage and summary), the same groups and local rules; but every job is ``touch {output}``,
there is no config schema, no plan and no Python input function beyond reading the
checkpoint's table. What ethoflow's planning costs above this is its own overhead.
"""

SNAKEFILE = r'''
import csv

SHEET = {row["session"]: row["video"] for row in csv.DictReader(open("sessions.tsv"), delimiter="\t")}
FOLDERS = ["s00000"]
SHUFFLE = "results/pose/iteration-0/shuffle1"
SEG = "results/segment/kmeans-15"

localrules: all, discover_sessions, summary, segment_usage


def included(wildcards):
    table = checkpoints.discover_sessions.get().output[0]
    lines = [line for line in open(table) if not line.startswith("#")]
    return [row["session"] for row in csv.DictReader(lines, delimiter="\t") if row.get("status", "ok") == "ok"]


def final(wildcards):
    s = included(wildcards)
    return (expand("results/face/{session}.h5", session=s)
            + expand("results/pose/{session}_filtered.h5", session=s)
            + expand("results/pose/plots/{session}.png", session=s)
            + expand("results/pose/videos/{session}_labeled.mp4", session=s)
            + expand(SEG + "/{session}.h5", session=s)
            + [SEG + "/usage.png", "results/summary.tsv"])


rule all:
    input:
        expand("results/pose/labels/{folder}.png", folder=FOLDERS),
        SHUFFLE + "/evaluation.csv",
        final,


rule discover_video:
    input: lambda w: SHEET[w.session]
    output: "results/discover/{session}.json"
    group: "discover"
    shell: "touch {output}"


checkpoint discover_sessions:
    input: expand("results/discover/{session}.json", session=sorted(SHEET))
    output: "results/discover/sessions.tsv"
    run:
        with open(output[0], "w") as fh:
            fh.write("session\n" + "\n".join(sorted(SHEET)) + "\n")


rule check_labels:
    input: "pose-project/labeled-data/{folder}/CollectedData_bench.csv"
    output: "results/pose/labels/{folder}.png"
    group: "labels"
    shell: "touch {output}"


rule pose_dataset:
    input: expand("pose-project/labeled-data/{folder}/CollectedData_bench.csv", folder=FOLDERS)
    output: SHUFFLE + "/dataset.json"
    shell: "touch {output}"


rule pose_train:
    input: SHUFFLE + "/dataset.json"
    output: SHUFFLE + "/model.pt"
    shell: "touch {output}"


rule pose_evaluate:
    input: SHUFFLE + "/model.pt", SHUFFLE + "/dataset.json"
    output: SHUFFLE + "/evaluation.csv"
    shell: "touch {output}"


rule face_svd:
    input: lambda w: SHEET[w.session], "results/discover/{session}.json"
    output: "results/face/{session}.h5"
    shell: "touch {output}"


rule pose_infer:
    input: SHUFFLE + "/model.pt", lambda w: SHEET[w.session], "results/discover/{session}.json"
    output: "results/pose/{session}.h5"
    wildcard_constraints: session=r"(?![^/]*_filtered\.h5$)[A-Za-z0-9][A-Za-z0-9_.-]*"
    shell: "touch {output}"


rule pose_filter:
    input: "results/pose/{session}.h5"
    output: "results/pose/{session}_filtered.h5"
    group: "pose_post"
    shell: "touch {output}"


rule pose_plot:
    input: "results/pose/{session}.h5", "results/pose/{session}_filtered.h5", "results/discover/{session}.json"
    output: "results/pose/plots/{session}.png"
    group: "pose_post"
    shell: "touch {output}"


rule pose_video:
    input: lambda w: SHEET[w.session], "results/pose/{session}.h5"
    output: "results/pose/videos/{session}_labeled.mp4"
    shell: "touch {output}"


rule embed_train:
    input: lambda w: expand("results/pose/{session}_filtered.h5", session=included(w))
    output: "results/embed/model.pt"
    shell: "touch {output}"


rule embed_session:
    input: "results/embed/model.pt", "results/pose/{session}_filtered.h5"
    output: "results/embed/{session}.h5"
    shell: "touch {output}"


rule segment_fit:
    input: lambda w: expand("results/embed/{session}.h5", session=included(w))
    output: SEG + "_model.h5"
    shell: "touch {output}"


rule segment_session:
    input: "results/embed/{session}.h5", SEG + "_model.h5", "results/discover/{session}.json"
    output: SEG + "/{session}.h5"
    shell: "touch {output}"


rule segment_usage:
    input: lambda w: expand(SEG + "/{session}.h5", session=included(w))
    output: SEG + "/usage.png"
    shell: "touch {output}"


rule summary:
    input:
        "results/discover/sessions.tsv",
        lambda w: expand("results/face/{session}.h5", session=included(w)),
        lambda w: expand("results/pose/{session}.h5", session=included(w)),
        lambda w: expand(SEG + "/{session}.h5", session=included(w)),
        SHUFFLE + "/evaluation.csv",
    output: "results/summary.tsv"
    shell: "touch {output}"
'''
