"""The edge of the system: S3, DynamoDB, SQS, SNS, Secrets Manager and PostgreSQL.

Each adapter is built once per container (see `onboarding.bootstrap`) and handed to the pipeline.
"""
