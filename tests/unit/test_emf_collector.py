"""The worker's stand-in for CloudWatch's EMF extraction: metric lines to the metrics file, the rest untouched."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from onboarding.local.metrics import EmfCollector, summarize

EMF = ('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["service"]],'
       '"Metrics":[{"Name":"RowsAccepted","Unit":"Count"}]}]},"service":"s","RowsAccepted":[3.0]}')


def test_metric_lines_go_to_the_file_and_everything_else_passes_through(tmp_path: Path) -> None:
    out = io.StringIO()
    collector = EmfCollector(out, tmp_path / "metrics.jsonl")
    print("Uploading catalog.csv", file=collector)
    print(EMF, file=collector)
    collector.write("progress 50%\r")
    collector.write('{"level":"INFO"}\n')

    assert out.getvalue() == 'Uploading catalog.csv\nprogress 50%\r{"level":"INFO"}\n'
    assert (tmp_path / "metrics.jsonl").read_text() == EMF + "\n"


def test_lines_printed_from_many_threads_at_once_stay_whole(tmp_path: Path) -> None:
    out = io.StringIO()
    collector = EmfCollector(out, tmp_path / "metrics.jsonl")

    def emit() -> None:
        for _ in range(50):
            print(EMF, file=collector)
            print("a log line", file=collector)

    threads = [threading.Thread(target=emit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [rows] = summarize((tmp_path / "metrics.jsonl").read_text().splitlines())
    assert (rows.name, len(rows.values), sum(rows.values)) == ("RowsAccepted", 200, 600)
    assert out.getvalue() == "a log line\n" * 200
