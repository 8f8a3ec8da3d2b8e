# properbot as a small image: `properbot run` (the bot and its web server) as a non-root user.
# Build from the repository root: docker build -t properbot .   (docs/DEPLOY.md)

# --- build: the package and its runtime dependencies into a virtualenv, no dev extras -------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/properbot
WORKDIR /src
# .dockerignore lets in only pyproject.toml, README.md and the packages.
COPY . .
# pip and setuptools are not needed to run (11 MB): removed once the install is done.
RUN /opt/properbot/bin/pip install . \
    && /opt/properbot/bin/pip uninstall --yes pip setuptools \
    && find /opt/properbot -name __pycache__ -type d -prune -exec rm -rf {} +

# --- runtime: the same Python, the virtualenv, nothing else -----------------------------------
FROM python:3.11-slim
# Inside a container the web server must listen beyond loopback; publish it only to the
# reverse proxy (deploy/compose.yaml does not publish it at all).
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/properbot/bin:$PATH \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080 \
    EVIDENCE_DIR=/var/lib/properbot/evidence
# A fixed uid, so a volume's files keep their owner across rebuilds; home is the data folder
# (matplotlib keeps its font cache under ~/.config).
RUN groupadd --system --gid 10001 properbot \
    && useradd --system --uid 10001 --gid properbot --home-dir /var/lib/properbot \
       --shell /usr/sbin/nologin properbot \
    && mkdir -p /var/lib/properbot/evidence \
    && chown -R properbot:properbot /var/lib/properbot
COPY --from=build /opt/properbot /opt/properbot
USER properbot
WORKDIR /var/lib/properbot
# Evidence files (photos, documents, seminar materials): back them up with the database.
VOLUME ["/var/lib/properbot/evidence"]
EXPOSE 8080
# Liveness only (/healthz); /readyz (database, migrations) is for the proxy and monitoring.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=4)"]
# `docker run IMAGE` runs the bot; `docker run IMAGE db upgrade` (or any command) the CLI.
ENTRYPOINT ["properbot"]
CMD ["run"]
