# syntax=docker/dockerfile:1
# One image for web, worker and beat (docker-compose.yml picks the command).
#   docker build -t fastlead .
#   docker run -p 8000:8000 -e DJANGO_SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... fastlead

# --- builder: every dependency as a wheel ----------------------------------------------------
FROM python:3.11.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

# --- runtime: slim, no compiler, non-root -----------------------------------------------------
FROM python:3.11.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json

RUN groupadd --system --gid 10001 fastlead \
    && useradd --system --uid 10001 --gid fastlead --home-dir /app --shell /usr/sbin/nologin fastlead

COPY --from=builder /wheels /wheels
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-index --find-links=/wheels -r /tmp/requirements.txt \
    && rm -rf /wheels /tmp/requirements.txt

WORKDIR /app
# Code stays owned by root (read-only to the app); only var/ (media, local state) is writable.
COPY . .
RUN set -eu; \
    for domain in $(find locale -path '*/LC_MESSAGES/*.po' -exec basename {} .po \; | sort -u); do \
        pybabel -q compile -d locale -D "$domain"; \
    done; \
    python manage.py collectstatic --noinput --verbosity 0; \
    mkdir -p var/media; \
    chown -R fastlead:fastlead var

USER fastlead
EXPOSE 8000

# /healthz with a Host the site accepts (the first of DJANGO_ALLOWED_HOSTS); HTTPS is assumed
# to end at the proxy, hence X-Forwarded-Proto.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; hosts = [h.lstrip('.') for h in os.environ.get('DJANGO_ALLOWED_HOSTS', 'localhost').split(',') if h and '*' not in h]; u.urlopen(u.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), headers={'Host': hosts[0] if hosts else 'localhost', 'X-Forwarded-Proto': 'https'}), timeout=4)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py"]
