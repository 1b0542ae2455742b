"""`make bench`: the pipeline's throughput and round trips on the local stack, beside the raw I/O floor."""
