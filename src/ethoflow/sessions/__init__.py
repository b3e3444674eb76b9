"""Which sessions a run covers (demo, glob patterns, sample sheet) and what their videos
are (discovery, by decoding)."""
