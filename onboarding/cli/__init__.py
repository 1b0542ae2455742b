"""`onboard`: run the local stack, register vendors, upload files and see what became of them.

Human output goes to the terminal as tables and a progress bar; with `--json` the last line of
stdout is one JSON object (the contract tests and scripts rely on).
"""


from onboarding.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]
