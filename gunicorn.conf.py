"""gunicorn's settings for the web process, read by gunicorn itself from the working
directory: the Procfile's `gunicorn app.wsgi:app` and the benchmarks' servers (app and
floor alike, bench/env.py) run with exactly these.

Sync workers, 2 × CPUs + 1 (gunicorn's own advice): a webhook spends most of its time
waiting for PostgreSQL, so more processes than cores keep the cores busy. Set
WEB_CONCURRENCY to choose the number (as Heroku-style platforms do); the address is
gunicorn's default, or 0.0.0.0:$PORT where the platform sets PORT.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
# Twilio sends bursts (a broadcast's replies, a busy morning): queue rather than refuse.
backlog = 2048
# Twilio gives up on a webhook after 15 s; a worker stuck past twice that is restarted.
timeout = 30
