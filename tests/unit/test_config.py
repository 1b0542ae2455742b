"""Settings come from the environment, once, with documented defaults."""

from __future__ import annotations

from onboarding.config import ENV_VARIABLES, Settings


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


def test_the_region_falls_back_to_aws_default_region() -> None:
    assert Settings.from_env({"AWS_DEFAULT_REGION": "eu-west-1"}).aws_region == "eu-west-1"
