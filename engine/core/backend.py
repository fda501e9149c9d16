"""The only backend-specific code: a value-and-gradient transform, a compiler, the
device they run on (its name, its precision) and its memory.

Everything else in the engine is written with ``keras.ops`` and runs
unchanged on TensorFlow (default) and JAX.  ``value_and_grad(f)`` turns
``f(x, *args) -> (loss, aux)`` into ``g(x, *args) -> (loss, aux, dloss/dx)``;
``compile(f)`` returns the XLA-compiled form where the backend offers it.

GPU serving (docs/architecture.md, "GPU serving"): ``device()`` names the GPU
with the index nvidia-smi gives it ("GPU 1: NVIDIA H100"), so a heartbeat says
which card of a machine a worker runs on; ``precision("auto")`` is bfloat16 on
GPUs with bf16 tensor cores (compute capability 8.0, Ampere, and later) and
float32 elsewhere; ``configure_memory`` makes TensorFlow take only what it needs
(JAX gets the same from ``engine.config.backend_environment``).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from typing import Any, TypeAlias

import keras

from engine import config
from engine.errors import InvalidParams

log = logging.getLogger("lienzo.engine")
BF16_MIN_CAPABILITY = (8, 0)  # Ampere: the first NVIDIA GPUs with bf16 tensor cores

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


def gpu() -> tuple[str, tuple[int, int] | None] | None:
    """The GPU the step runs on (the first visible one): its model and compute
    capability (None if the backend does not say); None on a CPU."""
    if name() == "jax":
        import jax

        d = jax.devices()[0]
        if d.platform == "cpu":
            return None
        return str(d.device_kind), _capability(getattr(d, "compute_capability", None))
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    details = tf.config.experimental.get_device_details(gpus[0])
    return str(details.get("device_name", gpus[0].name)), _capability(
        details.get("compute_capability"))


def _capability(value: object) -> tuple[int, int] | None:
    """(8, 0) from TensorFlow's (8, 0) or JAX's "8.0"."""
    try:
        if isinstance(value, str):
            major, minor = value.split(".")[:2]
            return int(major), int(minor)
        if isinstance(value, tuple | list) and len(value) >= 2:
            return int(value[0]), int(value[1])
    except ValueError:
        pass
    return None


def device(gpu_index: int | None = None) -> str:
    """What the step runs on, in words: 'GPU 1: NVIDIA H100' or 'CPU'.  The number is
    nvidia-smi's index of the GPU (``LIENZO_GPU``, ``EngineSettings.gpu``; None when
    the worker was not pinned: GPU 0, the first it sees)."""
    found = gpu()
    if found is None:
        return "CPU"
    return f"GPU {gpu_index or 0}: {found[0]}"


def has_gpu() -> bool:
    return gpu() is not None


def precision(requested: str = "auto") -> str:
    """``fp32`` or ``bf16``: ``requested`` unless it is ``auto``, which is bf16 on a
    GPU with bf16 tensor cores (there it roughly doubles the convolutions' speed,
    docs/benchmarks.md, "GPU") and fp32 elsewhere (a CPU gains little or nothing)."""
    if requested not in config.PRECISIONS:
        raise InvalidParams(f"precision must be one of {', '.join(config.PRECISIONS)}")
    if requested != "auto":
        return requested
    found = gpu()
    capability = found[1] if found else None
    return "bf16" if capability is not None and capability >= BF16_MIN_CAPABILITY else "fp32"


def configure_memory(fraction: float | None) -> str:
    """Make TensorFlow take only the GPU memory it needs (``fraction`` None: memory
    growth) or a fixed slice of it (a logical device of ``fraction`` × the GPU's
    memory); call before the first operation.  JAX is configured by the variables
    of ``engine.config.backend_environment`` instead.  Returns what was done, for
    the log."""
    global _tf_limit_mb
    share = "as needed" if fraction is None else f"at most {fraction:.0%}"
    if name() == "jax":
        return f"JAX allocates {share}"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "no GPU"
    limit_mb = None
    if fraction is not None:
        limit_mb = int(fraction * gpu_memory_mb("LIENZO_GPU_MEMORY_FRACTION"))
    try:
        for g in gpus:
            if limit_mb is None:
                tf.config.experimental.set_memory_growth(g, True)
            else:
                tf.config.set_logical_device_configuration(
                    g, [tf.config.LogicalDeviceConfiguration(memory_limit=limit_mb)])
    except RuntimeError as e:  # the runtime had started already (tests, a library caller)
        log.warning("GPU memory options not applied: %s", e)
        return "TensorFlow's defaults (the runtime had started)"
    _tf_limit_mb = limit_mb
    return f"TensorFlow allocates {share}" + (f" ({limit_mb} MiB)" if limit_mb else "")


_tf_limit_mb: int | None = None  # TensorFlow's GPU slice, when configure_memory set one


def free_memory() -> int | None:
    """Bytes the step may still allocate on the GPU (engine.core.memory's budget): JAX's
    allocator limit (``XLA_PYTHON_CLIENT_MEM_FRACTION``) less what it holds; under
    TensorFlow the GPU's free memory, within the slice ``configure_memory`` set.  None
    on a CPU (or when the GPU cannot say)."""
    if not has_gpu():
        return None
    if name() == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        if "bytes_limit" not in stats:
            return None
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    import tensorflow as tf

    held = int(tf.config.experimental.get_memory_info("GPU:0").get("current", 0))
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.free",
                              "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=30, check=True)
        free = int(out.stdout.split()[0]) * 2**20
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    if _tf_limit_mb is not None:
        free = min(free, _tf_limit_mb * 2**20 - held)
    return free


def gpu_memory_mb(setting: str) -> int:
    """The smallest GPU's memory in MiB, from nvidia-smi (TensorFlow cannot tell
    before it has started, and a memory limit must be set before that)."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total",
                              "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=30, check=True)
        return min(int(line.strip()) for line in out.stdout.splitlines() if line.strip())
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        raise InvalidParams(f"{setting} needs nvidia-smi to read the GPU's memory under "
                            f"TensorFlow ({type(e).__name__}); set it to auto") from None
