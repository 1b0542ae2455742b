"""`onboard demo`: a whole run of the pipeline on the embedded stack, with sample vendors and files."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from onboarding import bootstrap
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.local.api_demo import api_walkthrough
from onboarding.local.functions import functions_from_env
from onboarding.local.home import load_stack_env, onboard_home
from onboarding.local.mailbox import Mailboxes, vendor_mailbox
from onboarding.local.stack import start_stack
from onboarding.local.worker import build_worker
from onboarding.pipeline.register_vendor import register_vendor
from onboarding.startup_gc import resume_after_startup
from onboarding.status import Delivered, upload_file, wait_until_final

SAMPLES = Path(__file__).parent / "samples"
DEMO_VENDORS = (
    Vendor("VEND001", "TechTrend Electronics", "catalog@techtrend.example", VendorStatus.ACTIVE),
    Vendor("VEND002", "HomeLiving Goods", "imports@homeliving.example", VendorStatus.ACTIVE),
)
REPORT_LINES_SHOWN = 6
REPORT_LINE_CHARS = 150


def _demo_uploads(scratch: Path) -> list[tuple[str, Path, str, str]]:
    """(vendor, file, name to upload as, what it shows)."""
    missing_column = scratch / "VEND002_missing_price_column.csv"
    missing_column.write_text(
        "vendor_product_id,product_name,category,sku,stock_quantity\nH-3001,Doormat,Home & Garden,HL-MAT-01,5\n"
    )
    return [
        ("VEND001", SAMPLES / "VEND001_catalog_clean.csv", "VEND001_catalog_clean.csv", "a clean catalog"),
        ("VEND002", SAMPLES / "VEND002_catalog_with_errors.csv", "VEND002_catalog_with_errors.csv",
         "a catalog with a mistake of every kind"),
        ("VEND001", SAMPLES / "VEND001_catalog_clean.csv", "VEND001_catalog_reupload.csv",
         "the same catalog again: updates, no duplicates"),
        ("VEND002", missing_column, missing_column.name, "a file without a required column"),
    ]


def run_demo() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="onboard-demo-"))
    home = onboard_home() / "demo"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["ONBOARD_HOME"] = str(home)
    print("Starting the embedded stack (moto's server + PostgreSQL) ...", flush=True)
    stack = start_stack(home)
    load_stack_env(home)
    bootstrap.reset()
    container = bootstrap.container()
    worker = build_worker(container, home, functions_from_env())
    worker.start()
    resume_after_startup()  # `onboard demo` does not `connect()`: its start-up ends here
    mailboxes = Mailboxes(home / "mailbox")
    try:
        for vendor in DEMO_VENDORS:
            register_vendor(container.catalog, container.notifier, container.settings.vendor_topic_arn, vendor,
                            vendor_mailbox(container))
            print(f"Registered {vendor.vendor_id} ({vendor.vendor_name})")
        for vendor_id, path, name, what in _demo_uploads(scratch):
            upload_id = upload_file(container, path, vendor_id, name)
            status = wait_until_final(
                container.catalog, upload_id, 120,
                lambda u: [Delivered(m.subject, m.message) for m in mailboxes.mail_for_upload(u)],
            )
            _print_summary(what, status)
        api_walkthrough(container, home, "VEND001", SAMPLES / "VEND001_catalog_clean.csv")
        products = {v.vendor_id: len(container.catalog.products_of(v.vendor_id)) for v in DEMO_VENDORS}
        print("\nCatalog now holds: " + ", ".join(f"{v}: {n} products" for v, n in products.items()))
    finally:
        worker.stop()
        bootstrap.reset()
        stack.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    print("Demo finished; the stack is stopped.")
    return 0


def _print_summary(what: str, status: dict[str, Any]) -> None:
    out = sys.stdout
    out.write(f"\n=== {status['file_name']} ({status['vendor_id']}): {what}\n")
    out.write(f"upload {status['upload_id']}: {status['status'].upper()}, {status['total_records']} rows, "
              f"{status['valid_records']} in the catalog, {status['error_records']} with errors\n")
    for error in status["errors"][:12]:
        where = "file" if error["row_number"] == 0 else f"row {error['row_number']}"
        out.write(f"  - {where:<7} {error['error_type']:<28} {error['message']}\n")
    if len(status["errors"]) > 12:
        out.write(f"  … and {len(status['errors']) - 12} more errors in the report\n")
    if status["error_report"]:
        out.write(f"error report: {status['error_report']}\n")
        report = _report_text(status["error_report"])
        for line in report.splitlines()[:REPORT_LINES_SHOWN]:
            out.write(f"  | {line if len(line) <= REPORT_LINE_CHARS else line[:REPORT_LINE_CHARS - 1] + '…'}\n")
    notification = status["notification"]
    if notification:
        out.write(f"email ({status['notification_count']} sent): {notification['subject']}\n")
        for line in notification["message"].splitlines():
            out.write(f"  > {line}\n")
    out.flush()


def _report_text(uri: str) -> str:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return bootstrap.container().storage.read_text(bucket, key)
