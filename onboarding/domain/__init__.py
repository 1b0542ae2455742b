"""The domain: columns, rules, upload state, report and email text. No I/O here, ever."""
