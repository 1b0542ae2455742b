"""Settings come from the environment, once, with documented defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onboarding.adapters.secrets import DatabaseCredentials
from onboarding.config import ENV_VARIABLES, LOCAL_VARIABLES, Settings, SettingsError
from onboarding.local.postgres import credentials_from_url, url_from_credentials


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    assert (settings.records_table, settings.max_rows, settings.aws_endpoint_url) == ("UploadRecords", 100_000, None)


def test_each_setting_is_read_from_its_upper_case_variable() -> None:
    settings = Settings.from_env({"RECORDS_TABLE": "T", "MAX_ROWS": "5", "AWS_ENDPOINT_URL": "http://localhost:4566"})
    assert (settings.records_table, settings.max_rows, settings.aws_endpoint_url) == ("T", 5, "http://localhost:4566")


def test_settings_round_trip_through_their_environment() -> None:
    settings = Settings(upload_bucket="b", max_file_bytes=7)
    assert Settings.from_env(settings.as_env()) == settings
    assert set(settings.as_env()) <= set(ENV_VARIABLES)


def test_the_account_and_partition_come_from_variables_botocore_leaves_alone() -> None:
    """AWS_ACCOUNT_ID, read by botocore next to environment credentials, would move DynamoDB calls to
    account-based endpoints; the topics' ARNs take the account and partition from ACCOUNT_ID and PARTITION."""
    settings = Settings.from_env({"ACCOUNT_ID": "111122223333", "PARTITION": "aws-cn", "AWS_REGION": "cn-north-1",
                                  "AWS_ACCOUNT_ID": "999999999999", "VENDOR_TOPIC": "vendors"})
    assert settings.vendor_topic_arn == "arn:aws-cn:sns:cn-north-1:111122223333:vendors"
    assert "AWS_ACCOUNT_ID" not in ENV_VARIABLES and {"ACCOUNT_ID", "PARTITION"} <= set(ENV_VARIABLES)


def test_the_region_falls_back_to_aws_default_region() -> None:
    assert Settings.from_env({"AWS_DEFAULT_REGION": "eu-west-1"}).aws_region == "eu-west-1"


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("MAX_ROWS", "0", "MAX_ROWS must be a whole number above 0; it is '0'."),
    ("MAX_FILE_BYTES", "-5", "MAX_FILE_BYTES must be a whole number above 0; it is '-5'."),
    ("WRITE_SHARDS", "eight", "WRITE_SHARDS must be a whole number; it is 'eight'."),
    ("STUCK_UPLOAD_AFTER_S", "-1", "STUCK_UPLOAD_AFTER_S must be a whole number, 0 or more; it is '-1'."),
    ("DYNAMODB_BATCH_SIZE", "26", "DYNAMODB_BATCH_SIZE must be at most 25 (BatchWriteItem's limit); it is '26'."),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; it is 'LOUD'."),
    ("PARTITION", "azure", "PARTITION must be one of aws, aws-cn, aws-us-gov; it is 'azure'."),
    ("AWS_ENDPOINT_URL", "localhost:4566", "AWS_ENDPOINT_URL must be an http:// or https:// URL; "
                                           "it is 'localhost:4566'."),
    ("DATABASE_URL", "mysql://db/x", "DATABASE_URL must be a postgresql:// URL; it is 'mysql://db/x'."),
    ("PORTAL_URL", "portal.example", "PORTAL_URL must be an http:// or https:// URL; it is 'portal.example'."),
])
def test_a_value_the_system_cannot_run_with_fails_at_start_naming_its_variable(
    variable: str, value: str, named: str
) -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env({variable: value})
    assert str(failure.value) == named


def test_zero_is_allowed_where_it_means_none() -> None:
    settings = Settings.from_env({"STUCK_UPLOAD_AFTER_S": "0", "DB_MAX_OVERFLOW": "0", "CATEGORY_CACHE_S": "0"})
    assert (settings.stuck_upload_after_s, settings.db_max_overflow, settings.category_cache_s) == (0, 0, 0)


def test_every_variable_the_code_reads_is_declared_once() -> None:
    """A variable read anywhere in the package by its literal name is a setting or a declared local variable."""
    root = Path(__file__).parents[2]
    pattern = re.compile(
        r"""environ(?:\.get\(|\[|\.setdefault\()\s*["']([A-Z][A-Z0-9_]+)["']|env\.get\(["']([A-Z][A-Z0-9_]+)["']"""
    )
    read = {name for path in (root / "onboarding").rglob("*.py")
            for match in pattern.finditer(path.read_text()) for name in match.groups() if name}
    library = {"POWERTOOLS_LOG_LEVEL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
               "AWS_SESSION_TOKEN"}  # read by boto3 and Powertools; we only pass them on
    assert read, "the pattern finds the variables"
    assert read - set(ENV_VARIABLES) - set(LOCAL_VARIABLES) - library == set()
    assert not set(ENV_VARIABLES) & set(LOCAL_VARIABLES)


@pytest.mark.parametrize("password", ["p@ss/word%41", "a:b@c", "%", "plain"])
def test_a_database_url_keeps_any_password_intact(password: str) -> None:
    for host in ("db.internal", "/tmp/pg-socket"):
        creds = DatabaseCredentials("onboard@ops", password, host, 5432, "onboarding")
        assert credentials_from_url(url_from_credentials(creds)) == creds
