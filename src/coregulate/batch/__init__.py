"""Research-scale batches: pairs as Dask tasks (`dask_run`), resuming (`resume`), tables."""
