"""The only backend-specific code: a value-and-gradient transform, a compiler and
the name of the device they run on.

Everything else in the engine is written with ``keras.ops`` and runs
unchanged on TensorFlow (default) and JAX.  ``value_and_grad(f)`` turns
``f(x, *args) -> (loss, aux)`` into ``g(x, *args) -> (loss, aux, dloss/dx)``;
``compile(f)`` returns the XLA-compiled form where the backend offers it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import keras

from engine.config import is_gpu

Tensor: TypeAlias = Any
"""A backend tensor (tf.Tensor or jax.Array).  Keras and TensorFlow ship no types, and
the engine's code is the same for both backends, so it is Any by name."""

SUPPORTED = ("tensorflow", "jax")


def name() -> str:
    backend: str = keras.backend.backend()
    if backend not in SUPPORTED:
        raise RuntimeError(
            f"KERAS_BACKEND={backend} is not supported; use one of {', '.join(SUPPORTED)}."
        )
    return backend


def value_and_grad(
    f: Callable[..., tuple[Tensor, Tensor]],
) -> Callable[..., tuple[Tensor, Tensor, Tensor]]:
    if name() == "jax":
        import jax

        vg = jax.value_and_grad(f, has_aux=True)

        def jax_value_and_grad(x: Tensor, *args: Tensor) -> tuple[Tensor, Tensor, Tensor]:
            (loss, aux), grad = vg(x, *args)
            return loss, aux, grad

        return jax_value_and_grad

    import tensorflow as tf

    def tf_value_and_grad(x: Tensor, *args: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss, aux = f(x, *args)
        return loss, aux, tape.gradient(loss, x)

    return tf_value_and_grad


def compile(f: Callable[..., Any]) -> Callable[..., Any]:  # noqa: A001 - the verb is the point
    """XLA-compile ``f``; shapes are static, so each image size compiles once."""
    if name() == "jax":
        import jax

        return jax.jit(f)
    import tensorflow as tf

    # Each scale of the schedule is a new shape and so a new trace, by design;
    # TF's "excessive retracing" warning would fire on every multiscale job.
    tf.get_logger().setLevel("ERROR")
    compiled: Callable[..., Any] = tf.function(f, jit_compile=True, reduce_retracing=False)
    return compiled


def device() -> str:
    """What the step runs on, in words: 'GPU: NVIDIA H100' or 'CPU'."""
    if name() == "jax":
        import jax

        d = jax.devices()[0]
        return "CPU" if d.platform == "cpu" else f"GPU: {d.device_kind}"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU: {details.get('device_name', gpus[0].name)}"


def has_gpu() -> bool:
    return is_gpu(device())
