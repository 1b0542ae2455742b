"""`onboard vendors rules|quota` and `onboard products history`: per-vendor rules as data, and what happened to a
product."""

from __future__ import annotations

import argparse
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from onboarding.cli.errors import EXIT_OK, EXIT_USAGE, CliError
from onboarding.cli.output import emit_json, table
from onboarding.cli.wiring import connect
from onboarding.domain.changes import VendorRules
from onboarding.domain.columns import CSV_COLUMNS

if TYPE_CHECKING:
    from onboarding.bootstrap import Container

NO_LIMIT = "none"  # what a flag takes to remove a limit

RULES_FIELDS = ("extra_required_columns", "allowed_categories", "allowed_brands", "min_price", "max_price")
QUOTA_FIELDS = ("max_active_products", "max_uploads_per_day")


def _existing_rules(container: Container, vendor_id: str) -> VendorRules:
    if container.catalog.get_vendor(vendor_id) is None:
        raise CliError(f"No vendor {vendor_id} is registered: `onboard vendors list` shows the vendors.", EXIT_USAGE)
    found: VendorRules | None = container.catalog.vendor_rules(vendor_id)
    return found or VendorRules(vendor_id)


def _names(text: str) -> tuple[str, ...]:
    """`"A, B"` -> ("A", "B"); an empty string (or `none`) clears the list."""
    if text.strip().casefold() == NO_LIMIT:
        return ()
    return tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))


def _price(text: str) -> Decimal | None:
    if text.strip().casefold() in ("", NO_LIMIT):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CliError(f"'{text}' is not a price: write it like 19.99, or `{NO_LIMIT}`.", EXIT_USAGE) from None
    if not value.is_finite() or value < 0:
        raise CliError(f"'{text}' is not a price: write it like 19.99, or `{NO_LIMIT}`.", EXIT_USAGE)
    return value


def _count(text: str) -> int | None:
    if text.strip().casefold() in ("", NO_LIMIT):
        return None
    if not text.strip().isdigit():
        raise CliError(f"'{text}' is not a whole number: write it like 500, or `{NO_LIMIT}`.", EXIT_USAGE)
    return int(text)


def _show(rules: VendorRules, fields: tuple[str, ...], as_json: bool) -> None:
    values = {"vendor_id": rules.vendor_id, **{f: getattr(rules, f) for f in fields}}
    if as_json:
        emit_json({k: list(v) if isinstance(v, tuple) else v for k, v in values.items()})
        return
    shown = [(k, ", ".join(v) if isinstance(v, tuple) else v) for k, v in values.items()]
    print(table([(k, "(no limit)" if v in (None, "") else v) for k, v in shown], ("RULE", "VALUE")))


def cmd_vendors_rules(args: argparse.Namespace) -> int:
    container = connect()
    rules = _existing_rules(container, args.vendor_id)
    changes: dict[str, Any] = {}
    if args.clear:
        changes.update(extra_required_columns=(), allowed_categories=(), allowed_brands=(), min_price=None,
                       max_price=None)
    if args.extra_required is not None:
        columns = _names(args.extra_required)
        unknown = [c for c in columns if c not in CSV_COLUMNS]
        if unknown:
            raise CliError(f"Not catalog columns: {', '.join(unknown)}; use names from: {', '.join(CSV_COLUMNS)}.",
                           EXIT_USAGE)
        changes["extra_required_columns"] = columns
    if args.allowed_categories is not None:
        changes["allowed_categories"] = _known_categories(container, _names(args.allowed_categories))
    if args.allowed_brands is not None:
        changes["allowed_brands"] = _names(args.allowed_brands)
    if args.min_price is not None:
        changes["min_price"] = _price(args.min_price)
    if args.max_price is not None:
        changes["max_price"] = _price(args.max_price)
    rules = _save(container, rules, changes)
    _show(rules, RULES_FIELDS, args.json)
    return EXIT_OK


def cmd_vendors_quota(args: argparse.Namespace) -> int:
    container = connect()
    rules = _existing_rules(container, args.vendor_id)
    changes: dict[str, Any] = {}
    if args.clear:
        changes.update(max_active_products=None, max_uploads_per_day=None)
    if args.max_active_products is not None:
        changes["max_active_products"] = _count(args.max_active_products)
    if args.max_uploads_per_day is not None:
        changes["max_uploads_per_day"] = _count(args.max_uploads_per_day)
    rules = _save(container, rules, changes)
    _show(rules, QUOTA_FIELDS, args.json)
    return EXIT_OK


def _save(container: Container, rules: VendorRules, changes: dict[str, Any]) -> VendorRules:
    if not changes:
        return rules
    updated = replace(rules, **changes)
    if updated.min_price is not None and updated.max_price is not None and updated.min_price > updated.max_price:
        raise CliError(f"The minimum price {updated.min_price} is above the maximum {updated.max_price}.", EXIT_USAGE)
    container.catalog.save_vendor_rules(updated)
    return updated


def _known_categories(container: Container, names: tuple[str, ...]) -> tuple[str, ...]:
    """The catalog's own spelling of each category; an unknown one is refused (it could never match)."""
    active = {name.casefold(): name for name in container.catalog.active_categories()}
    unknown = [n for n in names if n.casefold() not in active]
    if unknown:
        raise CliError(f"Not categories we sell in: {', '.join(unknown)}.", EXIT_USAGE)
    return tuple(active[n.casefold()] for n in names)


def cmd_products_history(args: argparse.Namespace) -> int:
    container = connect()
    history = container.catalog.product_history(args.vendor_id, args.vendor_product_id)
    if args.json:
        emit_json(history)
        return EXIT_OK
    if not history:
        print(f"No history for product {args.vendor_product_id} of vendor {args.vendor_id}.")
        return EXIT_OK
    rows = []
    for event in history:
        described = "; ".join(f"{field}: {_shown(change['old'])} -> {_shown(change['new'])}"
                              for field, change in event["changes"].items())
        rows.append((f"{event['at']:%Y-%m-%d %H:%M:%S}", event["event"], event["upload_id"], described))
    print(table(rows, ("AT", "EVENT", "UPLOAD", "CHANGES")))
    return EXIT_OK


def _shown(value: Any) -> str:
    return "(empty)" if value is None else str(value)
