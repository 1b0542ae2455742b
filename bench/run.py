"""`make bench`: run generated catalogs through the local stack end to end, beside the raw I/O floor.

    python -m bench.run [--sizes 1000,10000,100000] [--quick] [--pipeline-only]

`--pipeline-only` runs the sizes through the pipeline and prints their figures (JSON) without the floors, the
memory and the import times, and records nothing: a quick look while profiling (the floors are most of a full
run's time: the stock-moto floor alone takes several minutes at 100,000 rows).

For each size: a file with 2% bad rows goes through the embedded stack (moto's server + PostgreSQL)
and the worker with the in-process handlers, exactly as `onboard up` runs it. Measured, not estimated:
- wall time from the PUT to the final status;
- time per stage, from timers on the real clients (botocore events) and around the use cases;
- calls per 1,000 rows, counted on the handlers' clients (and, for the stream, on the worker's);
- SQL statements per validator invocation, counted per worker thread;
- the raw floor for the same rows in the same run: plain BatchWriteItem, GetRecords and COPY, no pipeline code,
  each on a FRESH emulator process (the pipeline's own server has grown by then, and moto slows as it grows):
  once on stock moto (`python -m moto.server`) and once on the stack's patched server (`moto_main`, with the
  fast paths), so the pipeline's ratio to each says which part of its time is the emulator and which is ours;
- peak traced Python memory of each handler (tracemalloc, one handler at a time, worker stopped);
- the import time of each handler module in a fresh interpreter (the cold-start share that is ours).
Results go to bench/results/latest.json (and a dated copy) and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.timing import CallTimer, OperationTimer, TimedCatalog, TimedFileReader
from onboarding import bootstrap
from onboarding.adapters.aws import AwsClients
from onboarding.adapters.records import serialize, to_item
from onboarding.config import LAMBDA_TASK_ROOT, Settings
from onboarding.domain.columns import CSV_COLUMNS
from onboarding.domain.uploads import NewUpload, PendingRow
from onboarding.domain.vendors import Vendor, VendorStatus
from onboarding.events import sqs_event, stream_event
from onboarding.local.aws_server import MotoServer
from onboarding.local.functions import FUNCTIONS, Invoke, load_handler
from onboarding.local.home import load_stack_env
from onboarding.local.stack import LocalStack, start_stack
from onboarding.local.worker import build_worker
from onboarding.pipeline.register_vendor import register_vendor
from onboarding.status import upload_file, wait_until_final

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / "work"
BAD_FRACTION = 0.02
SEED = 20261125
CATEGORIES = ("Electronics", "Computer Accessories", "Kitchen", "Books", "Toys & Games")


# -- input ----------------------------------------------------------------------------------------


def generate_file(path: Path, rows: int, vendor_id: str) -> int:
    """A catalog of `rows` rows, 2% of them bad (a price that is not a number). Returns the bad rows."""
    rng = random.Random(SEED + rows)
    bad = set(rng.sample(range(1, rows + 1), int(rows * BAD_FRACTION)))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for n in range(1, rows + 1):
            price = "twelve" if n in bad else f"{rng.randint(1, 99999) / 100:.2f}"
            writer.writerow([
                f"{vendor_id}-P{n:06d}", f"Product {n} {rng.choice(('red', 'blue', 'steel'))}",
                rng.choice(CATEGORIES), "", f"Description of product {n}", f"{vendor_id}-SKU-{n:06d}", "Brand",
                price, "", str(rng.randint(0, 500)), "piece", "0.5", "10x10x10", "",
            ])
    return len(bad)


# -- the pipeline run ------------------------------------------------------------------------------


class StatementsByThread:
    """SQL statements sent to the server, per worker thread (so per function)."""

    def __init__(self) -> None:
        self.by_thread: Counter[str] = Counter()

    def __call__(self, *_: Any, **__: Any) -> None:
        self.by_thread[threading.current_thread().name] += 1


def instrument_handlers(handler_timer: OperationTimer, timer: CallTimer) -> bootstrap.Container:
    """The handlers' container, rebuilt with the timers handed in: botocore events on its clients, and wrappers
    around the catalog's hot-path write and the file reader (nothing is patched)."""
    bootstrap.reset(bootstrap.Overrides(
        wrap_catalog=lambda catalog: TimedCatalog(catalog, timer),
        wrap_file_reader=lambda reader: TimedFileReader(reader, timer),
    ))
    container = bootstrap.container()
    clients = container.aws
    for client in (clients.s3, clients.dynamodb, clients.sqs, clients.sns, clients.secretsmanager):
        handler_timer.register(client)
    return container


def run_size(stack: LocalStack, rows: int, home: Path) -> dict[str, Any]:
    handler_ops, worker_ops, timer = OperationTimer(), OperationTimer(), CallTimer()
    container = instrument_handlers(handler_ops, timer)
    settings = container.settings
    vendor_id = f"BENCH{rows}"
    register_vendor(container.catalog, container.notifier, settings.vendor_topic_arn,
                    Vendor(vendor_id, "Bench", "bench@example.com", VendorStatus.ACTIVE))
    path = WORK / f"{vendor_id}_catalog.csv"
    bad = generate_file(path, rows, vendor_id)

    statements = StatementsByThread()
    event.listen(container.engine, "before_cursor_execute", statements)
    worker_container = bootstrap.build(settings)  # the worker's own clients: its calls are counted apart
    worker_ops.register(worker_container.aws.dynamodbstreams)
    invocations: Counter[str] = Counter()

    def counted(name: str, invoke: Invoke) -> Invoke:
        timed = timer.wrap(name, invoke)

        def call(event: dict[str, Any]) -> dict[str, Any]:
            invocations[name] += 1
            return dict(timed(event))

        return call

    functions = {name: counted(name, load_handler(name)) for name in FUNCTIONS}
    worker = build_worker(worker_container, home, functions)
    worker.start()
    try:
        started = time.perf_counter()
        upload_id = upload_file(container, path, vendor_id)
        status = wait_until_final(container.catalog, upload_id, timeout_s=3600)
        wall = time.perf_counter() - started
    finally:
        worker.stop()
        event.remove(container.engine, "before_cursor_execute", statements)
        bootstrap.reset()  # the timers are this run's only

    accounted = status["valid_records"] + status["error_records"]
    if (status["total_records"], accounted, status["error_records"]) != (rows, rows, bad):
        raise RuntimeError(f"rows not accounted for: {status}")
    per_k = 1000 / rows
    parse = timer.seconds["parse"]
    # The rest of the parser's invocation: building items and waiting on BatchWriteItem (4 in flight).
    write = timer.seconds["csv_parser"] - parse
    validator_sql = statements.by_thread.get("stream", 0)
    function_sql = sum(statements.by_thread.get(thread, 0) for thread in ("uploads", "stream", "errors"))
    return {
        "rows": rows,
        "bad_rows": bad,
        "status": status["status"],
        "wall_s": round(wall, 2),
        "rows_per_s": round(rows / wall, 1),
        "stages_s": {
            "parse": round(parse, 2),
            "dynamodb_write": round(write, 2),
            "stream_read": round(worker_ops.time_of("dynamodbstreams:GetRecords"), 2),
            "validate": round(timer.seconds["validator"] - timer.seconds["database_write"], 2),
            "database_write": round(timer.seconds["database_write"], 2),
            "report": round(timer.seconds["error_processor"], 2),
        },
        "calls_per_1000_rows": {
            "s3": round(handler_ops.service_calls("s3") * per_k, 2),
            "dynamodb": round(handler_ops.service_calls("dynamodb") * per_k, 2),
            "streams": round(worker_ops.service_calls("dynamodbstreams") * per_k, 2),
            "sqs": round(handler_ops.service_calls("sqs") * per_k, 2),
            "sns": round(handler_ops.service_calls("sns") * per_k, 2),
            "sql": round(function_sql * per_k, 2),
        },
        "validator_invocations": invocations["validator"],
        "sql_per_validator_invocation": round(validator_sql / max(1, invocations["validator"]), 2),
        "sqs_send_calls_per_10_failed_rows": round(
            handler_ops.calls.get("sqs:SendMessageBatch", 0) / max(1, bad / 10), 3),
    }


# -- the raw floor ---------------------------------------------------------------------------------


def fresh_floor(rows: int, database_url: str, stock: bool) -> dict[str, float]:
    """The raw floor on a moto server started for it alone: stock moto, or the stack's patched server."""
    server = MotoServer(WORK / f"floor-{'stock' if stock else 'fast'}-{rows}.log", stock=stock)
    settings = Settings(aws_endpoint_url=server.start())
    try:
        return run_floor(settings, bootstrap.build(settings).aws, rows, database_url)
    finally:
        server.stop()


def run_floor(settings: Settings, clients: AwsClients, rows: int, database_url: str) -> dict[str, float]:
    """The same items written, read back from a stream, and copied into PostgreSQL: no pipeline code."""
    table = f"BenchFloor{rows}-{int(time.time())}"
    dynamodb = clients.dynamodb
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "upload_id", "KeyType": "HASH"},
                   {"AttributeName": "record_id", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "upload_id", "AttributeType": "S"},
                              {"AttributeName": "record_id", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    cells = {c: f"value {c}" for c in CSV_COLUMNS}
    items = [serialize(to_item(PendingRow("FLOOR", "BENCH", n, cells, tuple(cells.values())), 0))
             for n in range(1, rows + 1)]

    started = time.perf_counter()
    for start in range(0, rows, 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        dynamodb.batch_write_item(RequestItems={table: requests})  # type: ignore[dict-item]
    write_s = time.perf_counter() - started

    streams = clients.dynamodbstreams
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    started = time.perf_counter()
    read = 0
    while read < rows:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        read += len(response["Records"])
        iterator = response["NextShardIterator"]
    read_s = time.perf_counter() - started
    dynamodb.delete_table(TableName=table)

    import psycopg2

    from onboarding.local.postgres import credentials_from_url

    creds = credentials_from_url(database_url)
    conn = psycopg2.connect(host=creds.host, port=creds.port, user=creds.username, password=creds.password,
                            dbname=creds.dbname)
    buffer = "".join("\t".join([f"P{n}", *cells.values()]) + "\n" for n in range(rows))
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE floor_copy (" + ", ".join(f"c{i} text" for i in range(15)) + ")")
        started = time.perf_counter()
        cur.copy_expert("COPY floor_copy FROM STDIN", _StringReader(buffer))
        copy_s = time.perf_counter() - started
    conn.close()
    return {"dynamodb_write_s": round(write_s, 2), "stream_read_s": round(read_s, 2), "copy_s": round(copy_s, 3),
            "floor_s": round(write_s + read_s + copy_s, 2)}


class _StringReader:
    def __init__(self, text: str) -> None:
        self._data = text.encode()
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._offset + size
        chunk = self._data[self._offset:end]
        self._offset = end
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


# -- memory and imports ----------------------------------------------------------------------------


def peak_mib(call: Any) -> float:
    tracemalloc.start()
    try:
        call()
        return round(tracemalloc.get_traced_memory()[1] / 1_048_576, 1)
    finally:
        tracemalloc.stop()


def measure_memory(rows: int) -> dict[str, float]:
    """Each handler alone, the worker stopped, on the given size's file (and a 1,000-row stream batch)."""
    settings = bootstrap.settings()
    clients = bootstrap.container().aws
    vendor_id = f"BENCH{rows}"
    path = WORK / f"{vendor_id}_catalog.csv"
    key = f"{settings.upload_prefix}{vendor_id}/{vendor_id}_memory.csv"
    clients.s3.put_object(Bucket=settings.upload_bucket, Key=key, Body=path.read_bytes())
    body = json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": settings.upload_bucket}, "object": {"key": key}}}]})
    handlers = {name: load_handler(name) for name in FUNCTIONS}
    parser_peak = peak_mib(lambda: handlers["csv_parser"]({"Records": [{"messageId": "m", "body": body}]}))

    catalog = bootstrap.container().catalog
    catalog.start_upload(NewUpload("BENCH_MEMORY", vendor_id, "m.csv", settings.upload_bucket, key, None))
    catalog.set_upload_layout("BENCH_MEMORY", 1000, list(CSV_COLUMNS), [], 1)
    with path.open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        pending = [PendingRow("BENCH_MEMORY", vendor_id, n, {**row, "sku": f"MEM-{n}",
                                                              "vendor_product_id": f"MEM-{n}"},
                              tuple(row.values()))
                   for n, row in zip(range(1, 1001), reader, strict=False)]
    records = [{"eventID": str(r.row_number), "eventName": "INSERT",
                "dynamodb": {"NewImage": serialize(to_item(r, 0)), "SequenceNumber": str(r.row_number)}}
               for r in pending]
    validator_peak = peak_mib(lambda: handlers["validator"](stream_event(records, "arn:bench", settings.aws_region)))

    queue_url = clients.sqs.get_queue_url(QueueName=settings.error_queue)["QueueUrl"]
    messages = clients.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    error_event = sqs_event(messages, "arn:bench", settings.aws_region)
    error_peak = peak_mib(lambda: handlers["error_processor"](error_event))
    return {"csv_parser_mib": parser_peak, "validator_mib": validator_peak, "error_processor_mib": error_peak}


def import_times(samples: int) -> dict[str, float]:
    """Seconds to import each handler module in a fresh interpreter (the median of `samples` interpreters), told
    it is in Lambda, so it imports what a cold start does (the tracer and the X-Ray SDK)."""
    environ = {**os.environ, LAMBDA_TASK_ROOT: str(ROOT)}
    times = {}
    for name in FUNCTIONS:
        code = (
            "import time, importlib.util as u; t = time.perf_counter(); "
            f"s = u.spec_from_file_location('h', {str(ROOT / 'services' / name / 'handler.py')!r}); "
            "m = u.module_from_spec(s); s.loader.exec_module(m); print(time.perf_counter() - t)"
        )
        measured = [
            float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 cwd=ROOT, env=environ).stdout)
            for _ in range(samples)
        ]
        times[name] = round(statistics.median(measured), 3)
    return times


# -- report ----------------------------------------------------------------------------------------


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| rows | wall s | rows/s | stock floor s (write + read) | ratio to stock | fast-path floor s (write + read) "
        "| ratio to fast path | parse | ddb write | stream read | validate | db write | report "
        "| S3 | DynamoDB | Streams | SQS | SNS | SQL | SQL/validator call | SQS calls/10 failed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        stages, calls = run["stages_s"], run["calls_per_1000_rows"]
        stock, fast = run["floor_stock"], run["floor_fast_path"]
        lines.append(
            f"| {run['rows']:,} | {run['wall_s']} | {run['rows_per_s']} | {stock['floor_s']} "
            f"({stock['dynamodb_write_s']} + {stock['stream_read_s']}) | {run['ratio_to_stock_floor']} | "
            f"{fast['floor_s']} ({fast['dynamodb_write_s']} + {fast['stream_read_s']}) | "
            f"{run['ratio_to_fast_path_floor']} | {stages['parse']} | {stages['dynamodb_write']} | "
            f"{stages['stream_read']} | "
            f"{stages['validate']} | {stages['database_write']} | {stages['report']} | {calls['s3']} | "
            f"{calls['dynamodb']} | {calls['streams']} | {calls['sqs']} | {calls['sns']} | {calls['sql']} | "
            f"{run['sql_per_validator_invocation']} | {run['sqs_send_calls_per_10_failed_rows']} |"
        )
    memory = results["peak_memory"]
    lines += [
        "",
        f"{results['machine']['cpus']} CPUs; 1-minute load average before and after each size: "
        + ", ".join(f"{run['rows']:,}: {run['load_average_1min'][0]} / {run['load_average_1min'][1]}"
                    for run in results["runs"]) + ".",
        f"Calls are per 1,000 rows. Peak traced Python memory on the {memory['rows']:,}-row file: csv_parser "
        f"{memory['csv_parser_mib']} MiB, validator {memory['validator_mib']} MiB (1,000-row batch), "
        f"error_processor {memory['error_processor_mib']} MiB. Handler import times: "
        + ", ".join(f"{k} {v} s" for k, v in results["import_times_s"].items()) + ".",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--quick", action="store_true", help="1,000 rows only")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    parser.add_argument("--pipeline-only", action="store_true",
                        help="the pipeline's figures only (no floors, memory or import times); nothing recorded")
    parser.add_argument("--import-samples", type=int, default=3,
                        help="fresh interpreters per handler whose median import time is reported")
    args = parser.parse_args(argv)
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    results_dir: Path = args.results_dir
    WORK.mkdir(parents=True, exist_ok=True)
    results_dir.mkdir(parents=True, exist_ok=True)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"

    home = Path(tempfile.mkdtemp(prefix="onboard-bench-"))
    os.environ["ONBOARD_HOME"] = str(home)
    stack = start_stack(home)
    load_stack_env(home)
    bootstrap.reset()
    from onboarding.local.postgres import url_from_credentials

    database_url = url_from_credentials(stack.database)
    results: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": {
        "cpus": os.cpu_count(), "python": sys.version.split()[0]}, "runs": []}
    try:
        for rows in sizes:
            print(f"-- {rows:,} rows through the pipeline ...", flush=True)
            load_before = os.getloadavg()[0]
            run = run_size(stack, rows, home)
            if not args.pipeline_only:
                print(f"-- {rows:,} rows, raw floor on a fresh stock moto server ...", flush=True)
                run["floor_stock"] = fresh_floor(rows, database_url, stock=True)
                print(f"-- {rows:,} rows, raw floor on a fresh patched server (fast paths) ...", flush=True)
                run["floor_fast_path"] = fresh_floor(rows, database_url, stock=False)
                run["ratio_to_stock_floor"] = round(run["wall_s"] / run["floor_stock"]["floor_s"], 2)
                run["ratio_to_fast_path_floor"] = round(run["wall_s"] / run["floor_fast_path"]["floor_s"], 2)
            # The machine may be shared: the 1-minute load average (runnable processes) before and after.
            run["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            if args.pipeline_only:
                print(json.dumps(run), flush=True)
            results["runs"].append(run)
        if args.pipeline_only:
            return 0
        print("-- peak memory and import times ...", flush=True)
        results["peak_memory"] = {"rows": sizes[-1], **measure_memory(sizes[-1])}
        results["import_times_s"] = import_times(args.import_samples)
    finally:
        bootstrap.reset()
        stack.stop()
    text = json.dumps(results, indent=2)
    (results_dir / "latest.json").write_text(text + "\n")
    (results_dir / f"{results['date'][:19].replace(':', '')}.json").write_text(text + "\n")
    print()
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
