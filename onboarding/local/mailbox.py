"""Capturing, locally, what SNS would email.

Each vendor's email subscription has a filter policy on `vendor_id`; beside it the local stack
subscribes a capture queue with the same policy, so what lands in a vendor's mailbox is exactly
what SNS would have sent that vendor. The worker drains the capture queues into JSON-lines files
under `$ONBOARD_HOME/mailbox/`, which the CLI reads.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onboarding.adapters.aws import AwsClients
from onboarding.adapters.notifier import UPLOAD_ATTRIBUTE, VENDOR_ATTRIBUTE
from onboarding.bootstrap import Container
from onboarding.config import Settings
from onboarding.pipeline.register_vendor import AlsoSubscribe

MAILBOX_QUEUE_PREFIX = "onboard-mailbox-"
OPERATORS_MAILBOX = "operators"
QUEUE_NAME_MAX = 80  # SQS's limit on a queue name


def capture_queue_prefix(settings: Settings) -> str:
    """The names of one stack's capture queues start with this. One moto server may serve several stacks (the
    tests run a stack per test on one server per worker): each stack drains only its own queues."""
    stack = hashlib.sha256(settings.vendor_topic.encode()).hexdigest()[:8]
    return f"{MAILBOX_QUEUE_PREFIX}{stack}-"


def vendor_mailbox_name(vendor_id: str) -> str:
    """The vendor's mailbox: its file under `$ONBOARD_HOME/mailbox/`, without the extension."""
    return f"vendor-{vendor_id}"


def vendor_capture_queue(settings: Settings, vendor_id: str) -> str:
    """The vendor's capture queue; a vendor id too long for SQS's limit is cut and told apart by its digest."""
    name = capture_queue_prefix(settings) + vendor_mailbox_name(vendor_id)
    if len(name) <= QUEUE_NAME_MAX:
        return name
    digest = hashlib.sha256(vendor_id.encode()).hexdigest()[:8]
    return f"{name[:QUEUE_NAME_MAX - len(digest) - 1]}-{digest}"


def _queue_arn(clients: AwsClients, name: str) -> str:
    url = clients.sqs.create_queue(QueueName=name)["QueueUrl"]
    return clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def vendor_mailbox(container: Container) -> AlsoSubscribe:
    """What `register_vendor` calls to subscribe a capture queue to the vendor's notifications, with the
    same filter policy as the vendor's email."""

    def subscribe(topic_arn: str, vendor_id: str) -> None:
        arn = _queue_arn(container.aws, vendor_capture_queue(container.settings, vendor_id))
        container.notifier.subscribe_vendor(topic_arn, vendor_id, "sqs", arn)

    return subscribe


def ensure_operator_mailbox(clients: AwsClients, settings: Settings, topic_arn: str) -> None:
    arn = _queue_arn(clients, capture_queue_prefix(settings) + OPERATORS_MAILBOX)
    clients.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)


@dataclass(frozen=True)
class Mail:
    mailbox: str  # vendor-<ID> or operators
    vendor_id: str
    upload_id: str
    subject: str
    message: str
    message_id: str

    @classmethod
    def from_sns_envelope(cls, body: str, mailbox: str | None = None) -> Mail:
        """The mail in an SNS envelope; in its vendor's mailbox unless `mailbox` is given (the operators')."""
        envelope = json.loads(body)
        attributes: dict[str, Any] = envelope.get("MessageAttributes", {})
        vendor_id = str(attributes.get(VENDOR_ATTRIBUTE, {}).get("Value", ""))
        return cls(
            mailbox=mailbox or vendor_mailbox_name(vendor_id),
            vendor_id=vendor_id,
            upload_id=str(attributes.get(UPLOAD_ATTRIBUTE, {}).get("Value", "")),
            subject=str(envelope.get("Subject", "")),
            message=str(envelope.get("Message", "")),
            message_id=str(envelope.get("MessageId", "")),
        )


class Mailboxes:
    """The captured mail on disk: one JSON-lines file per mailbox."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def append(self, mail: Mail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.directory / f"{mail.mailbox}.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(mail.__dict__, ensure_ascii=False) + "\n")

    def mail_for_upload(self, upload_id: str) -> list[Mail]:
        found: list[Mail] = []
        if not self.directory.is_dir():
            return found
        for path in sorted(self.directory.glob("*.jsonl")):
            for line in _lines(path):
                if line.strip():
                    mail = Mail(**json.loads(line))
                    if mail.upload_id == upload_id:
                        found.append(mail)
        return found

    def mail_of(self, mailbox: str) -> list[Mail]:
        path = self.directory / f"{mailbox}.jsonl"
        if not path.is_file():
            return []
        return [Mail(**json.loads(line)) for line in _lines(path) if line.strip()]


def _lines(path: Path) -> list[str]:
    """The file's complete lines. JSON lines end in "\n" only: `splitlines()` would also split on U+2028, U+0085
    and others, which json.dumps(ensure_ascii=False) leaves raw inside a subject or a file name. What follows the
    last "\n" is a line the worker is still appending: it is read next time."""
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def drain_mailbox_queues(clients: AwsClients, prefix: str, mailboxes: Mailboxes) -> int:
    """Move every notification the capture queues of one stack (`capture_queue_prefix`) caught to the mailbox
    files. A vendor's queue holds only that vendor's mail (its filter policy), so the mail's vendor names its
    mailbox."""
    moved = 0
    urls = clients.sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    for url in urls:
        mailbox = OPERATORS_MAILBOX if url.rsplit("/", 1)[-1] == prefix + OPERATORS_MAILBOX else None
        while True:
            messages = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                mailboxes.append(Mail.from_sns_envelope(message["Body"], mailbox))
            clients.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            moved += len(messages)
    return moved
