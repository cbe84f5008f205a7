"""Bus stages: pure `signal/` kernels wrapped to consume and publish bus messages."""
