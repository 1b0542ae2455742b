"""How `onboard` fails: exit codes, and one sentence instead of a traceback.

Every command raises `CliError` (or lets an exception through); `explain` turns what it knows into one
sentence that says what to do, and `parser.main` prints it on one line of stderr with its exit code.
A traceback reaches the terminal only with `-v`.
"""

from __future__ import annotations

EXIT_OK = 0  # done; for `upload --wait`: the upload completed
EXIT_PARTIAL = 1  # `upload --wait`: some rows were rejected
EXIT_FAILED = 1  # any other command: it could not do what was asked (the message says why)
EXIT_USAGE = 2  # the command line is wrong: an unknown option, a bad value, something it names does not exist
EXIT_TIMEOUT = 3  # `upload --wait`: the upload was not final in time
EXIT_NO_STACK = 4  # no stack to talk to: not started, not reachable, or no credentials for it
EXIT_UPLOAD_FAILED = 5  # `upload --wait`: the file was rejected, or no row was accepted
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES_HELP = """exit status:
  0  done (for upload --wait: the upload completed, or a dry run found no problem)
  1  upload --wait: the upload is partial (some rows rejected); other commands: it could not be done
  2  usage: a wrong option or value, or a vendor or upload that does not exist
  3  upload --wait: timed out before the upload was final
  4  no stack: none running, unreachable, or no credentials for it
  5  upload --wait: the upload failed (file rejected, or no row accepted)"""

_EXIT_FOR_STATUS = {"completed": EXIT_OK, "partial": EXIT_PARTIAL, "failed": EXIT_UPLOAD_FAILED}


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def exit_code_for_upload(status: str, error_records: int = 0) -> int:
    """The exit status of `upload --wait` for the upload's final status (a dry run's `validated` counts as
    completed, or as partial when rows would be rejected)."""
    if status == "validated":
        return EXIT_PARTIAL if error_records else EXIT_OK
    return _EXIT_FOR_STATUS.get(status, EXIT_FAILED)


NOT_RUNNING_HINT = "Is the stack running? Start it with `onboard up`."


def explain(error: BaseException) -> CliError:
    """One sentence, and an exit code, for an exception a command let through."""
    if isinstance(error, CliError):
        return error
    known = _explain_known(error)
    if known is not None:
        return known
    return CliError(
        f"Unexpected error ({type(error).__name__}: {_one_line(str(error)) or 'no detail'}); "
        "run the command again with -v for the details, and report it if it persists.",
        EXIT_FAILED,
    )


def _explain_known(error: BaseException) -> CliError | None:
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )
    from sqlalchemy.exc import OperationalError

    from onboarding.config import SettingsError
    from onboarding.local.home import StackAlreadyRunning

    if isinstance(error, StackAlreadyRunning):
        return CliError(str(error), EXIT_FAILED)
    if isinstance(error, SettingsError):  # names the variable and its value
        return CliError(f"{_one_line(str(error))}: fix it in the environment (or in $ONBOARD_HOME/stack.env).",
                        EXIT_USAGE)
    if isinstance(error, EndpointConnectionError):
        return CliError(f"Cannot reach AWS at {error.kwargs.get('endpoint_url', 'its endpoint')}. {NOT_RUNNING_HINT}",
                        EXIT_NO_STACK)
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return CliError("No AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for a local "
                        "emulator) or AWS_PROFILE, or start a local stack with `onboard up`.", EXIT_NO_STACK)
    if isinstance(error, NoRegionError):
        return CliError("No AWS region: set AWS_REGION (for example us-east-1).", EXIT_NO_STACK)
    if isinstance(error, OperationalError):
        return CliError(f"Cannot reach the database. {NOT_RUNNING_HINT}", EXIT_NO_STACK)
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return CliError(
            f"AWS refused {error.operation_name} ({details.get('Code', 'error')}: "
            f"{_one_line(str(details.get('Message', '')))}); check that the stack's settings name resources that "
            "exist (`onboard up` provisions them).",
            EXIT_FAILED,
        )
    if isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError):
        return CliError(f"{error.strerror}: {error.filename}.", EXIT_USAGE)
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split()).rstrip(".")
