"""`onboard upload`, `status`, `report` and `products`: what became of a vendor's files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onboarding.cli.errors import EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE, CliError, exit_code_for_upload
from onboarding.cli.output import UploadProgress, emit_json, print_status, say, table
from onboarding.cli.wiring import connect, delivered_for
from onboarding.domain.changes import ImportMode

if TYPE_CHECKING:
    from onboarding.bootstrap import Container


def cmd_upload(args: argparse.Namespace) -> int:
    from onboarding.status import upload_file, wait_until_final

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"No such file: {path}; give the path of a .csv, .csv.gz or .xlsx catalog.", EXIT_USAGE)
    container = connect()
    mode = ImportMode(args.mode) if args.mode else None
    if args.confirm_replace and mode is not ImportMode.REPLACE:
        raise CliError("--confirm-replace only goes with --mode replace.", EXIT_USAGE)
    upload_id = upload_file(container, path, args.vendor, args.name, args.dry_run, mode, args.confirm_replace)
    if not args.wait:
        if args.json:
            emit_json({"upload_id": upload_id, "vendor_id": args.vendor, "file_name": args.name or path.name,
                        "status": "submitted"})
        else:
            print(upload_id)
        return EXIT_OK
    try:
        if args.json:
            status = wait_until_final(container.catalog, upload_id, args.timeout, delivered_for())
        else:
            with UploadProgress() as progress:
                status = wait_until_final(container.catalog, upload_id, args.timeout, delivered_for(),
                                          progress.update)
    except TimeoutError as error:
        raise CliError(f"{error} See where it is with `onboard status {upload_id}`.", EXIT_TIMEOUT) from error
    print_status(status, args.json)
    return exit_code_for_upload(status["status"], status["error_records"])


def _current_status(container: Container, upload_id: str) -> dict[str, Any] | None:
    from onboarding.status import current_status

    return current_status(container.catalog, upload_id, delivered_for())


def _no_upload(upload_id: str) -> CliError:
    return CliError(f"No upload {upload_id}: `onboard status` lists the recent uploads.", EXIT_USAGE)


def cmd_status(args: argparse.Namespace) -> int:
    container = connect()
    if args.upload_id:
        status = _current_status(container, args.upload_id)
        if status is None:
            raise _no_upload(args.upload_id)
        print_status(status, args.json)
        return EXIT_OK
    uploads = container.catalog.recent_uploads(limit=args.limit)
    if args.json:
        emit_json([_current_status(container, u.upload_id) for u in uploads])
    elif not uploads:
        say("No uploads yet: upload a catalog with `onboard upload FILE --vendor ID`.")
    else:
        print(table(
            [(u.upload_id, u.vendor_id, u.file_name, u.status, u.total_records, u.valid_records, u.error_records,
              f"{u.started_at:%Y-%m-%d %H:%M:%S}") for u in uploads],
            ("UPLOAD", "VENDOR", "FILE", "STATUS", "ROWS", "VALID", "ERRORS", "STARTED"),
        ))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from botocore.exceptions import ClientError

    from onboarding.domain.uploads import ObjectGone
    from onboarding.pipeline.process_errors import rebuild_report

    container = connect()
    upload = container.catalog.get_upload(args.upload_id)
    if upload is None:
        raise _no_upload(args.upload_id)
    if not upload.error_report_key:
        raise CliError(f"Upload {args.upload_id} has no error report: it is {upload.status}"
                       f"{' with no row errors' if upload.status.is_final else ''}.", EXIT_USAGE)
    rebuilt = False
    try:
        text = container.storage.read_text(upload.s3_bucket, upload.error_report_key)
    except (ObjectGone, ClientError) as error:
        if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
            raise
        # The storage lost it (moto starts empty after a restart); PostgreSQL has every error and failed row.
        text = rebuild_report(container.error_processor_dependencies, upload.upload_id) or ""
        rebuilt = True
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        say(f"Error report written to {args.output}"
            + (" (rebuilt from the database: the stack was restarted since)." if rebuilt else "."))
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_products(args: argparse.Namespace) -> int:
    if not args.vendor:
        raise CliError("Say whose products: `onboard products --vendor ID` (or `onboard products history ID PRODUCT`).",
                       EXIT_USAGE)
    container = connect()
    if container.catalog.get_vendor(args.vendor) is None:
        raise CliError(f"No vendor {args.vendor} is registered: `onboard vendors list` shows the vendors.",
                       EXIT_USAGE)
    products = container.catalog.products_of(args.vendor)
    if args.json:
        emit_json(products)
    elif not products:
        say(f"Vendor {args.vendor} has no products yet: upload a catalog with "
            f"`onboard upload FILE --vendor {args.vendor}`.")
    else:
        print(table([(p["vendor_product_id"], p["sku"], p["product_name"], p["category"], p["price"],
                      p["stock_quantity"], "active" if p["is_active"] else "inactive") for p in products],
                    ("PRODUCT", "SKU", "NAME", "CATEGORY", "PRICE", "STOCK", "STATUS")))
    return EXIT_OK
