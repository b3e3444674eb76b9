# Results where labs keep them: an NWB file per session, and a DataJoint database.


rule export_nwb:
    input:
        unpack(get_nwb_inputs),
    output:
        "results/nwb/{session}.nwb",
    log:
        logfile("export", "{session}_nwb"),
    benchmark:
        benchfile("export", "{session}_nwb")
    conda:
        "../envs/interop.yaml"
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(30),
    params:
        config=settings("export.nwb", "pose.bodyparts", "pose.skeleton"),
        metadata=lambda wildcards: SESSIONS[wildcards.session].meta,
    script:
        "../scripts/export_nwb.py"


rule export_datajoint:
    input:
        unpack(get_datajoint_inputs),
    output:
        "results/datajoint/{session}.json",
    log:
        logfile("export", "{session}_datajoint"),
    benchmark:
        benchfile("export", "{session}_datajoint")
    conda:
        "../envs/interop.yaml"
    resources:
        mem_mb=scaled(2000),
        runtime=scaled(30),
    params:
        config=settings("export.datajoint", "export.nwb.metadata", "pose.bodyparts"),
        metadata=lambda wildcards: SESSIONS[wildcards.session].meta,
    script:
        "../scripts/export_datajoint.py"
