"""File names: a careless name is just a name; only another registered vendor's id at the start is a claim;
names no mailbox, log line or email can carry are refused with a reason; the local mailbox survives any name."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboarding.domain.errors import OPERATOR_CODES, ErrorCode, FileRejected
from onboarding.domain.uploads import UploadKey, check_file_name, claimed_vendor_ids
from onboarding.local.mailbox import Mail, Mailboxes

REGISTERED = {"VEND001", "VEND002", "ACME-EU"}


def registered_claims(name: str) -> set[str]:
    """What the catalog answers: the name's candidate prefixes that are registered vendor ids."""
    known = {v.casefold(): v for v in REGISTERED}
    return {known[c.casefold()] for c in claimed_vendor_ids(name) if c.casefold() in known}


def check(folder: str, name: str) -> None:
    check_file_name(UploadKey(folder, name), registered_claims(name))


@pytest.mark.parametrize("name", ["catalog2024.csv", "Q4-2025.csv", "sheet1.xlsx", "export2.csv", "VEND003_x.csv",
                                  "VEND0021.csv", "ACME.csv", "products_2025.csv"])
def test_names_that_start_with_no_registered_vendors_id_are_just_names(name: str) -> None:
    check("VEND001", name)


@pytest.mark.parametrize("name", ["VEND001_20251221.csv", "vend001-x.xlsx", "VEND001.csv"])
def test_names_with_the_folders_own_id_are_accepted(name: str) -> None:
    check("VEND001", name)


@pytest.mark.parametrize("name", ["VEND002_20251221.csv", "vend002.csv", "ACME-EU_prices.csv", "VEND002 march.csv"])
def test_a_name_that_starts_with_another_registered_vendors_id_is_a_mismatch(name: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        check("VEND001", name)
    assert rejected.value.code is ErrorCode.VENDOR_MISMATCH


def test_a_registered_id_that_is_a_prefix_of_the_folders_own_id_is_not_a_claim() -> None:
    known = {"ACME", "ACME-EU"}
    claims = {c for c in claimed_vendor_ids("ACME-EU_prices.csv") if c in known}
    assert claims == {"ACME", "ACME-EU"}
    check_file_name(UploadKey("ACME-EU", "ACME-EU_prices.csv"), claims)


@pytest.mark.parametrize("name", ["a\x7fb.csv", "a\x85b.csv", "a\x9bb.csv", "a\u2028b.csv", "a\u2029b.csv",
                                  "a\x01b.csv", "a\tb.csv", "a\nb.csv", "report\u202ecsv.xlsx"])
def test_names_with_control_characters_or_line_separators_are_refused_with_a_reason(name: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        check("VEND001", name)
    assert rejected.value.code is ErrorCode.INVALID_FILE_NAME
    assert rejected.value.code not in OPERATOR_CODES  # the folder's owner hears why
    assert "rename" in rejected.value.message.lower()


def test_the_local_mailbox_reads_back_names_with_unicode_line_separators(tmp_path: Path) -> None:
    mailboxes = Mailboxes(tmp_path)
    for n, name in enumerate(["a\u2028b.csv", "c\x85d.csv", "e\u2029f.csv", "plain.csv"]):
        mailboxes.append(Mail("vendor-VEND001", "VEND001", f"U{n}", f"Catalog upload {name}", f"file {name}\n", "m"))
    assert [m.upload_id for m in mailboxes.mail_of("vendor-VEND001")] == ["U0", "U1", "U2", "U3"]
    assert [m.message for m in mailboxes.mail_for_upload("U1")] == ["file c\x85d.csv\n"]


def test_a_mail_line_still_being_appended_is_read_once_it_is_whole(tmp_path: Path) -> None:
    mailboxes = Mailboxes(tmp_path)
    mailboxes.append(Mail("operators", "VEND001", "U1", "s", "m", "id"))
    with (tmp_path / "operators.jsonl").open("a", encoding="utf-8") as out:
        out.write('{"mailbox": "operators", "vendor_id": "VEN')  # the worker, mid-write
    assert [m.upload_id for m in mailboxes.mail_of("operators")] == ["U1"]
    assert [m.upload_id for m in mailboxes.mail_for_upload("U1")] == ["U1"]
