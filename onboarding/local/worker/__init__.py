"""The worker: what Lambda's event source mappings do, for the local stack.

moto cannot run our functions (see EMULATORS.md), so this process polls the sources and calls the
handlers with events shaped exactly as AWS shapes them:

- upload queue -> csv_parser and error queue -> error_processor: SQS mappings with batch size,
  `ReportBatchItemFailures` (only the failed messages come back, after a backoff), and the queues'
  own redrive policy moving a message that keeps failing to its dead-letter queue;
- UploadRecords stream -> validator: a stream mapping with batch size, a filter on INSERT, retries
  from the first failed record, bisection of a failing batch, and an on-failure destination (an SQS
  queue) for a record that still fails. Its position is checkpointed to disk, so a killed worker,
  restarted, carries on after the last batch it finished;
- a schedule -> error_processor's sweeper, which finishes stalled uploads.
"""

from onboarding.local.worker.settings import MappingSettings
from onboarding.local.worker.sqs_mapping import SqsSource
from onboarding.local.worker.stream_mapping import Checkpoints, StreamSource
from onboarding.local.worker.supervision import (
    Worker,
    WorkerTopology,
    build_worker,
    topology_from_settings,
)

__all__ = [
    "Checkpoints",
    "MappingSettings",
    "SqsSource",
    "StreamSource",
    "Worker",
    "WorkerTopology",
    "build_worker",
    "topology_from_settings",
]
