# syntax=docker/dockerfile:1
# One image for every Javari process: web (the default command), Celery worker and Celery beat.
# docker-compose.yml runs it against PostgreSQL + pgvector and Redis; see the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# A real home directory: gunicorn keeps its control socket under ~/.gunicorn.
RUN useradd --create-home --uid 10001 --user-group javari

# Runtime requirements only (requirements-dev.txt is for `make test`). Every one ships a wheel,
# so the slim image needs no compiler. Installed before the code so a code change reuses this layer.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# The var directory (javari.embedded.var_dir): static files, uploads, the generated secret key.
# Explicit, so the build and every container agree on it.
ENV JAVARI_VAR_DIR=/app/var

# Translations and static files (into var/static) are part of the image. Importing the settings
# starts the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset, and writes a
# key when SECRET_KEY is unset: placeholders set for this step only prevent both; neither command
# connects to them.
# var/media (uploads) and var/state are volumes in docker-compose.yml; a new volume takes its
# directory's owner from the image, hence the chown. With SECRET_KEY unset at runtime the settings
# generate a key into var/secret_key: the symlink puts it in var/state, so the web, worker and beat
# containers share one key.
RUN DATABASE_URL=postgres://x@localhost/x \
    REDIS_URL=redis://localhost:6379/0 \
    SECRET_KEY=build-time-placeholder-never-used-at-runtime \
    sh -c 'python manage.py compile_translations && python manage.py collectstatic --noinput --verbosity 0' \
 && mkdir -p var/media var/state \
 && ln -s state/secret_key var/secret_key \
 && chown -R javari:javari var

USER javari

EXPOSE 8000

# /healthz touches no dependency. The request carries a Host that ALLOWED_HOSTS accepts (its first
# entry), or Django would answer 400 once ALLOWED_HOSTS names only the public host.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h if h not in ('', '*') else 'localhost'}), timeout=4)"]

# gunicorn reads the number of workers from WEB_CONCURRENCY itself (its default is 1).
# /dev/shm for the workers' heartbeat files: gunicorn's docs warn that a disk-backed /tmp can block them.
CMD ["gunicorn", "javari.asgi:application", \
     "--worker-class", "uvicorn_worker.UvicornWorker", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-"]
