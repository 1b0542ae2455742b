"""The `onboard` command line: its parser, and `main`, which turns failures into exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from onboarding.cli.errors import EXIT_NO_STACK, CliError, unreachable_reason
from onboarding.cli.operations import cmd_dlq, cmd_migrate, cmd_provision
from onboarding.cli.running import cmd_demo, cmd_up, cmd_worker
from onboarding.cli.uploads import cmd_products, cmd_report, cmd_status, cmd_upload
from onboarding.cli.vendors import cmd_vendors_add, cmd_vendors_list

DESCRIPTION = "`onboard`: run the local stack, register vendors, upload files and see what became of them."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onboard", description=DESCRIPTION)
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
    upload.add_argument("--dry-run", action="store_true",
                        help="judge and report the file as a real upload would, write nothing to the catalog")
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
        unreachable = unreachable_reason(error)
        if unreachable is None:
            raise
        print(f"onboard: {unreachable} Is the stack running (`onboard up`)?", file=sys.stderr)
        return EXIT_NO_STACK
    except KeyboardInterrupt:
        return 130
