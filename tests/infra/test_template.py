"""The SAM template: lint-clean, complete, least privilege, no secrets in it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from onboarding import provision
from onboarding.config import ENV_VARIABLES
from onboarding.local.worker import MappingSettings
from onboarding.pipeline.metrics import NAMESPACE, Metric
from tests.infra.cloudformation import (
    FUNCTION_ROLES,
    ROOT,
    SERVICE_OF,
    TEMPLATE_PATH,
    as_list,
    declared_actions,
    load_template,
    role_statements,
)

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]

# What Lambda itself needs for the event source mappings and destinations of each function.
MAPPING_ACTIONS = {
    "csv_parser": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"},
    "validator": {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams", "sqs:SendMessage"},
    "error_processor": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                        "sqs:ChangeMessageVisibility"},
    "migrator": set(),
    "webhook_sender": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                       "sqs:ChangeMessageVisibility"},
    "api": set(),
    "api_authorizer": set(),
}


def resources_of(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


@pytest.mark.parametrize("kind", [
    "AWS::ECR::Repository", "AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy",
    "AWS::DynamoDB::Table", "AWS::RDS::DBInstance", "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment", "AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "AWS::SNS::Topic",
    "AWS::CloudWatch::Alarm", "AWS::IAM::Role", "AWS::Serverless::Function",
])
def test_the_template_declares(kind: str) -> None:
    assert resources_of(kind)


def test_there_is_an_image_repository_scanned_on_push_per_function() -> None:
    repositories = resources_of("AWS::ECR::Repository")
    images = {RESOURCES[name]["Properties"]["ImageUri"]["!Sub"].split(".", 1)[0].lstrip("${")
              for name, _ in FUNCTION_ROLES.values()}
    assert images == set(repositories)
    assert all(r["Properties"]["ImageScanningConfiguration"]["ScanOnPush"] for r in repositories.values())


def test_functions_are_images_with_sized_memory_and_timeouts() -> None:
    functions = resources_of("AWS::Serverless::Function")
    assert {name for name, _ in FUNCTION_ROLES.values()} == set(functions)
    for function in functions.values():
        properties = function["Properties"]
        assert properties["PackageType"] == "Image"
        assert "MemorySize" in properties and "Timeout" in properties
        assert set(properties["VpcConfig"]) == {"SecurityGroupIds", "SubnetIds"}


def test_the_bucket_is_versioned_encrypted_private_tls_only_and_notifies_the_upload_queue() -> None:
    bucket = RESOURCES["UploadBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [notification] = bucket["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    assert any(rule["Prefix"] == "errors/" for rule in bucket["LifecycleConfiguration"]["Rules"])
    [statement] = RESOURCES["UploadBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_every_queue_has_a_dead_letter_queue_and_outlasts_six_consumer_timeouts() -> None:
    timeouts = TEMPLATE["Mappings"]["Timeouts"]
    for queue, consumer in (("UploadQueue", "CsvParser"), ("ErrorQueue", "ErrorProcessor"),
                            ("WebhookQueue", "WebhookSender")):
        properties = RESOURCES[queue]["Properties"]
        assert properties["RedrivePolicy"]["maxReceiveCount"] >= 1
        assert timeouts[consumer]["QueueVisibility"] >= 6 * timeouts[consumer]["Function"]


def test_the_table_has_the_course_keys_stream_ttl_recovery_and_encryption() -> None:
    table = RESOURCES["UploadRecordsTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "upload_id", "KeyType": "HASH"},
                                  {"AttributeName": "record_id", "KeyType": "RANGE"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["VendorIndex"]
    assert table["TimeToLiveSpecification"]["Enabled"] is True
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}


def test_the_stream_mapping_filters_inserts_bisects_retries_boundedly_and_dead_letters() -> None:
    mapping = RESOURCES["ValidatorFunction"]["Properties"]["Events"]["PendingRows"]["Properties"]
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == {"eventName": ["INSERT"]}
    assert mapping["BisectBatchOnFunctionError"] is MappingSettings.stream_bisect_on_error is True
    assert mapping["BatchSize"] == MappingSettings.stream_batch_size
    assert mapping["MaximumBatchingWindowInSeconds"] == MappingSettings.stream_batching_window_s
    assert mapping["MaximumRetryAttempts"] == MappingSettings.stream_max_retries  # the worker emulates the same
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"]["OnFailure"]["Type"] == "SQS"


def test_sqs_mappings_report_partial_batch_failures() -> None:
    for function, event in (("CsvParserFunction", "Uploads"), ("ErrorProcessorFunction", "Failures")):
        properties = RESOURCES[function]["Properties"]["Events"][event]["Properties"]
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_database_is_private_encrypted_and_its_password_never_in_the_template() -> None:
    database = RESOURCES["Database"]["Properties"]
    assert database["PubliclyAccessible"] is False and database["StorageEncrypted"] is True
    assert "resolve:secretsmanager" in database["MasterUserPassword"]["!Sub"]
    assert list(literal_secrets(TEMPLATE)) == []


def literal_secrets(node: Any, key: str = "") -> Any:
    """Values of password- or secret-like keys that are written out rather than generated or resolved."""
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield from literal_secrets(child, str(child_key))
    elif isinstance(node, list):
        for child in node:
            yield from literal_secrets(child, key)
    elif isinstance(node, str) and "{{resolve:" not in node and key != "GenerateStringKey":
        password_key = "password" in key.lower()
        password_in_secret = key.startswith("SecretString") and "password" in node.lower()
        if password_key or password_in_secret:
            yield key, node


def test_only_the_webhook_sender_routes_to_the_internet_the_pipeline_through_endpoints() -> None:
    """Vendors' webhook endpoints are on the internet: one NAT gateway, routed to from the sender's subnets
    only. The pipeline's functions keep no route out."""
    assert len(resources_of("AWS::EC2::NatGateway")) == 1
    routes = resources_of("AWS::EC2::Route")
    via_nat = [r["Properties"]["RouteTableId"] for r in routes.values() if "NatGatewayId" in r["Properties"]]
    assert via_nat == [{"!Ref": "EgressRouteTable"}]
    assert not [r for r in routes.values() if r["Properties"]["RouteTableId"] == {"!Ref": "PrivateRouteTable"}]
    for name, function in resources_of("AWS::Serverless::Function").items():
        subnets = function["Properties"]["VpcConfig"]["SubnetIds"]
        expected = ["EgressSubnetA", "EgressSubnetB"] if name == "WebhookSenderFunction" else [
            "PrivateSubnetA", "PrivateSubnetB"]
        assert subnets == [{"!Ref": s} for s in expected], name
    services = {r["Properties"]["ServiceName"]["!Sub"].rsplit(".", 1)[1]: r["Properties"]["VpcEndpointType"]
                for r in resources_of("AWS::EC2::VPCEndpoint").values()}
    assert services == {"s3": "Gateway", "dynamodb": "Gateway", "sqs": "Interface", "sns": "Interface",
                        "secretsmanager": "Interface", "xray": "Interface"}


def test_alarms_watch_dead_letters_iterator_age_errors_and_throttles() -> None:
    metrics = [a["Properties"].get("MetricName") for a in resources_of("AWS::CloudWatch::Alarm").values()]
    assert metrics.count("ApproximateNumberOfMessagesVisible") == 4
    assert metrics.count("Errors") == metrics.count("Throttles") == 4
    assert "IteratorAge" in metrics
    assert all(a["Properties"]["AlarmActions"] == [{"!Ref": "OperatorAlertsTopic"}]
               for a in resources_of("AWS::CloudWatch::Alarm").values())


def test_no_iam_statement_allows_a_wildcard_action() -> None:
    for role in resources_of("AWS::IAM::Role"):
        for statement in role_statements(TEMPLATE, role):
            assert not any("*" in action for action in as_list(statement["Action"])), (role, statement)


@pytest.mark.parametrize("function", FUNCTION_ROLES)
def test_each_role_allows_exactly_what_its_function_and_mapping_need(function: str) -> None:
    _, role = FUNCTION_ROLES[function]
    allowed = {a for s in role_statements(TEMPLATE, role) if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    service = ROOT / "services" / SERVICE_OF[function]
    signed = declared_actions(service / "signed_actions.txt") | declared_actions(service / "commit_actions.txt") \
        | declared_actions(service / "operator_actions.txt") if function == "api" else set()
    needed = declared_actions(service / "aws_calls.txt") | signed | MAPPING_ACTIONS[function]
    assert allowed == needed


def function_environment(name: str) -> dict[str, Any]:
    """A function's variables: the Globals section's, then its own."""
    shared = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    own = RESOURCES[name]["Properties"].get("Environment", {}).get("Variables", {})
    return {**shared, **own}


POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}


def test_functions_are_configured_only_with_settings_the_code_reads() -> None:
    for name, _ in FUNCTION_ROLES.values():
        variables = set(function_environment(name))
        assert variables <= set(ENV_VARIABLES) | POWERTOOLS_VARIABLES, name


def test_no_function_sets_aws_account_id_which_moves_botocore_to_account_based_endpoints() -> None:
    for name, _ in FUNCTION_ROLES.values():
        assert "AWS_ACCOUNT_ID" not in function_environment(name), name
        assert function_environment(name)["ACCOUNT_ID"] == {"!Ref": "AWS::AccountId"}
        assert function_environment(name)["PARTITION"] == {"!Ref": "AWS::Partition"}


def test_arns_and_image_uris_follow_the_partition() -> None:
    text = TEMPLATE_PATH.read_text()
    assert "arn:aws:" not in text  # arn:${AWS::Partition}:... everywhere
    for name, _ in FUNCTION_ROLES.values():
        uri = RESOURCES[name]["Properties"]["ImageUri"]["!Sub"]
        assert uri.startswith("${") and ".RepositoryUri}:" in uri and "amazonaws.com" not in uri, name


def test_the_database_runs_a_major_version_whose_minor_versions_rds_upgrades() -> None:
    database = RESOURCES["Database"]["Properties"]
    assert database["EngineVersion"].isdigit()  # "16", never a minor that RDS deprecates and then refuses
    assert database["AutoMinorVersionUpgrade"] is True


def test_a_deleted_upload_answers_404_to_the_parser_so_it_is_not_retried_into_the_dlq() -> None:
    statements = role_statements(TEMPLATE, "CsvParserRole")
    [listing] = [s for s in statements if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Resource"]["!Sub"].endswith("-${AWS::Region}")  # the bucket itself, not its objects


def test_every_function_is_traced_and_may_write_its_traces() -> None:
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == "Active"
    for _, role in FUNCTION_ROLES.values():
        managed = [arn["!Sub"] for arn in RESOURCES[role]["Properties"]["ManagedPolicyArns"]]
        assert any(arn.endswith(":iam::aws:policy/AWSXRayDaemonWriteAccess") for arn in managed), role


def find_in_map(value: Any) -> Any:
    if isinstance(value, dict) and "!FindInMap" in value:
        table, key, item = value["!FindInMap"]
        return TEMPLATE["Mappings"][table][key][item]
    return value


def test_the_connection_budget_holds_under_the_databases_limit_with_headroom() -> None:
    """Each function's containers are capped by its reserved concurrency; each container's engine holds at most
    DB_POOL_SIZE + DB_MAX_OVERFLOW connections. Their sum must leave the superusers' and the headroom free."""
    budget = TEMPLATE["Mappings"]["ConnectionBudget"]["Database"]
    available = budget["MaxConnections"] - budget["SuperuserReserved"] - budget["Headroom"]
    total = 0
    for name, function in resources_of("AWS::Serverless::Function").items():
        properties = function["Properties"]
        if "VpcConfig" not in properties:
            continue  # no route to the database
        environment = function_environment(name)
        per_container = int(environment["DB_POOL_SIZE"]) + int(environment["DB_MAX_OVERFLOW"])
        concurrency = find_in_map(properties["ReservedConcurrentExecutions"])
        total += concurrency * per_container
        for event in properties.get("Events", {}).values():
            scaling = event["Properties"].get("ScalingConfig")
            if scaling:  # an SQS mapping above the reservation would only throttle itself
                assert find_in_map(scaling["MaximumConcurrency"]) <= concurrency, name
    assert 0 < total <= available, (total, available)
    assert budget["Headroom"] >= budget["MaxConnections"] // 5


def test_the_local_queues_are_made_as_the_template_makes_them() -> None:
    """`onboard up` and docker compose provision with onboarding/provision.py: same visibility, receives, retention."""
    timeouts = TEMPLATE["Mappings"]["Timeouts"]
    for queue, visibility in (("UploadQueue", provision.UPLOAD_QUEUE_VISIBILITY_S),
                              ("ErrorQueue", provision.ERROR_QUEUE_VISIBILITY_S)):
        properties = RESOURCES[queue]["Properties"]
        consumer = properties["VisibilityTimeout"]["!FindInMap"][1]
        assert timeouts[consumer]["QueueVisibility"] == visibility
        assert properties["RedrivePolicy"]["maxReceiveCount"] == provision.MAX_RECEIVE_COUNT
    for dead_letters in ("UploadDeadLetterQueue", "ErrorDeadLetterQueue", "ValidatorDeadLetterQueue"):
        assert RESOURCES[dead_letters]["Properties"]["MessageRetentionPeriod"] == provision.DEAD_LETTER_RETENTION_S


def business_metrics_named(node: Any) -> set[str]:
    """Names of the metrics in our namespace that an alarm or the dashboard refers to."""
    if isinstance(node, dict):
        found = set()
        if node.get("Namespace") == NAMESPACE and "MetricName" in node:
            found.add(node["MetricName"])
        for child in node.values():
            found |= business_metrics_named(child)
        return found
    if isinstance(node, list):
        if len(node) >= 2 and node[0] == NAMESPACE:
            return {node[1]}
        return set().union(*(business_metrics_named(child) for child in node)) if node else set()
    if isinstance(node, str):
        return set(re.findall(r'MetricName=\\?"(\w+)\\?"', node))
    return set()


def dashboard_body() -> dict[str, Any]:
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["!Sub"]
    return json.loads(re.sub(r"\$\{[^}]+\}", "x", body))  # type: ignore[no-any-return]


def test_the_functions_emit_metrics_in_the_namespace_the_alarms_and_the_dashboard_read() -> None:
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    named = business_metrics_named(dashboard_body()) | business_metrics_named(resources_of("AWS::CloudWatch::Alarm"))
    assert named <= {metric.value for metric in Metric}
    assert {"UploadsFinished", "RowsAccepted", "RowsRejected", "FileRejections", "TimeToFinalStatus",
            "RowsPerSecond", "NotificationsSent", "NotificationsFailed", "StalledUploadsFinished"} <= named


def test_business_alarms_watch_stuck_uploads_error_rate_spikes_and_failing_notifications() -> None:
    alarms = resources_of("AWS::CloudWatch::Alarm")
    watched = {name: business_metrics_named(alarm) for name, alarm in alarms.items()}
    assert watched["StalledUploadsAlarm"] == {"StalledUploadsFinished"}
    assert watched["RowRejectionSpikeAlarm"] == {"RowsAccepted", "RowsRejected"}
    assert watched["FailedUploadsAlarm"] == {"UploadsFinished"}
    assert watched["NotificationsFailingAlarm"] == {"NotificationsFailed"}
    for name in ("StalledUploadsAlarm", "RowRejectionSpikeAlarm", "FailedUploadsAlarm", "NotificationsFailingAlarm"):
        assert alarms[name]["Properties"]["AlarmActions"] == [{"!Ref": "OperatorAlertsTopic"}]


def test_the_dashboard_shows_the_business_metrics_next_to_the_functions_and_queues() -> None:
    widgets = dashboard_body()["widgets"]
    titles = [widget["properties"]["title"] for widget in widgets]
    assert len(titles) == len(set(titles)) >= 8
    text = json.dumps(widgets)
    assert "IteratorAge" in text and "ApproximateNumberOfMessagesVisible" in text and "Errors" in text
