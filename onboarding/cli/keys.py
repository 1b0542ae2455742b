"""`onboard keys create|list|revoke`: API keys, shown once, kept only as hashes."""

from __future__ import annotations

import argparse

from onboarding.cli.errors import EXIT_OK, EXIT_USAGE, CliError
from onboarding.cli.output import emit_json, table
from onboarding.cli.wiring import connect


def cmd_keys_create(args: argparse.Namespace) -> int:
    if args.vendor_id is None and not args.operator:
        raise CliError("Name the vendor the key is for (`onboard keys create VENDOR_ID`), or pass --operator.",
                       EXIT_USAGE)
    container = connect()
    if args.vendor_id is not None and container.catalog.get_vendor(args.vendor_id) is None:
        raise CliError(f"No vendor {args.vendor_id}: register it first with `onboard vendors add`.")
    created, key = container.api_keys.create(args.vendor_id, operator=args.operator)
    if args.json:
        emit_json({"vendor_id": created.vendor_id, "key_id": created.key_id, "api_key": key.api_key})
        return EXIT_OK
    owner = f"vendor {created.vendor_id}" if created.vendor_id else "operators"
    print(f"API key {created.key_id} for {owner}{' (operator)' if created.operator and created.vendor_id else ''}.")
    print("Store it now: it is shown only this once (only its hash is kept).")
    print(key.api_key)
    return EXIT_OK


def cmd_keys_list(args: argparse.Namespace) -> int:
    container = connect()
    if container.catalog.get_vendor(args.vendor_id) is None:
        raise CliError(f"No vendor {args.vendor_id}.")
    keys = container.api_keys.list(args.vendor_id)
    if args.json:
        emit_json([{"key_id": k.key_id, "created_at": k.created_at, "revoked_at": k.revoked_at} for k in keys])
    else:
        print(table([(k.key_id, f"{k.created_at:%Y-%m-%d %H:%M:%S}",
                      f"{k.revoked_at:%Y-%m-%d %H:%M:%S}" if k.revoked_at else "") for k in keys],
                    ("KEY", "CREATED (UTC)", "REVOKED (UTC)")) if keys else f"No keys for {args.vendor_id}.")
    return EXIT_OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    container = connect()
    revoked = container.api_keys.revoke(args.key_id)
    if revoked is None:
        raise CliError(f"No key {args.key_id}: `onboard keys list VENDOR_ID` shows a vendor's keys.")
    print(f"Key {revoked.key_id} revoked at {revoked.revoked_at:%Y-%m-%d %H:%M:%S} UTC; it no longer works.")
    return EXIT_OK
