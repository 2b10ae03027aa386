"""gunicorn settings shared by ./scripts/run and the Docker image (`gunicorn -c gunicorn.conf.py`).

Everything is overridable from the environment; see .env.example.
"""

import os
from pathlib import Path

import environ
from prometheus_client import multiprocess

# The same optional .env file that fastlead/settings.py reads (real environment wins).
if (Path(__file__).resolve().parent / ".env").is_file():
    environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)

wsgi_app = "fastlead.wsgi:application"

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow forever.
# Workers are recycled now and then (a guard against slow leaks), far apart: while the master
# replaces a worker (up to a second) the others serve alone, and a wide jitter keeps two
# workers from being replaced at once (at 2,000 ± 10 % both went together: a 1 s stall).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 2
# The app is loaded once, in the master (fastlead/wsgi.py warms it), and forked: a recycled
# worker starts warm instead of importing Django anew on a busy machine.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() != "false"

# Requests are logged by django-structlog as JSON (with the request id); gunicorn's own
# access log would duplicate them without the correlation id.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Trust X-Forwarded-* only from the proxy in front (comma-separated IPs/CIDRs, or "*").
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Heartbeat files on tmpfs where there is one (containers), so a slow disk cannot stall workers.
if os.path.isdir("/dev/shm"):  # noqa: S108 - a directory choice, not a temp file
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# No runtime control socket: nothing uses gunicornc, and two instances would share one path.
control_socket_disable = True

# Prometheus: with more than one worker each writes its samples to PROMETHEUS_MULTIPROC_DIR and
# /metrics sums them (apps/core/metrics.py). The directory is emptied when gunicorn starts (files
# of a previous run would be counted again) and a worker's live gauges go when it exits.
if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(
        Path(os.environ.get("FASTLEAD_VAR_DIR", Path(__file__).resolve().parent / "var"))
        / f"prometheus-{os.environ.get('PORT', '8000')}"
    )


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
