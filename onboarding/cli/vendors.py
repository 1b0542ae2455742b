"""`onboard vendors add|list`."""

from __future__ import annotations

import argparse

from onboarding.cli.errors import EXIT_OK, EXIT_USAGE, CliError
from onboarding.cli.output import emit_json, table
from onboarding.cli.wiring import connect, local_mailboxes


def cmd_vendors_add(args: argparse.Namespace) -> int:
    from onboarding.domain.uploads import VENDOR_ID_PATTERN
    from onboarding.domain.vendors import Vendor, VendorStatus
    from onboarding.local.mailbox import vendor_mailbox
    from onboarding.pipeline.register_vendor import register_vendor

    if not VENDOR_ID_PATTERN.match(args.vendor_id):
        raise CliError(f"'{args.vendor_id}' is not a valid vendor id (letters, digits, '-' and '_').", EXIT_USAGE)
    container = connect()
    vendor = Vendor(args.vendor_id, args.name, args.email, VendorStatus(args.status))
    capture = vendor_mailbox(container) if local_mailboxes() is not None else None
    register_vendor(container.catalog, container.notifier, container.settings.vendor_topic_arn, vendor, capture)
    print(f"Vendor {vendor.vendor_id} ({vendor.vendor_name}, {vendor.status}) registered; "
          f"notifications go to {vendor.email}.")
    return EXIT_OK


def cmd_vendors_list(args: argparse.Namespace) -> int:
    vendors = connect().catalog.list_vendors()
    if args.json:
        emit_json([{"vendor_id": v.vendor_id, "vendor_name": v.vendor_name, "email": v.email,
                     "status": str(v.status)} for v in vendors])
    else:
        print(table([(v.vendor_id, v.vendor_name, v.email, v.status) for v in vendors],
                     ("VENDOR", "NAME", "EMAIL", "STATUS")))
    return EXIT_OK
