"""A machine with two H100s, for the GPU serving tests on a machine without a GPU:
what its ``nvidia-smi`` answers, and the variables that pin or share a GPU."""

from __future__ import annotations

H100 = "NVIDIA H100 80GB HBM3"
FAKE_SMI = f"""#!/bin/sh
# nvidia-smi as on a machine with two H100s (only what Lienzo asks it)
case "$1" in
  -L) echo "GPU 0: {H100} (UUID: GPU-0aa)"; echo "GPU 1: {H100} (UUID: GPU-1bb)" ;;
  --query-gpu=memory.total) echo 81559; echo 81559 ;;
  *) exit 9 ;;
esac
"""
GPU_VARIABLES = ("CUDA_VISIBLE_DEVICES", "LIENZO_GPU", "LIENZO_GPU_MEMORY_FRACTION",
                 "LIENZO_PRECISION", "LIENZO_ENGINE_WORKERS", "XLA_PYTHON_CLIENT_PREALLOCATE",
                 "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_CLIENT_MEM_FRACTION")
