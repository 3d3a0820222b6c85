# The Custos image: the web server by default; the same image runs the Celery workers and beat
# (see docker-compose.yml). It runs the production profile and refuses to start until
# DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL are set.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Run-time libraries: Pango and HarfBuzz for WeasyPrint (case packages, rendered by the reports
# worker), DejaVu and Noto fonts so that Latin, Cyrillic and Arabic text renders in PDFs, and
# libmagic to sniff the type of uploaded files.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
        fonts-noto-core \
        libmagic1 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 custos \
    && useradd --system --uid 10001 --gid custos --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin custos

WORKDIR /app

# Dependencies first, so that a change of the code does not reinstall them. Installing the
# project installs only its dependencies (pyproject.toml: packages = []); the code runs from
# /app.
COPY pyproject.toml README.md ./
RUN pip install . \
    && rm -rf build ./*.egg-info

COPY . .

ENV DJANGO_SETTINGS_MODULE=custos.settings \
    DJANGO_ENV=production \
    CUSTOS_VAR_DIR=/var/lib/custos \
    CUSTOS_STATIC_ROOT=/app/staticfiles \
    CUSTOS_MEDIA_ROOT=/var/lib/custos/files \
    WEB_CONCURRENCY=3

# Static files are collected at build time under the production profile: it stores them with
# CompressedManifestStaticFilesStorage, whose manifest must exist before the first page renders
# (a development-profile collectstatic writes no manifest). The values below only let the
# settings load; collectstatic connects to nothing, and the key is random and thrown away.
# The folders for uploaded files and the beat schedule are created here, owned by the app
# user, so that named volumes mounted on them start with that owner.
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    CELERY_BROKER_URL=redis://build.invalid:6379/0 \
    EMAIL_URL=consolemail:// \
    CUSTOS_BASE_URL=https://build.invalid \
    CUSTOS_SIGNING_P12=/build.invalid.p12 \
    python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/custos/files /var/lib/custos/beat \
    && chown -R custos:custos /var/lib/custos

USER custos

EXPOSE 8000

# /healthz checks the database, the broker and file storage. It is exempt from the HTTPS
# redirect, but Django still checks the Host header: send the first allowed host.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=8)"]

# Worker processes come from WEB_CONCURRENCY. The heartbeat files go to /dev/shm, not to the
# container's overlay file system. Threaded workers keep their heartbeat while a thread
# receives a multi-gigabyte evidence upload (a sync worker would be killed at --timeout).
CMD ["gunicorn", "custos.wsgi", \
     "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", \
     "--threads", "4", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--max-requests", "1000", \
     "--max-requests-jitter", "100", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-"]
