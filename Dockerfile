# The MeWeT lab's image: the `mewet` command (API, ingest, simulator) on Python 3.11.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mewet ./mewet
RUN pip install --no-cache-dir . && useradd --system --home /data mewet && mkdir -p /data \
    && chown mewet /data
WORKDIR /data
ENTRYPOINT ["mewet"]
CMD ["--help"]
