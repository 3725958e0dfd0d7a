"""The install on a GPU machine: hardware kind, torch/faiss verdicts, and tools/install.sh failing
loudly (with a stub ``nvidia-smi`` on PATH and this venv's CPU torch) instead of a venv that
silently computes on CPU."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tools"

NVIDIA_SMI_STUB = """#!/bin/sh
# a stand-in for nvidia-smi on a machine with two H200s and a CUDA 12.4 driver
case "$*" in
  -L) echo "GPU 0: NVIDIA H200 (UUID: GPU-0)"; echo "GPU 1: NVIDIA H200 (UUID: GPU-1)" ;;
  *--query-gpu=index,name*) printf '0, NVIDIA H200, 550.54.15, 9.0, 143771 MiB\\n1, NVIDIA H200, 550.54.15, 9.0, 143771 MiB\\n' ;;
  *--query-gpu=index*) printf '0\\n1\\n' ;;
  "") echo "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4 |" ;;
esac
"""


def _check_module():
    spec = importlib.util.spec_from_file_location("install_check", TOOLS / "install_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ic = _check_module()


@pytest.fixture()
def stub_path(tmp_path: Path) -> str:
    """PATH with a fake nvidia-smi first."""
    bin_dir = tmp_path / "stub-bin"
    bin_dir.mkdir()
    stub = bin_dir / "nvidia-smi"
    stub.write_text(NVIDIA_SMI_STUB)
    stub.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def _path_without_nvidia_smi(tmp_path: Path) -> str:
    keep = [
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "nvidia-smi").exists()
    ]
    return os.pathsep.join(keep)


# --- hardware kind and Spark's discovery script ----------------------------------------------------


def test_hw_kind(stub_path: str, tmp_path: Path) -> None:
    def kind(path: str, **env: str) -> subprocess.CompletedProcess:
        clean = {k: v for k, v in os.environ.items() if k != "CURATION_HW"}
        return subprocess.run(["bash", str(TOOLS / "hw_kind.sh")], capture_output=True,
                              text=True, env={**clean, "PATH": path, **env})  # fmt: skip

    assert kind(stub_path).stdout.strip() == "gpu"
    assert kind(_path_without_nvidia_smi(tmp_path)).stdout.strip() == "cpu"
    assert kind(stub_path, CURATION_HW="cpu").stdout.strip() == "cpu"
    bad = kind(stub_path, CURATION_HW="tpu")
    assert bad.returncode == 2 and "CURATION_HW must be cpu or gpu" in bad.stderr


def test_hw_kind_reads_a_long_gpu_listing_whole(tmp_path: Path) -> None:
    """`nvidia-smi -L | grep -q` under pipefail said `cpu` at random on a GPU machine: grep quit at
    the first line and nvidia-smi died of SIGPIPE. A listing far larger than a pipe's buffer makes
    that certain, so the script must read the listing whole."""
    bin_dir = tmp_path / "many-gpus"
    bin_dir.mkdir()
    stub = bin_dir / "nvidia-smi"
    stub.write_text(
        "#!/bin/sh\n"
        'i=0; while [ $i -lt 20000 ]; do echo "GPU $i: NVIDIA H200 (UUID: GPU-$i)"; i=$((i+1)); done\n'
    )
    stub.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CURATION_HW"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    for _ in range(3):
        out = subprocess.run(["bash", str(TOOLS / "hw_kind.sh")], capture_output=True, text=True,
                             env=env)  # fmt: skip
        assert (out.returncode, out.stdout.strip()) == (0, "gpu")


def test_spark_gpu_discovery_script(stub_path: str, tmp_path: Path) -> None:
    def discover(path: str) -> dict:
        out = subprocess.run(["bash", str(TOOLS / "spark_gpu_discovery.sh")], capture_output=True,
                             text=True, env={**os.environ, "PATH": path}, check=True)  # fmt: skip
        return json.loads(out.stdout)

    assert discover(stub_path) == {"name": "gpu", "addresses": ["0", "1"]}
    assert discover(_path_without_nvidia_smi(tmp_path)) == {"name": "gpu", "addresses": []}


# --- verdicts --------------------------------------------------------------------------------------

GPU = {
    "gpus": [{"index": 0, "name": "NVIDIA H200", "driver": "550.54.15", "capability": "9.0"}],
    "driver": "550.54.15",
    "driver_cuda": "12.4",
}
CUDA_TORCH = {
    "version": "2.13.0",
    "cuda": "13.0",
    "available": True,
    "devices": 1,
    "arch_list": ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"],
    "capabilities": ["9.0"],
}


def test_parse_nvidia_smi() -> None:
    rows = ic.parse_gpu_query("0, NVIDIA H200, 580.65.06, 9.0, 143771 MiB\n\n")
    assert rows == [{"index": 0, "name": "NVIDIA H200", "driver": "580.65.06",
                     "capability": "9.0", "memory": "143771 MiB"}]  # fmt: skip
    banner = "| NVIDIA-SMI 580.65.06   Driver Version: 580.65.06   CUDA Version: 13.0     |"
    assert ic.parse_driver_cuda(banner) == "13.0"
    assert ic.parse_driver_cuda("no banner") is None


def test_torch_verdicts() -> None:
    assert ic.torch_problem("gpu", CUDA_TORCH, GPU) is None
    assert ic.torch_problem("cpu", {**CUDA_TORCH, "cuda": None, "available": False}, {}) is None
    cpu_build = ic.torch_problem("gpu", {**CUDA_TORCH, "version": "2.13.0+cpu", "cuda": None,
                                         "available": False}, GPU)  # fmt: skip
    assert "torch 2.13.0+cpu is a CPU build" in cpu_build and "NVIDIA H200" in cpu_build
    assert "rm -rf .venv" in cpu_build
    old_driver = ic.torch_problem("gpu", {**CUDA_TORCH, "available": False}, GPU)
    assert "cannot see it" in old_driver and "supports CUDA up to 12.4" in old_driver
    assert "R580+" in old_driver and "cuda-compat-13-0" in old_driver
    assert "TORCH_INDEX_URL=" in old_driver
    hidden = ic.torch_problem("gpu", {**CUDA_TORCH, "available": False},
                              {**GPU, "driver_cuda": "13.0"})  # fmt: skip
    assert "CUDA_VISIBLE_DEVICES" in hidden and "R580" not in hidden
    no_sm90 = ic.torch_problem("gpu", {**CUDA_TORCH, "arch_list": ["sm_70", "sm_80"]}, GPU)
    assert "no GPU code for compute capability 9.0" in no_sm90
    # PTX of an older architecture is compiled for the GPU by the driver: fine
    assert (
        ic.torch_problem("gpu", {**CUDA_TORCH, "arch_list": ["sm_80", "compute_80"]}, GPU) is None
    )
    assert "cannot be imported" in ic.torch_problem("cpu", {"error": "ImportError: x"}, {})


def test_faiss_verdicts() -> None:
    gpu_ok = {"dists": {"faiss-gpu": "1.15.1"}, "version": "1.15.1", "gpu_build": True,
              "gpus": 1, "gpu_search_rc": 0}  # fmt: skip
    assert ic.faiss_problem("gpu", gpu_ok) is None
    both = ic.faiss_problem("cpu", {**gpu_ok, "dists": {"faiss-cpu": "1.15.1",
                                                        "faiss-gpu-cu12": "1.14.1.post1"}})  # fmt: skip
    assert "faiss-cpu and faiss-gpu-cu12 are both installed" in both
    cpu_on_gpu = ic.faiss_problem("gpu", {"dists": {"faiss-cpu": "1.15.1"}, "version": "1.15.1",
                                          "gpu_build": False, "gpus": 0})  # fmt: skip
    assert "faiss sees no GPU (installed: faiss-cpu==1.15.1)" in cpu_on_gpu
    aborted = ic.faiss_problem("gpu", {**gpu_ok, "gpu_search_rc": -6,
                                       "gpu_search_error": "CUDA error 209 no kernel image"})  # fmt: skip
    assert "fail on this GPU" in aborted and "-6" in aborted and "no kernel image" in aborted
    assert ic.faiss_problem("cpu", {"dists": {"faiss-cpu": "1.15.1"}, "version": "1.15.1",
                                    "gpu_build": False, "gpus": 0}) is None  # fmt: skip


def test_final_check_on_this_machine_writes_the_facts(tmp_path: Path) -> None:
    out = tmp_path / "hardware.json"
    done = subprocess.run([sys.executable, str(TOOLS / "install_check.py"), "final", "--hw",
                           "cpu", "--out", str(out)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    facts = json.loads(out.read_text())
    import faiss
    import torch

    assert facts["hardware"] == "cpu"
    assert facts["torch"]["version"] == torch.__version__
    assert facts["faiss"]["version"] == faiss.__version__
    assert list(facts["faiss"]["dists"]) == ["faiss-cpu"]  # exactly one faiss in this venv


# --- the install script itself, on a "GPU machine" with a CPU torch --------------------------------


def test_install_script_fails_loudly_when_torch_cannot_see_the_gpu(
    stub_path: str, tmp_path: Path
) -> None:
    """A fresh venv that sees this venv's packages (a .pth file: torch 2.13.0+cpu, pip) on a
    machine whose nvidia-smi lists two H200s: install.sh stops at the torch check, before
    installing anything, with the message - instead of passing with everything on CPU."""
    python = shutil.which("python3.11")
    if python is None:
        pytest.fail("python3.11 is needed by tools/install.sh")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / "python3.11" / "site-packages"
    (site / "_parent_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CURATION_HW", "VIRTUAL_ENV")}
    done = subprocess.run(["bash", str(TOOLS / "install.sh"), str(venv), "core"], cwd=REPO,
                          capture_output=True, text=True, env={**env, "PATH": stub_path},
                          timeout=600)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error: this machine has 2 NVIDIA GPU(s) (NVIDIA H200, driver 550.54.15)" in done.stderr
    assert "torch 2.13.0+cpu is a CPU build" in done.stderr
    assert "installed .[" not in done.stdout
    assert not (venv / ".hardware.json").exists()
    assert not list(site.glob("curation*"))  # stopped before installing the package
