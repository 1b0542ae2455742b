"""The local runtime: the embedded stack (moto's server + PostgreSQL) and the worker that plays Lambda.

Only the CLI and the tests import this package; the handlers and the pipeline never do.
"""
