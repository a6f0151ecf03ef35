"""What runs on a timer, for `flask --app app scheduler` (rq's CronScheduler).

The scheduler only enqueues; the jobs run in a worker, which has the app context.
rq's CronScheduler takes no lock: run exactly one scheduler process, or every job
is enqueued once per scheduler (harmless for these jobs, but wasteful).
"""

from redis import Redis
from rq.cron import CronScheduler

from app.config import Config
from app.jobs.broadcasts import send_due_broadcasts
from app.jobs.queue import DEFAULT_QUEUE
from app.jobs.reminders import refresh_occurrences, send_due_reminders
from app.jobs.retention import apply_retention
from app.jobs.sweep import sweep_outbox
from app.jobs.tasks import send_due_waves, send_task_reminders, settle_tasks
from app.jobs.webhooks import sweep_deliveries

# (job, every so many seconds)
PERIODIC = (
    (sweep_outbox, Config.OUTBOX_SWEEP_SECONDS),  # 60 unless set
    (send_due_reminders, 600),
    (refresh_occurrences, 3600),
    # Volunteer tasks: next waves and expiry within a minute; reminders like activities'.
    (send_due_waves, 60),
    (settle_tasks, 60),
    (send_task_reminders, 600),
    # Broadcasts held through the quiet hours go out in the morning.
    (send_due_broadcasts, 60),
    # Personal data: old message bodies, notes and recordings are blanked.
    (apply_retention, 3600),
    # Webhooks out whose job was lost (Redis down) are queued again.
    (sweep_deliveries, 300),
)


def build_scheduler(connection: Redis) -> CronScheduler:
    """A CronScheduler with every periodic job registered on the "default" queue."""
    scheduler = CronScheduler(connection=connection)
    for job, seconds in PERIODIC:
        scheduler.register(job, DEFAULT_QUEUE, interval=seconds, job_timeout=seconds * 2)
    return scheduler
