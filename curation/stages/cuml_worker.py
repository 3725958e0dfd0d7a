"""The cuML side of :mod:`curation.stages.cuml_env`: a process that runs cuML's UMAP and HDBSCAN.

Started with the Python of cuML's own environment (``make install-cuml``: cuML's numba, pandas
and CUDA pins clash with the main venv's), as ``python -m curation.stages.cuml_worker`` with the
repository on ``PYTHONPATH``. Imports only the standard library, numpy and cuML, so that
environment needs nothing of this project's dependencies.

Protocol: requests on stdin and answers on the original stdout, each a 4-byte big-endian length
and a pickle of plain Python values; arrays travel as ``(dtype string, shape, bytes)``, so the two
sides may have different numpy versions. Anything cuML prints goes to stderr. Requests:

* ``("probe", {})`` -> ``{"cuml": version, "cupy": version, "gpu": name}`` after a tiny UMAP and
  HDBSCAN fit (proves that cuML imports and runs on this GPU);
* ``("umap", params, array)`` -> coordinates (float32);
* ``("hdbscan", params, array)`` -> labels (int64).

An answer is ``("ok", value)`` or ``("error", "Type: message")``. ``--probe`` on the command line
runs the probe once and prints its answer (install check).
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import traceback
from typing import Any, BinaryIO


def pack(array: Any) -> tuple[str, tuple[int, ...], bytes]:
    import numpy as np

    a = np.ascontiguousarray(array)
    return a.dtype.str, tuple(a.shape), a.tobytes()


def unpack(packed: tuple[str, tuple[int, ...], bytes]) -> Any:
    import numpy as np

    dtype, shape, data = packed
    return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()


def send(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=4)
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    head = stream.read(4)
    if len(head) < 4:
        raise EOFError("the other side closed the pipe")
    (size,) = struct.unpack(">I", head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe mid-message")
    return pickle.loads(data)


def _host(x: Any) -> Any:
    import numpy as np

    return np.asarray(x.get() if hasattr(x, "get") else x)


def _free() -> None:
    import cupy

    cupy.get_default_memory_pool().free_all_blocks()  # cuML leaves blocks in CuPy's pool


def run_umap(params: dict, x: Any) -> Any:
    import numpy as np
    from cuml.manifold import UMAP

    try:
        return np.ascontiguousarray(_host(UMAP(**params).fit_transform(x)), dtype=np.float32)
    finally:
        _free()


def run_hdbscan(params: dict, coords: Any) -> Any:
    import numpy as np
    from cuml.cluster import HDBSCAN

    try:
        return np.asarray(_host(HDBSCAN(**params).fit_predict(coords)), dtype=np.int64)
    finally:
        _free()


def probe() -> dict:
    """Import cuML and fit both models on 200 tiny points: what fails here fails in a run."""
    import cuml
    import cupy
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.05, (100, 8)) for c in (0.0, 1.0)]).astype(np.float32)
    coords = run_umap({"n_components": 2, "n_neighbors": 10, "random_state": 0}, x)
    labels = run_hdbscan({"min_cluster_size": 20}, coords)
    if coords.shape != (200, 2) or not np.isfinite(coords).all() or labels.shape != (200,):
        raise RuntimeError(f"cuML probe gave coords {coords.shape}, labels {labels.shape}")
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"]
    return {
        "cuml": cuml.__version__,
        "cupy": cupy.__version__,
        "gpu": name.decode() if isinstance(name, bytes) else str(name),
    }


def handle(op: str, params: dict, payload: Any) -> Any:
    if op == "probe":
        return probe()
    if op == "umap":
        return pack(run_umap(params, unpack(payload)))
    if op == "hdbscan":
        return pack(run_hdbscan(params, unpack(payload)))
    raise ValueError(f"unknown request {op!r}")


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    while True:
        try:
            op, params, payload = receive(requests)
        except EOFError:
            return
        try:
            send(answers, ("ok", handle(op, params, payload)))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
            traceback.print_exc(file=sys.stderr)
            send(answers, ("error", f"{type(exc).__name__}: {exc}"))


def main() -> int:
    if "--probe" in sys.argv[1:]:
        sys.stdout.write(f"{probe()}\n")
        return 0
    answers = os.fdopen(os.dup(1), "wb")  # the protocol keeps the real stdout ...
    os.dup2(2, 1)  # ... and whatever cuML prints goes to stderr
    serve(sys.stdin.buffer, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
