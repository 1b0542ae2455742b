"""How `onboard` fails: exit codes, and one sentence instead of a traceback."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_NO_STACK = 4


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def unreachable_reason(error: Exception) -> str | None:
    """A sentence for 'the stack is not there', or None for any other error."""
    from botocore.exceptions import EndpointConnectionError
    from sqlalchemy.exc import OperationalError

    if isinstance(error, EndpointConnectionError):
        return f"Cannot reach AWS at {error.kwargs.get('endpoint_url', 'its endpoint')}."
    if isinstance(error, OperationalError):
        return "Cannot reach the database."
    return None
