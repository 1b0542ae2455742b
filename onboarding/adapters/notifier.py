"""SNS: vendor emails (filtered per vendor) and operator alerts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from onboarding.domain.publishable import check_publishable

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

VENDOR_ATTRIBUTE = "vendor_id"
UPLOAD_ATTRIBUTE = "upload_id"


def vendor_filter_policy(vendor_id: str) -> str:
    """A subscription with this policy receives only its own vendor's notifications."""
    return json.dumps({VENDOR_ATTRIBUTE: [vendor_id]})


class SnsNotifier:
    def __init__(self, sns: SNSClient) -> None:
        self._sns = sns

    def publish(self, topic_arn: str, vendor_id: str, upload_id: str, subject: str, message: str) -> str:
        """Publish one plain-text notification; returns SNS's message id.

        Raises `Unpublishable` for what SNS documents it refuses, before calling it: moto accepts anything, so
        without this check the local stack would pass where AWS fails.
        """
        check_publishable(subject, message)
        response = self._sns.publish(
            TopicArn=topic_arn,
            Subject=subject,
            Message=message,
            MessageAttributes={
                VENDOR_ATTRIBUTE: {"DataType": "String", "StringValue": vendor_id},
                UPLOAD_ATTRIBUTE: {"DataType": "String", "StringValue": upload_id},
            },
        )
        return response["MessageId"]

    def subscribe_vendor(self, topic_arn: str, vendor_id: str, protocol: str, endpoint: str) -> str:
        """Subscribe an endpoint (the vendor's email) to the vendor's own notifications only."""
        # Not raw: the SNS envelope keeps the subject, which a captured "email" needs.
        attributes = {"FilterPolicy": vendor_filter_policy(vendor_id)}
        response = self._sns.subscribe(
            TopicArn=topic_arn,
            Protocol=protocol,
            Endpoint=endpoint,
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )
        return response["SubscriptionArn"]

    def unsubscribe(self, topic_arn: str, protocol: str, endpoint: str) -> int:
        """End every confirmed subscription of `endpoint` to the topic (a pending one has no ARN yet)."""
        ended = 0
        for page in self._sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
            for subscription in page.get("Subscriptions", []):
                arn = subscription.get("SubscriptionArn", "")
                if (subscription.get("Protocol"), subscription.get("Endpoint")) == (protocol, endpoint) \
                        and arn.startswith("arn:"):
                    self._sns.unsubscribe(SubscriptionArn=arn)
                    ended += 1
        return ended
