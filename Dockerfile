# Kettle: a slim image that runs `kettle serve` as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY prompts ./prompts
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=3000 \
    DATABASE_URL=sqlite:////data/kettle.db KETTLE_FILES_DIR=/data/files
# /data/files exists in the image, owned by kettle, so a new named volume mounted there is
# created writable by Kettle (Docker copies the ownership of the folder it mounts over).
RUN useradd --create-home --uid 10001 kettle && mkdir -p /data/files && chown -R kettle /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER kettle
WORKDIR /home/kettle
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request,sys; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3000\")}/healthz', timeout=4).status == 200 else 1)"
STOPSIGNAL SIGTERM
CMD ["kettle", "serve"]
