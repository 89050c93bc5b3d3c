# syntax=docker/dockerfile:1
# sagemaker-emulator: build wheels in one stage, install them into a slim runtime image in the next.

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator ./emulator
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SAGEMAKER_EMULATOR_HOST=0.0.0.0 \
    SAGEMAKER_EMULATOR_PORT=8787 \
    SAGEMAKER_EMULATOR_DATABASE_URL=sqlite:////data/sagemaker-emulator.db
# The wheels are bind-mounted from the build stage, so they never become a layer of the final image.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/*.whl \
    && groupadd --system --gid 10001 emulator \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin emulator \
    && mkdir /data \
    && chown 10001:10001 /data
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["python", "-m", "emulator.healthcheck"]
# Configuration only through SAGEMAKER_EMULATOR_* env vars, the same as the CLI's flags.
CMD ["sagemaker-emulator", "serve"]
