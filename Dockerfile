# Lienzo on a GPU: one image for both the bot and the engine workers.
#   docker build -t lienzo .
#   docker run --gpus all -e TELEGRAM_BOT_TOKEN=... -v lienzo-data:/data lienzo bot
# The VGG19 ImageNet weights and the catalogue's paintings are fetched at build
# time, so a running container needs no network for them.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KERAS_HOME=/opt/lienzo/keras \
    LIENZO_STYLES_DIR=/opt/lienzo/styles \
    LIENZO_DATA_DIR=/data \
    KERAS_BACKEND=tensorflow

WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY bot ./bot
# tensorflow[and-cuda] brings CUDA and cuDNN as wheels; the host's NVIDIA driver
# comes in through the NVIDIA container toolkit (`--gpus all`).
RUN pip install "tensorflow[and-cuda]>=2.16" . \
 && python -c "from keras.applications import vgg19; vgg19.VGG19(include_top=False, weights='imagenet')" \
 && LIENZO_DATA_DIR=/opt/lienzo LIENZO_STYLES_DIR= lienzo styles --download \
 && useradd --create-home --uid 10001 lienzo \
 && mkdir -p /data && chown lienzo /data \
 && chmod -R a+rX /opt/lienzo

USER lienzo
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["lienzo"]
CMD ["bot"]
