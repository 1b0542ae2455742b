"""`onboard vendors add|list|import`."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import TYPE_CHECKING

from onboarding.cli.errors import EXIT_OK, EXIT_USAGE, CliError
from onboarding.cli.output import emit_json, say, table
from onboarding.cli.wiring import connect, local_mailboxes
from onboarding.domain.vendors import Vendor, VendorStatus, vendor_problem

if TYPE_CHECKING:
    from onboarding.bootstrap import Container

IMPORT_COLUMNS = ("vendor_id", "vendor_name", "email", "status")  # status is optional (default active)
_IMPORT_ALIASES = {"id": "vendor_id", "name": "vendor_name", "e_mail": "email"}
_STATUSES = tuple(str(s) for s in VendorStatus)


def _register(container: Container, vendor: Vendor) -> bool:
    from onboarding.local.mailbox import vendor_mailbox
    from onboarding.pipeline.register_vendor import register_vendor

    capture = vendor_mailbox(container) if local_mailboxes() is not None else None
    return register_vendor(container.catalog, container.notifier, container.settings.vendor_topic_arn, vendor,
                           capture)


def cmd_vendors_add(args: argparse.Namespace) -> int:
    problem = vendor_problem(args.vendor_id, args.name, args.email)
    if problem is not None:
        raise CliError(problem, EXIT_USAGE)
    container = connect()
    vendor = Vendor(args.vendor_id, args.name.strip(), args.email.strip(), VendorStatus(args.status))
    created = _register(container, vendor)
    say(f"Vendor {vendor.vendor_id} ({vendor.vendor_name}, {vendor.status}) {'registered' if created else 'updated'}; "
        f"notifications go to {vendor.email}.")
    return EXIT_OK


def cmd_vendors_list(args: argparse.Namespace) -> int:
    vendors = connect().catalog.list_vendors()
    if args.json:
        emit_json([{"vendor_id": v.vendor_id, "vendor_name": v.vendor_name, "email": v.email,
                    "status": str(v.status)} for v in vendors])
    elif not vendors:
        say("No vendors yet: register one with `onboard vendors add ID --name NAME --email EMAIL`.")
    else:
        print(table([(v.vendor_id, v.vendor_name, v.email, v.status) for v in vendors],
                    ("VENDOR", "NAME", "EMAIL", "STATUS")))
    return EXIT_OK


def read_vendor_file(path: Path) -> list[Vendor]:
    """The vendors of a CSV file (vendor_id, vendor_name, email[, status]); every problem, by line, at once."""
    if not path.is_file():
        raise CliError(f"No such file: {path}; give a CSV file with columns {', '.join(IMPORT_COLUMNS)}.", EXIT_USAGE)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise CliError(f"{path} is empty; give a CSV file with columns {', '.join(IMPORT_COLUMNS)}.", EXIT_USAGE)
    header = [_IMPORT_ALIASES.get(h.strip().lower().replace(" ", "_"), h.strip().lower().replace(" ", "_"))
              for h in rows[0]]
    missing = [c for c in IMPORT_COLUMNS[:3] if c not in header]
    if missing:
        raise CliError(f"{path} has no column {', '.join(missing)}; its header must name "
                       f"{', '.join(IMPORT_COLUMNS)} (status is optional).", EXIT_USAGE)
    vendors, problems, seen = [], [], set()
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        record = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        status = record.get("status") or str(VendorStatus.ACTIVE)
        problem = vendor_problem(record["vendor_id"], record["vendor_name"], record["email"])
        if problem is None and status not in _STATUSES:
            problem = f"status '{status}' must be one of {', '.join(_STATUSES)}."
        if problem is None and record["vendor_id"] in seen:
            problem = f"vendor {record['vendor_id']} appears on an earlier line."
        if problem is not None:
            problems.append(f"line {line}: {problem}")
            continue
        seen.add(record["vendor_id"])
        vendors.append(Vendor(record["vendor_id"], record["vendor_name"], record["email"], VendorStatus(status)))
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise CliError(f"Nothing imported: fix {path} and run the import again ({shown}).", EXIT_USAGE)
    if not vendors:
        raise CliError(f"{path} lists no vendors under its header.", EXIT_USAGE)
    return vendors


def cmd_vendors_import(args: argparse.Namespace) -> int:
    vendors = read_vendor_file(Path(args.file))
    container = connect()
    outcomes = [(v, _register(container, v)) for v in vendors]
    if args.json:
        emit_json([{"vendor_id": v.vendor_id, "action": "registered" if created else "updated"}
                   for v, created in outcomes])
        return EXIT_OK
    print(table([(v.vendor_id, v.vendor_name, v.email, v.status, "registered" if created else "updated")
                 for v, created in outcomes], ("VENDOR", "NAME", "EMAIL", "STATUS", "DONE")))
    created = sum(1 for _, new in outcomes if new)
    say(f"{created} registered, {len(outcomes) - created} updated.")
    return EXIT_OK
