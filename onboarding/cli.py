"""`onboard`: run the local stack, register vendors, upload files and see what became of them.

Human output goes to the terminal as tables and a progress bar; with `--json` the last line of
stdout is one JSON object (the contract tests and scripts rely on).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_NO_STACK = 4


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# -- wiring ------------------------------------------------------------------------------------


def _connect() -> Any:
    """Load the running stack's environment (set variables win) and return the bootstrap module."""
    from onboarding import bootstrap
    from onboarding.local.stack import load_stack_env, onboard_home

    found = load_stack_env(onboard_home())
    if not found and not os.environ.get("AWS_ENDPOINT_URL") and not os.environ.get("UPLOAD_BUCKET"):
        raise CliError(
            f"No running stack found in {onboard_home()}: start one with `onboard up` "
            "(or set AWS_ENDPOINT_URL and the other settings to reach one).",
            EXIT_NO_STACK,
        )
    bootstrap.reset()
    return bootstrap


def _mailboxes() -> Any:
    from onboarding.local.mailbox import Mailboxes
    from onboarding.local.stack import onboard_home

    directory = onboard_home() / "mailbox"
    return Mailboxes(directory) if (onboard_home() / "stack.env").is_file() else None


def _emit_json(value: Any) -> None:
    print(json.dumps(value, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [list(map(str, header))] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- up / worker / demo ----------------------------------------------------------------------


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The handlers' JSON logs are for operators; on a terminal only warnings show unless -v.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO" if verbose else "WARNING"


def _start_worker(bootstrap: Any, home: Path) -> Any:
    from onboarding.local.functions import functions_from_env
    from onboarding.local.worker import MappingSettings, Worker, topology_from_settings

    settings = bootstrap.settings()
    clients = bootstrap.aws()
    topology = topology_from_settings(
        clients, settings.upload_queue, settings.error_queue, settings.validator_dlq,
        settings.records_table, settings.aws_region, settings.aws_account_id,
    )
    sweep_every = float(os.environ.get("ONBOARD_SWEEP_EVERY_S", MappingSettings.sweep_every_s))
    # How long a received message stays hidden: after a worker dies, its in-flight messages return this late.
    visibility = int(os.environ.get("ONBOARD_VISIBILITY_TIMEOUT_S", MappingSettings.visibility_timeout_s))
    mappings = MappingSettings(sweep_every_s=sweep_every, visibility_timeout_s=visibility)
    worker = Worker(clients, topology, functions_from_env(), home, mappings, account_id=settings.aws_account_id)
    worker.start()
    return worker


def _wait_for_signal(stop: Callable[[], None]) -> None:
    stopping = {"now": False}

    def on_signal(signum: int, _frame: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stopping["now"]:
            time.sleep(0.2)
    finally:
        stop()


def cmd_up(args: argparse.Namespace) -> int:
    from onboarding.local.stack import onboard_home, start_stack

    _configure_logging(args.verbose)
    home = onboard_home()
    stack = start_stack(home)
    print(f"Stack up: AWS at {stack.settings.aws_endpoint_url}, PostgreSQL at {stack.database.host}")
    print(f"State in {home}. Other terminals: `onboard vendors add ...`, `onboard upload ...`.")
    bootstrap = _connect()
    worker = None if args.no_worker else _start_worker(bootstrap, home)
    print("Worker running." if worker else "No worker: run `onboard worker` in another terminal.")
    print("Ctrl-C to stop.", flush=True)

    def stop() -> None:
        if worker is not None:
            worker.stop()
        bootstrap.engine().dispose()
        stack.stop()

    _wait_for_signal(stop)
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    from onboarding.local.stack import onboard_home

    _configure_logging(args.verbose)
    bootstrap = _connect()
    worker = _start_worker(bootstrap, onboard_home())
    print("Worker running; Ctrl-C to stop.", flush=True)
    _wait_for_signal(worker.stop)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from onboarding.local.demo import run_demo

    _configure_logging(args.verbose)
    return run_demo()


# -- vendors ------------------------------------------------------------------------------------


def cmd_vendors_add(args: argparse.Namespace) -> int:
    from onboarding.domain.uploads import VENDOR_ID_PATTERN
    from onboarding.domain.vendors import Vendor, VendorStatus
    from onboarding.local.mailbox import ensure_vendor_mailbox
    from onboarding.pipeline.register_vendor import register_vendor

    if not VENDOR_ID_PATTERN.match(args.vendor_id):
        raise CliError(f"'{args.vendor_id}' is not a valid vendor id (letters, digits, '-' and '_').", EXIT_USAGE)
    bootstrap = _connect()
    vendor = Vendor(args.vendor_id, args.name, args.email, VendorStatus(args.status))
    capture = ensure_vendor_mailbox if _mailboxes() is not None else None
    register_vendor(bootstrap.catalog(), bootstrap.aws(), bootstrap.settings(), vendor, capture)
    print(f"Vendor {vendor.vendor_id} ({vendor.vendor_name}, {vendor.status}) registered; "
          f"notifications go to {vendor.email}.")
    return EXIT_OK


def cmd_vendors_list(args: argparse.Namespace) -> int:
    bootstrap = _connect()
    vendors = bootstrap.catalog().list_vendors()
    if args.json:
        _emit_json([{"vendor_id": v.vendor_id, "vendor_name": v.vendor_name, "email": v.email,
                     "status": str(v.status)} for v in vendors])
    else:
        print(_table([(v.vendor_id, v.vendor_name, v.email, v.status) for v in vendors],
                     ("VENDOR", "NAME", "EMAIL", "STATUS")))
    return EXIT_OK


# -- uploads ------------------------------------------------------------------------------------


def cmd_upload(args: argparse.Namespace) -> int:
    from onboarding.status import upload_file, wait_until_final

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"No such file: {path}", EXIT_USAGE)
    bootstrap = _connect()
    upload_id = upload_file(bootstrap.aws(), bootstrap.settings(), path, args.vendor, args.name)
    if not args.wait:
        if args.json:
            _emit_json({"upload_id": upload_id, "vendor_id": args.vendor, "file_name": args.name or path.name,
                        "status": "submitted"})
        else:
            print(upload_id)
        return EXIT_OK
    try:
        status = wait_until_final(bootstrap.catalog(), upload_id, args.timeout, _delivered_for(),
                                  None if args.json else _progress_bar)
    except TimeoutError as error:
        raise CliError(str(error), EXIT_TIMEOUT) from error
    finally:
        if not args.json:
            print(file=sys.stderr)
    _print_status(status, args.json)
    return EXIT_OK


def _delivered_for() -> Any:
    """The local mailbox's deliveries per upload, when this is the local stack."""
    from onboarding.status import Delivered

    mailboxes = _mailboxes()
    if mailboxes is None:
        return None
    return lambda upload_id: [Delivered(m.subject, m.message) for m in mailboxes.mail_for_upload(upload_id)]


def _current_status(bootstrap: Any, upload_id: str) -> dict[str, Any] | None:
    from onboarding.status import current_status

    return current_status(bootstrap.catalog(), upload_id, _delivered_for())


def _progress_bar(status: dict[str, Any], width: int = 30) -> None:
    total = status["total_records"] or 0
    done = status["valid_records"] + status["error_records"]
    fraction = done / total if total else (1.0 if status["status"] != "processing" else 0.0)
    bar = "#" * int(fraction * width)
    print(f"\r{status['upload_id']} [{bar:<{width}}] {done}/{total} rows, {status['status']}",
          end="", file=sys.stderr, flush=True)


def _print_status(status: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _emit_json(status)
        return
    print(f"Upload {status['upload_id']} ({status['vendor_id']}, {status['file_name']}): {status['status']}")
    print(f"  rows {status['total_records']}: {status['valid_records']} products, "
          f"{status['error_records']} with errors")
    if status["error_report"]:
        print(f"  error report: {status['error_report']}")
    errors = status["errors"]
    if errors:
        shown = errors[:15]
        print(_table([(e["row_number"], e["error_type"], e["field"], e["message"][:70]) for e in shown],
                     ("ROW", "ERROR", "FIELD", "MESSAGE")))
        if len(errors) > len(shown):
            print(f"  ... {len(errors) - len(shown)} more errors in the report")
    if status["notification"]:
        print(f"  email ({status['notification_count']}): {status['notification']['subject']}")


def cmd_status(args: argparse.Namespace) -> int:
    bootstrap = _connect()
    if args.upload_id:
        status = _current_status(bootstrap, args.upload_id)
        if status is None:
            raise CliError(f"No upload {args.upload_id}.")
        _print_status(status, args.json)
        return EXIT_OK
    uploads = bootstrap.catalog().recent_uploads(limit=args.limit)
    if args.json:
        _emit_json([_current_status(bootstrap, u.upload_id) for u in uploads])
    else:
        print(_table(
            [(u.upload_id, u.vendor_id, u.file_name, u.status, u.total_records, u.valid_records, u.error_records,
              f"{u.started_at:%Y-%m-%d %H:%M:%S}") for u in uploads],
            ("UPLOAD", "VENDOR", "FILE", "STATUS", "ROWS", "VALID", "ERRORS", "STARTED"),
        ) if uploads else "No uploads yet.")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    bootstrap = _connect()
    upload = bootstrap.catalog().get_upload(args.upload_id)
    if upload is None:
        raise CliError(f"No upload {args.upload_id}.")
    if not upload.error_report_key:
        raise CliError(f"Upload {args.upload_id} has no error report (status {upload.status}).")
    from onboarding.adapters.storage import ObjectStorage

    text = ObjectStorage(bootstrap.aws().s3).read_text(upload.s3_bucket, upload.error_report_key)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"Error report written to {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_products(args: argparse.Namespace) -> int:
    bootstrap = _connect()
    products = bootstrap.catalog().products_of(args.vendor)
    if args.json:
        _emit_json(products)
    else:
        print(_table([(p["vendor_product_id"], p["sku"], p["product_name"][:40], p["category"], p["price"],
                       p["stock_quantity"]) for p in products],
                     ("PRODUCT", "SKU", "NAME", "CATEGORY", "PRICE", "STOCK")) if products else "No products.")
    return EXIT_OK


# -- operations ---------------------------------------------------------------------------------


def cmd_dlq(args: argparse.Namespace) -> int:
    from onboarding.local.dead_letters import list_dead_letters, redrive_dead_letters

    bootstrap = _connect()
    if args.dlq_command == "list":
        letters = list_dead_letters(bootstrap.aws(), bootstrap.settings())
        if args.json:
            _emit_json(letters)
        else:
            print(_table([(d["queue"], d["message_id"], d["summary"][:80]) for d in letters],
                         ("QUEUE", "MESSAGE", "SUMMARY")) if letters else "All dead-letter queues are empty.")
        return EXIT_OK
    moved = redrive_dead_letters(bootstrap.aws(), bootstrap.settings(), _worker_functions_for_redrive())
    if args.json:
        _emit_json(moved)
    else:
        print(", ".join(f"{queue}: {count} replayed" for queue, count in moved.items()) or "Nothing to replay.")
    return EXIT_OK


def _worker_functions_for_redrive() -> Any:
    from onboarding.local.functions import functions_from_env

    return functions_from_env()["validator"]


def cmd_provision(args: argparse.Namespace) -> int:
    """Create the AWS resources and the database secret (docker compose's setup job)."""
    from onboarding import bootstrap
    from onboarding.local.postgres import credentials_from_url
    from onboarding.provision import provision

    settings = bootstrap.settings()
    db_url = os.environ.get("SECRET_DATABASE_URL")
    resources = provision(settings, bootstrap.aws(), credentials_from_url(db_url) if db_url else None)
    _emit_json(resources.__dict__)
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    from onboarding import bootstrap, migrations

    engine = bootstrap.engine()
    if args.down:
        migrations.downgrade(engine, args.revision or "base")
    else:
        migrations.upgrade(engine, args.revision or "head")
    print("Migrations applied.")
    return EXIT_OK


# -- parser -------------------------------------------------------------------------------------


def _unreachable(error: Exception) -> str | None:
    """A sentence for 'the stack is not there', or None for any other error."""
    from botocore.exceptions import EndpointConnectionError
    from sqlalchemy.exc import OperationalError

    if isinstance(error, EndpointConnectionError):
        return f"Cannot reach AWS at {error.kwargs.get('endpoint_url', 'its endpoint')}."
    if isinstance(error, OperationalError):
        return "Cannot reach the database."
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onboard", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the pipeline does")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the local stack (and the worker) until Ctrl-C")
    up.add_argument("--no-worker", action="store_true", help="start only the stack; run `onboard worker` apart")
    up.set_defaults(run=cmd_up)
    commands.add_parser("worker", help="run the worker against the running stack").set_defaults(run=cmd_worker)
    commands.add_parser("demo", help="start a stack, upload the sample files, print what happened, stop") \
        .set_defaults(run=cmd_demo)

    vendors = commands.add_parser("vendors", help="register and list vendors").add_subparsers(
        dest="vendors_command", required=True)
    add = vendors.add_parser("add", help="register a vendor and subscribe its email")
    add.add_argument("vendor_id")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--status", default="active", choices=("active", "suspended", "inactive"))
    add.set_defaults(run=cmd_vendors_add)
    listing = vendors.add_parser("list", help="list vendors")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_vendors_list)

    upload = commands.add_parser("upload", help="upload a catalog file for a vendor")
    upload.add_argument("file")
    upload.add_argument("--vendor", required=True)
    upload.add_argument("--name", help="object name to upload as (default: the file's name)")
    upload.add_argument("--wait", action="store_true", help="wait until the upload is final and its email sent")
    upload.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (default 300)")
    upload.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    upload.set_defaults(run=cmd_upload)

    status = commands.add_parser("status", help="one upload, or the recent ones")
    status.add_argument("upload_id", nargs="?")
    status.add_argument("--json", action="store_true")
    status.add_argument("--limit", type=int, default=20)
    status.set_defaults(run=cmd_status)

    report = commands.add_parser("report", help="download an upload's error report")
    report.add_argument("upload_id")
    report.add_argument("-o", "--output")
    report.set_defaults(run=cmd_report)

    products = commands.add_parser("products", help="a vendor's products in the catalog")
    products.add_argument("--vendor", required=True)
    products.add_argument("--json", action="store_true")
    products.set_defaults(run=cmd_products)

    dlq = commands.add_parser("dlq", help="dead-letter queues").add_subparsers(dest="dlq_command", required=True)
    for name, text in (("list", "what is in the dead-letter queues"), ("redrive", "replay everything in them")):
        sub = dlq.add_parser(name, help=text)
        sub.add_argument("--json", action="store_true")
        sub.set_defaults(run=cmd_dlq)

    commands.add_parser("provision", help="create the AWS resources (docker compose setup)") \
        .set_defaults(run=cmd_provision)
    migrate = commands.add_parser("migrate", help="run the database migrations")
    migrate.add_argument("--down", action="store_true")
    migrate.add_argument("--revision")
    migrate.set_defaults(run=cmd_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CliError as error:
        print(f"onboard: {error}", file=sys.stderr)
        return error.exit_code
    except Exception as error:
        unreachable = _unreachable(error)
        if unreachable is None:
            raise
        print(f"onboard: {unreachable} Is the stack running (`onboard up`)?", file=sys.stderr)
        return EXIT_NO_STACK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
