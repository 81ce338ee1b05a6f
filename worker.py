"""The nrmflow worker: the case workflow, its activities and the encrypting data converter on one task queue.

`python worker.py` and `nrm worker` run it against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE; `nrm up` runs it beside
the embedded dev server.
"""

from __future__ import annotations

import asyncio

import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.notifications import MaildirOutbox, NotificationActivities
from starter.connection import connect
from starter.logs import configure_logging
from starter.settings import Settings
from workflows.case import CaseWorkflow

log = structlog.get_logger(__name__)


def build_worker(client: Client, settings: Settings) -> Worker:
    notifications = NotificationActivities(MaildirOutbox(settings.outbox_path, settings.mail_domain))
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[CaseWorkflow],
        activities=[notifications.send_alert],
    )


async def run_worker(settings: Settings, client: Client | None = None) -> None:
    client = client or await connect(settings)
    worker = build_worker(client, settings)
    log.info("worker started", address=settings.temporal_address, namespace=settings.temporal_namespace,
             task_queue=settings.task_queue)
    await worker.run()


def main() -> None:
    from starter.exit import leave

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        asyncio.run(run_worker(settings))
    except KeyboardInterrupt:
        pass
    leave(0)


if __name__ == "__main__":
    main()
