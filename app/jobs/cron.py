"""What runs on a timer, for `flask --app app scheduler` (rq's CronScheduler).

The scheduler only enqueues; the jobs run in a worker, which has the app context.
rq's CronScheduler takes no lock: run exactly one scheduler process, or every job
is enqueued once per scheduler (harmless for these jobs, but wasteful).
"""

from redis import Redis
from rq.cron import CronScheduler

from app.jobs.broadcasts import send_due_broadcasts
from app.jobs.queue import DEFAULT_QUEUE
from app.jobs.reminders import refresh_occurrences, send_due_reminders
from app.jobs.sweep import sweep_outbox
from app.jobs.tasks import send_due_waves, send_task_reminders, settle_tasks

# (job, every so many seconds)
PERIODIC = (
    (sweep_outbox, 60),
    (send_due_reminders, 600),
    (refresh_occurrences, 3600),
    # Volunteer tasks: next waves and expiry within a minute; reminders like activities'.
    (send_due_waves, 60),
    (settle_tasks, 60),
    (send_task_reminders, 600),
    # Broadcasts held through the quiet hours go out in the morning.
    (send_due_broadcasts, 60),
)


def build_scheduler(connection: Redis) -> CronScheduler:
    """A CronScheduler with every periodic job registered on the "default" queue."""
    scheduler = CronScheduler(connection=connection)
    for job, seconds in PERIODIC:
        scheduler.register(job, DEFAULT_QUEUE, interval=seconds, job_timeout=seconds * 2)
    return scheduler
