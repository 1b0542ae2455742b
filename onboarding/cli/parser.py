"""The `onboard` command line: its parser, and `main`, which turns every failure into one sentence and an exit code.

Commands plug in by adding a subparser in `build_parser` (with help, an example and `set_defaults(run=...)`)
and raising `CliError(sentence, exit_code)` for what they know can go wrong; anything else they let through
is explained by `errors.explain`. No traceback reaches a user unless `-v` is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from onboarding.cli.catalog_rules import NO_LIMIT, cmd_products_history, cmd_vendors_quota, cmd_vendors_rules
from onboarding.cli.errors import EXIT_CODES_HELP, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, explain
from onboarding.cli.keys import cmd_keys_create, cmd_keys_list, cmd_keys_revoke
from onboarding.cli.operations import cmd_dlq, cmd_metrics, cmd_migrate, cmd_provision
from onboarding.cli.running import cmd_demo, cmd_down, cmd_up, cmd_worker
from onboarding.cli.uploads import cmd_products, cmd_report, cmd_status, cmd_upload
from onboarding.cli.vendors import cmd_vendors_add, cmd_vendors_import, cmd_vendors_list
from onboarding.cli.wiring import configure_logging, keep_function_output_off_stdout
from onboarding.domain.changes import ImportMode
from onboarding.startup_gc import pause_during_startup, resume_after_startup

DESCRIPTION = "`onboard`: run the local stack, register vendors, upload files and see what became of them."
MAIN_EPILOG = f"""examples:
  onboard up                                   start the local stack (moto + PostgreSQL + worker)
  onboard vendors add VEND001 --name "TechTrend" --email catalog@techtrend.example
  onboard upload catalog.csv --vendor VEND001 --wait
  onboard status                               the recent uploads
  onboard down                                 stop the stack started by `onboard up`

The stack is found through $ONBOARD_HOME (default ./.onboard); environment variables you set win,
which is how the same commands reach LocalStack or AWS. `onboard COMMAND --help` for each command.

{EXIT_CODES_HELP}"""


class OnboardParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr that says what to do (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        sentence = message[:1].upper() + message[1:]
        self.exit(EXIT_USAGE, f"onboard: {sentence.rstrip('.')}; see `{self.prog} --help`.\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not '{text}'")
    return value


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not '{text}'")
    return value


def _command(commands: argparse._SubParsersAction[OnboardParser], name: str, summary: str, example: str
             ) -> OnboardParser:
    return commands.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".",
                               epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = OnboardParser(prog="onboard", description=DESCRIPTION, epilog=MAIN_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what the pipeline does to stderr, and show a traceback on an unexpected error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = _command(commands, "up", "start the local stack and its worker until Ctrl-C or `onboard down`",
                  "onboard up --no-worker")
    up.add_argument("--no-worker", action="store_true", help="start only the stack; run `onboard worker` apart")
    up.set_defaults(run=cmd_up)
    down = _command(commands, "down", "stop the stack that `onboard up` runs from $ONBOARD_HOME",
                    "ONBOARD_HOME=/tmp/shop onboard down")
    down.add_argument("--timeout", type=positive_seconds, default=90.0,
                      help="seconds to wait for it to stop (default 90)")
    down.set_defaults(run=cmd_down)
    _command(commands, "worker", "run the worker alone against the running stack (after `onboard up --no-worker`)",
             "onboard worker").set_defaults(run=cmd_worker)
    _command(commands, "demo", "start a stack, upload the sample files, print what happened, stop",
             "onboard demo").set_defaults(run=cmd_demo)

    vendors = _command(commands, "vendors", "register, import and list vendors", "onboard vendors list")
    vendor_commands = vendors.add_subparsers(dest="vendors_command", required=True, metavar="COMMAND")
    add = _command(vendor_commands, "add", "register a vendor (or update one) and subscribe its email",
                   'onboard vendors add VEND001 --name "TechTrend" --email catalog@techtrend.example')
    add.add_argument("vendor_id", metavar="VENDOR_ID", help="the vendor's id: letters, digits, '-' and '_'")
    add.add_argument("--name", required=True, help="the vendor's name, used in its emails")
    add.add_argument("--email", required=True, help="where the vendor's upload notifications go")
    add.add_argument("--status", default="active", choices=("active", "suspended", "inactive"),
                     help="only active vendors may upload (default active)")
    add.set_defaults(run=cmd_vendors_add)
    importing = _command(vendor_commands, "import", "register or update every vendor of a CSV file",
                         "onboard vendors import vendors.csv   # columns: vendor_id,vendor_name,email[,status]")
    importing.add_argument("file", metavar="FILE", help="a CSV file with columns vendor_id, vendor_name, email "
                           "and optionally status; nothing is imported if any line is wrong")
    importing.add_argument("--json", action="store_true", help="print one JSON list as the last line")
    importing.set_defaults(run=cmd_vendors_import)
    listing = _command(vendor_commands, "list", "list the registered vendors", "onboard vendors list --json")
    listing.add_argument("--json", action="store_true", help="print one JSON list as the last line")
    listing.set_defaults(run=cmd_vendors_list)
    rules = _command(vendor_commands, "rules", "show or set a vendor's own catalog rules (no flags: show)",
                     'onboard vendors rules VEND001 --allowed-brands "Acme, Lumen" --max-price 500')
    rules.add_argument("vendor_id", metavar="VENDOR_ID", help="the vendor whose rules to show or set")
    rules.add_argument("--extra-required", metavar="COLUMNS", help="more required columns, comma-separated")
    rules.add_argument("--allowed-categories", metavar="NAMES", help="only these categories, comma-separated")
    rules.add_argument("--allowed-brands", metavar="NAMES", help="only these brands, comma-separated")
    rules.add_argument("--min-price", metavar="PRICE", help=f"lowest allowed price (`{NO_LIMIT}` removes it)")
    rules.add_argument("--max-price", metavar="PRICE", help=f"highest allowed price (`{NO_LIMIT}` removes it)")
    rules.add_argument("--clear", action="store_true", help="remove every rule first")
    rules.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    rules.set_defaults(run=cmd_vendors_rules)
    quota = _command(vendor_commands, "quota", "show or set a vendor's quotas (no flags: show)",
                     "onboard vendors quota VEND001 --max-active-products 5000 --max-uploads-per-day 20")
    quota.add_argument("vendor_id", metavar="VENDOR_ID", help="the vendor whose quotas to show or set")
    quota.add_argument("--max-active-products", metavar="N",
                       help=f"at most N active products (`{NO_LIMIT}`: no limit)")
    quota.add_argument("--max-uploads-per-day", metavar="N",
                       help=f"at most N uploads a day, UTC (`{NO_LIMIT}`: no limit)")
    quota.add_argument("--clear", action="store_true", help="remove both quotas first")
    quota.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    quota.set_defaults(run=cmd_vendors_quota)

    upload = _command(commands, "upload", "upload a catalog file for a vendor",
                      "onboard upload catalog.csv --vendor VEND001 --wait --timeout 120")
    upload.add_argument("file", metavar="FILE", help="the catalog: .csv, .csv.gz or .xlsx")
    upload.add_argument("--vendor", required=True, metavar="VENDOR_ID", help="the vendor whose folder it goes to")
    upload.add_argument("--name", metavar="OBJECT_NAME", help="object name to upload as (default: the file's name)")
    upload.add_argument("--wait", action="store_true",
                        help="wait until the upload is final and its email sent; the exit status says how it ended")
    upload.add_argument("--timeout", type=positive_seconds, default=300.0,
                        help="seconds to wait with --wait (default 300; exit status 3 when exceeded)")
    upload.add_argument("--dry-run", action="store_true",
                        help="judge and report the file as a real upload would, write nothing to the catalog")
    upload.add_argument("--mode", choices=[m.value for m in ImportMode], default=None,
                        help="upsert (default): create or update; partial: only the file's columns, blank keeps; "
                        "update_only: never create; replace: also deactivate the products the file lacks")
    upload.add_argument("--confirm-replace", action="store_true",
                        help="let a replace deactivate more than the guard's share of the catalog")
    upload.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    upload.set_defaults(run=cmd_upload)

    status = _command(commands, "status", "show one upload, or a table of the recent ones",
                      "onboard status UPLOAD_VEND001_20261204051900_ABCDEF012345 --json")
    status.add_argument("upload_id", nargs="?", metavar="UPLOAD_ID", help="the upload to show (default: recent ones)")
    status.add_argument("--json", action="store_true", help="print one JSON object (or list) as the last line")
    status.add_argument("--limit", type=positive_int, default=20, help="how many recent uploads (default 20)")
    status.set_defaults(run=cmd_status)

    report = _command(commands, "report", "download an upload's error report (CSV)",
                      "onboard report UPLOAD_VEND001_20261204051900_ABCDEF012345 -o errors.csv")
    report.add_argument("upload_id", metavar="UPLOAD_ID", help="the upload whose report to download")
    report.add_argument("-o", "--output", metavar="FILE", help="write it to FILE (default: standard output)")
    report.set_defaults(run=cmd_report)

    products = _command(commands, "products", "list a vendor's products in the catalog, or one product's history",
                        "onboard products --vendor VEND001   |   onboard products history VEND001 P-1")
    products.add_argument("--vendor", metavar="VENDOR_ID", help="the vendor whose products to list")
    products.add_argument("--json", action="store_true", help="print one JSON list as the last line")
    products.set_defaults(run=cmd_products)
    product_commands = products.add_subparsers(dest="products_command", required=False)
    history = _command(product_commands, "history", "every change to one product, oldest first",
                       "onboard products history VEND001 P-1 --json")
    history.add_argument("vendor_id", metavar="VENDOR_ID", help="the vendor the product belongs to")
    history.add_argument("vendor_product_id", metavar="VENDOR_PRODUCT_ID", help="the vendor's id of the product")
    history.add_argument("--json", action="store_true", help="print one JSON list as the last line")
    history.set_defaults(run=cmd_products_history)

    keys = _command(commands, "keys", "create, list and revoke vendors' API keys", "onboard keys create VEND001")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    create = _command(key_commands, "create", "create an API key; it is shown once, only its hash is kept",
                      "onboard keys create VEND001 --json")
    create.add_argument("vendor_id", metavar="VENDOR_ID", nargs="?", help="the vendor the key acts for")
    create.add_argument("--operator", action="store_true", help="an operator key (the portal), not a vendor's")
    create.add_argument("--json", action="store_true",
                        help='print {"vendor_id", "key_id", "api_key"} as the last line')
    create.set_defaults(run=cmd_keys_create)
    key_list = _command(key_commands, "list", "list a vendor's keys (never the keys themselves)",
                        "onboard keys list VEND001 --json")
    key_list.add_argument("vendor_id", metavar="VENDOR_ID", help="the vendor whose keys to list")
    key_list.add_argument("--json", action="store_true",
                          help='print a list of {"key_id", "created_at", "revoked_at"} as the last line')
    key_list.set_defaults(run=cmd_keys_list)
    revoke = _command(key_commands, "revoke", "revoke a key: it fails at its next request",
                      "onboard keys revoke key_0123456789abcdef")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id, from `onboard keys list`")
    revoke.set_defaults(run=cmd_keys_revoke)


    dlq = _command(commands, "dlq", "inspect and replay the dead-letter queues", "onboard dlq list")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="COMMAND")
    for name, text in (("list", "list what is in the dead-letter queues"), ("redrive", "replay everything in them")):
        sub = _command(dlq_commands, name, text, f"onboard dlq {name} --json")
        sub.add_argument("--json", action="store_true", help="print one JSON value as the last line")
        sub.set_defaults(run=cmd_dlq)

    metrics = _command(commands, "metrics", "sum up the metrics the functions emitted (what CloudWatch would show)",
                       "onboard metrics --json")
    metrics.add_argument("--from", dest="source", metavar="FILE",
                         help="read EMF lines from FILE ('-': standard input, e.g. docker compose logs) instead of "
                              "what the worker collected in $ONBOARD_HOME/metrics.jsonl")
    metrics.add_argument("--json", action="store_true", help="print one JSON list as the last line")
    metrics.set_defaults(run=cmd_metrics)

    _command(commands, "provision", "create the AWS resources in the configured endpoint (docker compose setup)",
             "AWS_ENDPOINT_URL=http://localhost:4566 onboard provision").set_defaults(run=cmd_provision)
    migrate = _command(commands, "migrate", "run the database migrations against the running stack",
                       "onboard migrate --down --revision 0002")
    migrate.add_argument("--down", action="store_true", help="migrate down (default: up)")
    migrate.add_argument("--revision", help="the revision to migrate to (default: head, or base with --down)")
    migrate.set_defaults(run=cmd_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    pause_during_startup()  # `connect()` resumes it, with the stack's adapters built
    try:
        return _run(argv)
    finally:
        resume_after_startup()  # for a command that never connected: the interpreter's exit then walks nothing


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    keep_function_output_off_stdout(args.verbose)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `onboard report ID | head`: the reader had enough
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the interpreter flushes it at exit)
        return EXIT_OK
    except Exception as error:  # the one place every failure becomes a sentence
        if args.verbose:
            traceback.print_exc()
        failure = explain(error)
        sys.stderr.write(f"onboard: {' '.join(str(failure).split())}\n")
        return failure.exit_code
