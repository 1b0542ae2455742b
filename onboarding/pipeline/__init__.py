"""One use case per Lambda: parse an upload, validate a batch of rows, process errors."""
