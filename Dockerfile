# GOTRS container image: gunicorn serving gotrs_app on port 8080.
# Settings come from the environment (GOTRS_DATABASE_URL, GOTRS_REDIS_URL, GOTRS_SECRET_KEY, ...);
# without them it runs on SQLite under /app/var, which should be a volume.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 GOTRS_VAR_DIR=/app/var
WORKDIR /app

COPY setup.cfg pyproject.toml README.md ./
COPY goatkit ./goatkit
COPY modules ./modules
COPY routes ./routes
COPY themes ./themes
COPY lambdas ./lambdas
COPY i18n ./i18n
COPY gotrs_app.py ./
RUN pip install -e . \
    && useradd --system --home /app --uid 10001 gotrs \
    && mkdir -p /app/var && chown gotrs /app/var

USER gotrs
VOLUME ["/app/var"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
# `gotrs db init` is idempotent: run it once per deployment (or as an init container) before serving.
# Live updates reach every worker only through Redis: without GOTRS_REDIS_URL the default is one (threaded) worker.
CMD ["sh", "-c", "gotrs db init && exec gotrs serve --host 0.0.0.0 --port 8080 --workers ${GOTRS_WORKERS:-$([ -n \"$GOTRS_REDIS_URL\" ] && echo 2 || echo 1)}"]
