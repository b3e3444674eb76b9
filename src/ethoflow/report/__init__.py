"""The cross-session summary table of the report."""
