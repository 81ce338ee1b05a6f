"""The Temporal Schedules nrmflow runs: the coordinators' daily digest. `apply` creates or updates them, so
`nrm up` and `nrm schedules apply` can run it any number of times."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from plumbing.settings import Settings
from workflows.digest import DigestRequest, DigestWorkflow

DIGEST_SCHEDULE_ID = "nrm-daily-digest"


def digest_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DigestWorkflow.run,
            DigestRequest(window_hours=settings.digest_window_hours),
            id=DIGEST_SCHEDULE_ID,
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(settings.digest_hour)], minute=[ScheduleRange(0)], second=[ScheduleRange(0)]
                )
            ],
            time_zone_name=settings.digest_timezone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def apply_schedules(client: Client, settings: Settings) -> dict[str, str]:
    """Create each schedule, or bring an existing one up to the settings (keeping whether it is paused, and the
    pause's note); returns id -> "created"/"updated"."""
    wanted = digest_schedule(settings)
    try:
        await client.create_schedule(DIGEST_SCHEDULE_ID, wanted)
        return {DIGEST_SCHEDULE_ID: "created"}
    except ScheduleAlreadyRunningError:

        def replace(current: ScheduleUpdateInput) -> ScheduleUpdate:
            # an operator's pause, and its note, are the operator's: re-applying the settings keeps them
            state = current.description.schedule.state
            wanted.state = ScheduleState(paused=state.paused, note=state.note)
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(DIGEST_SCHEDULE_ID).update(replace)
        return {DIGEST_SCHEDULE_ID: "updated"}
