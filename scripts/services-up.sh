#!/usr/bin/env bash
# Make sure the Redis and PostgreSQL that the tests use are running on 127.0.0.1, and that
# Chromium is there for the browser tests.
# In CI they are installed but may be stopped; on a laptop they may be missing, in which
# case this only warns, and the tests that need them fail saying what they could not reach.
set -uo pipefail

warn() { echo "services-up: $*" >&2; }

wait_for() {  # wait_for <what> <command...>: up to 15 s
    local what=$1; shift
    for _ in $(seq 30); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    warn "$what did not come up"
    return 1
}

if ! command -v redis-cli >/dev/null; then
    warn "redis-cli not found; tests expect Redis on 127.0.0.1:6379 (or set TEST_REDIS_URL)"
elif ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    if command -v redis-server >/dev/null; then
        echo "services-up: starting Redis"
        mkdir -p /var/lib/redis /var/log/redis 2>/dev/null
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
        wait_for Redis redis-cli -h 127.0.0.1 ping
    else
        warn "Redis is not running and redis-server is not installed"
    fi
fi

if ! command -v pg_isready >/dev/null; then
    warn "pg_isready not found; tests expect PostgreSQL on 127.0.0.1:5432, database test" \
        "(or set TEST_POSTGRES_URL, or TEST_BACKENDS=sqlite)"
elif ! pg_isready -h 127.0.0.1 >/dev/null 2>&1; then
    if command -v pg_ctlcluster >/dev/null; then
        echo "services-up: starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
        wait_for PostgreSQL pg_isready -h 127.0.0.1
    else
        warn "PostgreSQL is not running and pg_ctlcluster is not available"
    fi
fi
# The browser tests drive Debian's Chromium; without it they are skipped, saying so.
if ! command -v chromium >/dev/null && [ -z "${CHROMIUM:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "services-up: installing Chromium for the browser tests"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 \
                 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } \
            || warn "could not install Chromium; the browser tests will be skipped"
    else
        warn "Chromium not found; the browser tests will be skipped (apt-get install chromium)"
    fi
fi
exit 0
