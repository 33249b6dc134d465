# The MeWeT lab's image: the `mewet` command (API, ingest, simulator) on Python 3.11.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mewet ./mewet
# the lab runs as `mewet`, in group 1883 (the broker image's) so that Mosquitto can read
# the account files the lab writes, and nobody else can
RUN pip install --no-cache-dir . && groupadd --system --gid 1883 broker \
    && useradd --system --uid 10001 --gid broker --home /data mewet && mkdir -p /data \
    && chown mewet:broker /data && chmod 750 /data
WORKDIR /data
USER mewet
ENTRYPOINT ["mewet"]
CMD ["--help"]
