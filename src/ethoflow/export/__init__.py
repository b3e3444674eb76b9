"""Results where labs keep them: NWB files per session (:mod:`ethoflow.export.nwb`)."""
