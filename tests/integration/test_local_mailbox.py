"""The local mailbox's capture queues (onboarding/local/mailbox.py), on moto's server: one stack's mail never
reaches another stack's mailbox, and every valid vendor id gets a queue SQS accepts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from onboarding import bootstrap
from onboarding.adapters.aws import AwsClients
from onboarding.config import Settings
from onboarding.local.mailbox import (
    QUEUE_NAME_MAX,
    Mailboxes,
    capture_queue_prefix,
    drain_mailbox_queues,
    ensure_operator_mailbox,
    vendor_capture_queue,
    vendor_mailbox,
)
from onboarding.provision import Resources


def test_two_stacks_on_one_server_each_drain_only_their_own_mail(
    settings: Settings, aws: AwsClients, resources: Resources, tmp_path: Path,
) -> None:
    other = replace(settings, vendor_topic=f"{settings.vendor_topic}-b", operator_topic=f"{settings.operator_topic}-b")
    for stack in (settings, other):
        aws.sns.create_topic(Name=stack.vendor_topic)
        aws.sns.create_topic(Name=stack.operator_topic)
        container = bootstrap.build(stack)
        vendor_mailbox(container)(stack.vendor_topic_arn, "VEND001")  # the same vendor id in both stacks
        ensure_operator_mailbox(aws, stack, stack.operator_topic_arn)
        container.notifier.publish(stack.vendor_topic_arn, "VEND001", f"U-{stack.vendor_topic}", "s", "m")
        container.notifier.publish(stack.operator_topic_arn, "VEND001", f"O-{stack.vendor_topic}", "s", "m")

    for stack in (settings, other):
        mailboxes = Mailboxes(tmp_path / stack.vendor_topic)
        assert drain_mailbox_queues(aws, capture_queue_prefix(stack), mailboxes) == 2
        assert [m.upload_id for m in mailboxes.mail_of("vendor-VEND001")] == [f"U-{stack.vendor_topic}"]
        assert [m.upload_id for m in mailboxes.mail_of("operators")] == [f"O-{stack.vendor_topic}"]


def test_capture_queue_names_fit_sqs_and_tell_long_vendor_ids_apart(settings: Settings) -> None:
    longest = ["V" * 63 + "1", "V" * 63 + "2"]
    names = [vendor_capture_queue(settings, vendor_id) for vendor_id in [*longest, "VEND001"]]

    assert all(len(name) <= QUEUE_NAME_MAX for name in names)
    assert len(set(names)) == 3
    assert names[2] == capture_queue_prefix(settings) + "vendor-VEND001"  # short ids are kept whole
