"""Product onboarding pipeline: vendor catalog files in S3 -> validated products in PostgreSQL."""
