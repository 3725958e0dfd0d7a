"""Checks tools/install.sh runs with the venv's Python, so that a GPU machine never ends up with a
venv that silently computes on CPU.

    python tools/install_check.py torch --hw gpu            # before the rest is installed
    python tools/install_check.py final --hw gpu --out VENV/.hardware.json

``torch``: on a GPU machine (``--hw gpu``, see tools/hw_kind.sh) torch must be a CUDA build that
sees the GPU and has code for its compute capability; otherwise exit 1 with a message saying what
is wrong and what to do (the driver's CUDA version against torch's, the options). ``final``: the
torch check again, exactly one faiss distribution (never faiss-cpu next to a GPU faiss, which
install the same module), on a GPU machine faiss's own GPU kernels run (tried in a child process:
a faiss wheel without code for the GPU aborts the process), then the hardware facts are written
as JSON (the install stamp's details: kind, GPUs, driver, torch, faiss).

Only the standard library at import time: the functions that decide are pure and tested
(tests/test_install.py).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

TORCH_MIN_DRIVER = {13: "R580", 12: "R525"}
"""The driver branch a CUDA major version needs (NVIDIA's minor-version compatibility)."""
CPU_FAISS = "faiss-cpu"
GPU_FAISS = (
    "faiss-gpu",
    "faiss-gpu-cu11",
    "faiss-gpu-cu12",
    "faiss-gpu-cuvs",
    "faiss-gpu-cu12-cuvs",
    "faiss-gpu-cu13-cuvs",
    "faiss-cuda",
)
"""Distributions that install a GPU build of the ``faiss`` module."""
CUDA12_TORCH_HINT = (
    "TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 (a torch 2.13.0 build for CUDA 12, "
    "if PyTorch publishes one; then rm -rf .venv && make install)"
)


# --- facts -----------------------------------------------------------------------------------------


def _run(cmd: list[str]) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def parse_gpu_query(text: str) -> list[dict]:
    """Rows of ``nvidia-smi --query-gpu=index,name,driver_version,compute_cap,memory.total
    --format=csv,noheader``."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 5 or not parts[0].isdigit():
            continue
        gpus.append(
            {
                "index": int(parts[0]),
                "name": parts[1],
                "driver": parts[2],
                "capability": parts[3],
                "memory": parts[4],
            }
        )
    return gpus


def parse_driver_cuda(text: str) -> str | None:
    """The highest CUDA version the driver supports, from ``nvidia-smi``'s banner."""
    found = re.search(r"CUDA Version:\s*([0-9]+\.[0-9]+)", text or "")
    return found.group(1) if found else None


def gpu_facts() -> dict:
    """What nvidia-smi says about this machine (empty GPU list when it is absent)."""
    query = _run(
        [
            "nvidia-smi",
            "--query-gpu=index,name,driver_version,compute_cap,memory.total",
            "--format=csv,noheader",
        ]
    )
    gpus = parse_gpu_query(query or "")
    return {
        "gpus": gpus,
        "driver": gpus[0]["driver"] if gpus else None,
        "driver_cuda": parse_driver_cuda(_run(["nvidia-smi"]) or ""),
    }


def torch_facts() -> dict:
    """Version, CUDA build, what it sees. ``import torch`` errors are facts too."""
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        return {"error": f"{type(exc).__name__}: {exc}"}
    facts = {
        "version": torch.__version__,
        "cuda": torch.version.cuda,
        "available": bool(torch.cuda.is_available()),
        "devices": 0,
        "arch_list": [],
        "capabilities": [],
    }
    if facts["available"]:
        facts["devices"] = torch.cuda.device_count()
        facts["arch_list"] = list(torch.cuda.get_arch_list())
        caps = [torch.cuda.get_device_capability(i) for i in range(facts["devices"])]
        facts["capabilities"] = [f"{major}.{minor}" for major, minor in caps]
    return facts


def faiss_dists() -> dict[str, str]:
    """Installed faiss distributions: name -> version."""
    found = {}
    for name in (CPU_FAISS, *GPU_FAISS):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return found


FAISS_GPU_PROBE = """
import numpy as np, faiss
res = faiss.StandardGpuResources()
index = faiss.GpuIndexFlatIP(res, 8)
x = np.eye(8, dtype=np.float32)
index.add(x)
_, idx = index.search(x, 1)
assert idx[:, 0].tolist() == list(range(8)), idx
print(faiss.get_num_gpus())
"""


def faiss_facts(hw: str) -> dict:
    """faiss version and GPUs; on ``gpu`` a real GPU search in a child process (its exit code:
    a faiss build without code for this GPU aborts, -6)."""
    facts: dict = {"dists": faiss_dists()}
    try:
        import faiss
    except Exception as exc:  # noqa: BLE001
        facts["error"] = f"{type(exc).__name__}: {exc}"
        return facts
    facts["version"] = faiss.__version__
    facts["gpu_build"] = hasattr(faiss, "StandardGpuResources")
    facts["gpus"] = faiss.get_num_gpus() if facts["gpu_build"] else 0
    if hw == "gpu" and facts["gpu_build"]:
        done = subprocess.run(
            [sys.executable, "-c", FAISS_GPU_PROBE], capture_output=True, text=True, timeout=300
        )
        facts["gpu_search_rc"] = done.returncode
        if done.returncode != 0:
            facts["gpu_search_error"] = (done.stderr or done.stdout).strip()[-500:]
    return facts


# --- verdicts (pure) -------------------------------------------------------------------------------


def _cuda_major(version: str | None) -> int | None:
    return int(version.split(".")[0]) if version and version.split(".")[0].isdigit() else None


def _has_code_for(arch_list: list[str], capability: str) -> bool:
    """Whether a torch arch list (``sm_90``, ``compute_90`` ...) runs on ``capability`` (``9.0``):
    SASS for exactly that major.minor, or PTX of a version at or below it."""
    major, minor = (int(x) for x in capability.split("."))
    want = major * 10 + minor
    for arch in arch_list:
        kind, _, num = arch.partition("_")
        digits = re.match(r"\d+", num)
        if not digits:
            continue
        value = int(digits.group(0))
        if kind == "sm" and value == want:
            return True
        if kind == "compute" and value <= want:
            return True
    return False


def torch_problem(hw: str, torch: dict, gpu: dict) -> str | None:
    """What is wrong with this torch on this machine, as one message; None when it is fine."""
    if "error" in torch:
        return f"torch cannot be imported: {torch['error']}"
    if hw != "gpu":
        return None
    gpus = gpu.get("gpus") or []
    what = (
        f"{len(gpus)} NVIDIA GPU(s) ({gpus[0]['name']}, driver {gpu.get('driver')})"
        if gpus
        else "an NVIDIA GPU (nvidia-smi -L lists one)"
    )
    version = torch["version"]
    if not torch.get("cuda"):
        return (
            f"this machine has {what}, but the venv's torch {version} is a CPU build: everything "
            "would run on CPU. Remove the venv (rm -rf .venv) and run make install again: on a "
            "GPU machine it installs torch's CUDA build (from TORCH_INDEX_URL when set, else "
            "PyPI; never a local +cpu wheel)"
        )
    if not torch.get("available"):
        need = _cuda_major(torch["cuda"])
        have = gpu.get("driver_cuda")
        msg = (
            f"this machine has {what}, but torch {version} (built for CUDA {torch['cuda']}) "
            "cannot see it (torch.cuda.is_available() is False): everything would run on CPU."
        )
        if need and _cuda_major(have) is not None and _cuda_major(have) < need:
            msg += (
                f" The driver supports CUDA up to {have}; CUDA {need} needs a "
                f"{TORCH_MIN_DRIVER.get(need, 'newer')}+ driver. Options: upgrade the driver; "
                f"or install NVIDIA's CUDA forward compatibility package (cuda-compat-{need}-0, "
                f"data-center GPUs); or {CUDA12_TORCH_HINT}"
            )
        else:
            msg += (
                " Check that the driver is loaded (nvidia-smi), that CUDA_VISIBLE_DEVICES does "
                "not hide the GPUs and that this user may open /dev/nvidia*"
            )
        return msg
    missing = [c for c in torch.get("capabilities", []) if not _has_code_for(torch["arch_list"], c)]
    if missing:
        return (
            f"torch {version} has no GPU code for compute capability {', '.join(sorted(set(missing)))}"
            f" (its arch list: {' '.join(torch['arch_list'])}): install a build that has"
        )
    return None


def faiss_problem(hw: str, faiss: dict) -> str | None:
    """What is wrong with faiss on this machine; None when it is fine."""
    dists = faiss.get("dists", {})
    gpu_dists = sorted(d for d in dists if d in GPU_FAISS)
    if CPU_FAISS in dists and gpu_dists:
        return (
            f"faiss-cpu and {', '.join(gpu_dists)} are both installed: they write the same "
            "faiss module, so which one runs is an accident. Remove the venv and make install"
        )
    if len(gpu_dists) > 1:
        return f"several GPU builds of faiss are installed: {', '.join(gpu_dists)}"
    if "error" in faiss:
        return f"faiss cannot be imported: {faiss['error']}"
    if hw != "gpu":
        return None
    if not faiss.get("gpu_build") or not faiss.get("gpus"):
        found = ", ".join(f"{k}=={v}" for k, v in dists.items()) or "none"
        return (
            f"this machine has an NVIDIA GPU, but faiss sees no GPU (installed: {found}): "
            "k-means would run on CPU. make install on a GPU machine installs the gpu extra"
        )
    if faiss.get("gpu_search_rc", 0) != 0:
        return (
            f"faiss's GPU kernels fail on this GPU (a search exited with "
            f"{faiss['gpu_search_rc']}): the faiss wheel has no code for its compute capability? "
            f"{faiss.get('gpu_search_error', '')}"
        )
    return None


# --- command line ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["torch", "final"])
    parser.add_argument("--hw", choices=["cpu", "gpu"], required=True)
    parser.add_argument("--out", help="final: write the hardware facts here (JSON)")
    args = parser.parse_args(argv)
    gpu = gpu_facts() if args.hw == "gpu" else {"gpus": [], "driver": None, "driver_cuda": None}
    torch = torch_facts()
    problems = [torch_problem(args.hw, torch, gpu)]
    facts = {"hardware": args.hw, **gpu, "torch": torch}
    if args.what == "final":
        faiss = faiss_facts(args.hw)
        facts["faiss"] = faiss
        problems.append(faiss_problem(args.hw, faiss))
    problems = [p for p in problems if p]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    if args.out:
        Path(args.out).write_text(json.dumps(facts, indent=2) + "\n")
    summary = f"torch {torch['version']} (CUDA {torch['cuda'] or '-'})"
    if args.hw == "gpu":
        summary += f" sees {torch['devices']} GPU(s), capability {', '.join(torch['capabilities'])}"
    if "faiss" in facts:
        summary += f"; faiss {facts['faiss'].get('version')} ({facts['faiss'].get('gpus', 0)} GPUs)"
    print(f"{args.hw}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
