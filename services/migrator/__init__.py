"""Lambda function sources (each image copies its own handler.py)."""
