# syntax=docker/dockerfile:1
# Scrum Support Bot: a small, non-root image. Everything, the Sudachi dictionary included, is
# installed at build time; the container downloads nothing when it runs.
#
#   docker build -t scrum-bot .
#   docker compose up -d            (bot + PostgreSQL; see compose.yaml and docs/operations-ja.md)
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---- build: a venv with the package and its pinned dependencies -------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/scrum-bot
COPY deploy/constraints.txt deploy/constraints.txt
COPY pyproject.toml README.md ./
COPY bot ./bot
# sudachidict-core (pinned with sudachipy in pyproject.toml) ships the dictionary inside its wheel.
RUN /opt/scrum-bot/bin/pip install --constraint deploy/constraints.txt . \
 && /opt/scrum-bot/bin/python -c "from sudachipy import Dictionary; Dictionary(dict='core').create().tokenize('相談')"

# ---- runtime ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/scrum-bot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SCRUM_HOST=0.0.0.0 \
    SCRUM_PORT=8080 \
    SCRUM_LOG_JSON=true \
    SCRUM_CATALOGUE_PATH=/app/knowledge/services.yaml \
    SCRUM_DATABASE_URL=sqlite+aiosqlite:////app/var/scrum-bot.db \
    SCRUM_BACKUP_DIR=/app/var/backups
RUN groupadd --system --gid 10001 scrum \
 && useradd --system --uid 10001 --gid scrum --home-dir /app --no-create-home --shell /usr/sbin/nologin scrum \
 && mkdir -p /app/var \
 && chown scrum:scrum /app/var
WORKDIR /app
COPY --from=build /opt/scrum-bot /opt/scrum-bot
COPY knowledge ./knowledge
COPY --chmod=0755 deploy/entrypoint.sh deploy/healthcheck.py ./deploy/
# The catalogue must load in the image as built (a broken catalogue fails the build, not the start).
RUN scrum-bot catalogue check --catalogue /app/knowledge/services.yaml
USER 10001:10001
VOLUME ["/app/var"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["serve"]
