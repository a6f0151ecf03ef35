"""What runs on a timer, for `flask --app app scheduler` (rq's CronScheduler).

The scheduler only enqueues; the jobs run in a worker, which has the app context.
rq's CronScheduler takes no lock: run exactly one scheduler process, or every job
is enqueued once per scheduler (harmless for these jobs, but wasteful).
"""

import importlib
import importlib.util

from redis import Redis
from rq.cron import CronScheduler

from app.jobs.queue import DEFAULT_QUEUE
from app.jobs.sweep import sweep_outbox

# (module, function, every so many seconds). Optional entries are skipped while their
# module does not exist; an error inside an existing module is not hidden.
OPTIONAL = (
    ("app.jobs.reminders", "send_due_reminders", 600),
    ("app.jobs.reminders", "refresh_occurrences", 3600),
)


def build_scheduler(connection: Redis) -> CronScheduler:
    """A CronScheduler with every periodic job registered on the "default" queue."""
    scheduler = CronScheduler(connection=connection)
    scheduler.register(sweep_outbox, DEFAULT_QUEUE, interval=60, job_timeout=120)
    for module_name, function_name, seconds in OPTIONAL:
        if importlib.util.find_spec(module_name) is None:
            continue
        function = getattr(importlib.import_module(module_name), function_name)
        scheduler.register(function, DEFAULT_QUEUE, interval=seconds)
    return scheduler
