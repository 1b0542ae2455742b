"""`/v1/uploads` over real HTTP: tickets, the presigned POST into the real pipeline, status, errors, report."""

from __future__ import annotations

import requests

from tests.api.conftest import CLEAN, MAX_FILE_BYTES, WITH_ERRORS, Api

PROBLEM = "application/problem+json"


def statuses(upload: dict[str, object]) -> list[str]:
    return [entry["status"] for entry in upload["history"]]  # type: ignore[attr-defined]


def test_a_ticket_is_a_presigned_post_pinned_to_the_vendors_folder_and_the_upload_id(api: Api) -> None:
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_catalog.csv")
    assert ticket["status"] == "awaiting_upload"
    assert set(ticket) >= {"upload_id", "status", "upload", "expires_at"}
    fields = ticket["upload"]["fields"]
    assert fields["key"] == f"uploads/VEND001/{ticket['upload_id']}/VEND001_catalog.csv"
    assert {"policy", "x-amz-signature", "x-amz-credential"} <= set(fields)
    upload = api.get(f"/v1/uploads/{ticket['upload_id']}", key).json()
    assert upload["status"] == "awaiting_upload" and statuses(upload) == ["awaiting_upload"]
    assert upload["next_poll_after_s"] > 0 and upload["report_url"] is None


def test_a_file_posted_with_its_ticket_runs_through_the_pipeline_under_the_tickets_id(api: Api) -> None:
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_catalog.csv")
    sent = api.send_file(ticket, CLEAN)
    assert sent.status_code == 204, sent.text

    final = api.wait_final(key, ticket["upload_id"])

    assert final["status"] == "completed"
    assert (final["total_records"], final["valid_records"], final["error_records"]) == (5, 5, 0)
    assert final["progress"] == {"processed": 5, "total": 5}
    assert statuses(final) == ["awaiting_upload", "received", "parsing", "validating", "reporting", "completed"]
    assert "next_poll_after_s" not in final and final["report_url"] is None
    assert [e["at"] for e in final["history"]] == sorted(e["at"] for e in final["history"])
    assert len(api.get("/v1/products", key).json()["items"]) == 5


def test_errors_come_in_pages_and_the_report_is_a_redirect_to_a_signed_link(api: Api) -> None:
    key = api.key_for("VEND002")
    ticket = api.ticket(key, "VEND002_catalog.csv")
    assert api.send_file(ticket, WITH_ERRORS).status_code == 204
    final = api.wait_final(key, ticket["upload_id"])
    assert final["status"] == "partial" and final["report_url"]

    seen, cursor = [], None
    while True:
        page = api.get(f"/v1/uploads/{ticket['upload_id']}/errors", key,
                       params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) >= final["error_records"] > 2
    assert [e["row_number"] for e in seen] == sorted(e["row_number"] for e in seen)
    assert set(seen[0]) == {"row_number", "field", "error_type", "message", "value", "severity"}

    report = api.get(f"/v1/uploads/{ticket['upload_id']}/report", key)
    assert report.status_code == 303
    csv = requests.get(report.headers["Location"], timeout=30)
    assert csv.status_code == 200 and b"H-2003" in csv.content


def test_a_file_over_the_limit_is_refused_by_the_post_policy_and_the_ticket_keeps_waiting(api: Api) -> None:
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_big.csv")
    refused = api.send_file(ticket, CLEAN + b"\n" * MAX_FILE_BYTES)
    assert refused.status_code == 400 and b"EntityTooLarge" in refused.content
    assert api.get(f"/v1/uploads/{ticket['upload_id']}", key).json()["status"] == "awaiting_upload"


def test_the_post_policy_pins_the_key_a_tampered_form_is_refused(api: Api) -> None:
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_catalog.csv")
    ticket["upload"]["fields"]["key"] = "uploads/VEND002/VEND002_catalog.csv"
    refused = api.send_file(ticket, CLEAN)
    assert refused.status_code == 403


def test_a_report_of_an_upload_without_errors_is_not_found(api: Api) -> None:
    key = api.key_for("VEND001")
    ticket = api.ticket(key, "VEND001_catalog.csv")
    response = api.get(f"/v1/uploads/{ticket['upload_id']}/report", key)
    assert response.status_code == 404 and response.headers["Content-Type"] == PROBLEM
