"""Data generators for tests and benchmarks (synthetic results directories); not part of
the analysis a campaign runs."""
