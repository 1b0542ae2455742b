"""`onboard upload`, `status`, `report` and `products`: what became of a vendor's files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onboarding.cli.errors import EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE, CliError
from onboarding.cli.output import emit_json, print_status, progress_bar, table
from onboarding.cli.wiring import connect, delivered_for

if TYPE_CHECKING:
    from onboarding.bootstrap import Container


def cmd_upload(args: argparse.Namespace) -> int:
    from onboarding.status import upload_file, wait_until_final

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"No such file: {path}", EXIT_USAGE)
    container = connect()
    upload_id = upload_file(container, path, args.vendor, args.name, args.dry_run)
    if not args.wait:
        if args.json:
            emit_json({"upload_id": upload_id, "vendor_id": args.vendor, "file_name": args.name or path.name,
                        "status": "submitted"})
        else:
            print(upload_id)
        return EXIT_OK
    try:
        status = wait_until_final(container.catalog, upload_id, args.timeout, delivered_for(),
                                  None if args.json else progress_bar)
    except TimeoutError as error:
        raise CliError(str(error), EXIT_TIMEOUT) from error
    finally:
        if not args.json:
            print(file=sys.stderr)
    print_status(status, args.json)
    return EXIT_OK


def _current_status(container: Container, upload_id: str) -> dict[str, Any] | None:
    from onboarding.status import current_status

    return current_status(container.catalog, upload_id, delivered_for())


def cmd_status(args: argparse.Namespace) -> int:
    container = connect()
    if args.upload_id:
        status = _current_status(container, args.upload_id)
        if status is None:
            raise CliError(f"No upload {args.upload_id}.")
        print_status(status, args.json)
        return EXIT_OK
    uploads = container.catalog.recent_uploads(limit=args.limit)
    if args.json:
        emit_json([_current_status(container, u.upload_id) for u in uploads])
    else:
        print(table(
            [(u.upload_id, u.vendor_id, u.file_name, u.status, u.total_records, u.valid_records, u.error_records,
              f"{u.started_at:%Y-%m-%d %H:%M:%S}") for u in uploads],
            ("UPLOAD", "VENDOR", "FILE", "STATUS", "ROWS", "VALID", "ERRORS", "STARTED"),
        ) if uploads else "No uploads yet.")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    container = connect()
    upload = container.catalog.get_upload(args.upload_id)
    if upload is None:
        raise CliError(f"No upload {args.upload_id}.")
    if not upload.error_report_key:
        raise CliError(f"Upload {args.upload_id} has no error report (status {upload.status}).")
    text = container.storage.read_text(upload.s3_bucket, upload.error_report_key)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"Error report written to {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_products(args: argparse.Namespace) -> int:
    container = connect()
    products = container.catalog.products_of(args.vendor)
    if args.json:
        emit_json(products)
    else:
        print(table([(p["vendor_product_id"], p["sku"], p["product_name"][:40], p["category"], p["price"],
                       p["stock_quantity"]) for p in products],
                     ("PRODUCT", "SKU", "NAME", "CATEGORY", "PRICE", "STOCK")) if products else "No products.")
    return EXIT_OK
