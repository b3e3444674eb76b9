"""ethoflow's tests (a regular package: sleap-io's wheel installs a top-level ``tests`` package that would shadow a namespace one)."""
