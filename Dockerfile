# Lienzo on a GPU: one image for both the bot and the engine workers.
#   docker build -t lienzo .
#   docker run --gpus all -e TELEGRAM_BOT_TOKEN=... -e LIENZO_ENGINE_WORKERS=auto \
#     -v lienzo-data:/data lienzo bot       # one worker per GPU (auto:2 = two per GPU)
#   docker run --gpus '"device=1"' ... lienzo worker     # one worker, one GPU (compose)
# The VGG19 ImageNet weights and the catalogue's paintings are fetched at build
# time, so a running container needs no network for them.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KERAS_HOME=/opt/lienzo/keras \
    LIENZO_STYLES_DIR=/opt/lienzo/styles \
    LIENZO_DATA_DIR=/data \
    KERAS_BACKEND=tensorflow \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
# utility: nvidia-smi in the container, which LIENZO_ENGINE_WORKERS=auto counts GPUs
# with and a TensorFlow worker's LIENZO_GPU_MEMORY_FRACTION reads the memory from.

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
