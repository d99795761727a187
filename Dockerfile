# syntax=docker/dockerfile:1
# Customer Success FTE: one image for every role (web, worker, beat, relay, bridge, metrics,
# init), chosen by the command: `docker run IMAGE worker`. See scripts/docker-entrypoint and
# docs/deploy.md.
#
#   docker build -t fte:1.0.0 .
#
# Two stages. `build` installs the pinned requirements into a virtualenv (wheels only: nothing
# is compiled, so no stage needs a compiler), collects the static files and checks that the
# bundled embedding model loads. The final stage is the same slim Python with that virtualenv
# and the application copied in, owned by root and run as an unprivileged user: the code is
# read-only to the process, and the root filesystem can be mounted read-only. The only
# writable path the application needs is /tmp (the role file, heartbeats, beat's schedule,
# matplotlib's cache); gunicorn keeps its worker heartbeats in /dev/shm.

FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements.txt ./
RUN pip install --no-cache-dir --only-binary=:all: -r requirements.txt

COPY . .
# Static files are collected at build time (WhiteNoise serves them from the image). Settings
# need a database URL to import; nothing connects to it here.
RUN FTE_DEV_MODE=1 FTE_NO_ENV_FILES=1 DATABASE_URL=postgres://build@127.0.0.1:9/build \
        python manage.py collectstatic --no-input -v 0 \
    && python -m compileall -q /app \
    && HF_HUB_OFFLINE=1 python -c "from agent_app.embeddings import LocalMiniLMEmbedder; \
vector = LocalMiniLMEmbedder().embed(['the model is baked into the image'])[0]; \
assert len(vector) == 384, len(vector)"

FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="Customer Success FTE" \
      org.opencontainers.image.description="Web, workers and consumers of the Customer Success FTE; the role is the command."

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FTE_NO_ENV_FILES=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    HF_HUB_OFFLINE=1 \
    PORT=8000

RUN groupadd --system --gid 10001 fte \
    && useradd --system --uid 10001 --gid fte --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin fte

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app

USER 10001:10001
EXPOSE 8000
VOLUME ["/tmp"]

# Compose and plain `docker run` use this; Kubernetes runs the same script from its probes.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["/app/scripts/docker-entrypoint", "probe", "ready"]

ENTRYPOINT ["/app/scripts/docker-entrypoint"]
CMD ["web"]
