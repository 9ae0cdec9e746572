"""The sandbox's plan (no kernel) and the values protocol's validation (auditor side)."""
from __future__ import annotations

import base64
import json
import os

import numpy as np
import pytest

from auditor.execute import kernel_values as kv
from auditor.execute.probes import probe_bwrap, probe_unshare
from auditor.execute.sandbox import Sandbox, SandboxPolicy
from auditor.execute.view import project_root


def test_plan_wraps_the_kernel_with_limits_and_reports_them():
    with Sandbox(SandboxPolicy(memory_bytes=123 * 2**20, max_processes=77)) as sb:
        cmd = sb.wrap(["python", "-m", "ipykernel_launcher"])
        iso = sb.isolation()
        assert cmd[-3:] == ["python", "-m", "ipykernel_launcher"]
        assert cmd[3].endswith("kernel_launch.py")
        limits = json.loads(cmd[4])["rlimits"]
        assert limits["as"] == 123 * 2**20 and limits["core"] == 0
        assert iso["rlimits"]["address_space_bytes"] == 123 * 2**20
        assert iso["workdir"] == "temp" and iso["env"] == "scrubbed"
        assert "77" in iso["pids"] or iso["pids"].startswith("not limited (")
        if probe_bwrap().ok:
            assert iso["network"].startswith("bwrap") and "bwrap" in cmd[6]
        elif probe_unshare().ok:
            assert iso["network"].startswith("unshare-net")
        else:
            assert iso["network"].startswith("none (")
        assert sb.workdir.is_dir() and not any(sb.workdir.iterdir())
        root = sb.root
    assert not root.exists()


def test_env_is_scrubbed(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with Sandbox(SandboxPolicy(threads=1)) as sb:
        env = sb.env()
    assert "GITHUB_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"].startswith(str(sb.root)) and env["OMP_NUM_THREADS"] == "1"
    assert set(env) <= {"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR",
                        "PYTHONDONTWRITEBYTECODE", "PYDEVD_DISABLE_FILE_VALIDATION", "PYTHONNOUSERSITE",
                        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                        "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"}


def test_disabled_sandbox_says_so():
    with Sandbox(SandboxPolicy(enabled=False)) as sb:
        iso = sb.isolation()
        assert sb.wrap(["k"]) == ["k"]
    assert iso["sandbox"] == "off" and iso["network"].startswith("none (")


def test_forced_unshare_reports_filesystem_unprotected():
    if not probe_unshare().ok:
        pytest.skip("unshare --net not permitted here: " + probe_unshare().why)
    with Sandbox(SandboxPolicy(network="unshare")) as sb:
        iso = sb.isolation()
    assert iso["network"].startswith("unshare-net")
    # never read-only without bwrap; the home and the project hidden by a mount namespace when it can
    assert iso["filesystem"].startswith("not protected")
    if "hidden by" in iso["filesystem"]:
        assert project_root() in iso["filesystem"]


# --------------------------------------------------------------------------- values protocol

def _payload(values, nonce="n1", errors=None):
    return json.dumps({"nonce": nonce, "values": values, "errors": errors or {}})


def _array(arr, **over):
    rec = {"kind": "array", "dtype": arr.dtype.str, "shape": list(arr.shape),
           "data": base64.b64encode(arr.tobytes()).decode()}
    rec.update(over)
    return rec


def test_decode_arrays_and_json():
    arr = np.arange(6, dtype="<f4").reshape(2, 3)
    values, problems = kv.decode_values(
        _payload({"g": _array(arr), "x": {"kind": "json", "value": [1, 2.5, "a", None]},
                  "not_asked": {"kind": "json", "value": 1}}, errors={"y": "TypeError: nope"}),
        nonce="n1", names=["g", "x", "y"])
    assert values["g"].tolist() == arr.tolist() and not values["g"].flags.writeable
    assert values["x"] == [1, 2.5, "a", None]
    assert "not_asked" not in values and problems == {"y": "TypeError: nope"}


@pytest.mark.parametrize("override,why", [
    ({"dtype": "|O"}, "dtype not allowed"),
    ({"dtype": "<V8"}, "dtype not allowed"),
    ({"shape": [4, 4]}, "bytes of data"),
    ({"shape": [-1]}, "bad shape"),
    ({"data": "!!not base64!!"}, "bad base64"),
])
def test_bad_arrays_are_rejected(override, why):
    values, problems = kv.decode_values(_payload({"g": _array(np.zeros(3, "<f8"), **override)}),
                                        nonce="n1", names=["g"])
    assert values == {} and why in problems["g"]


def test_nonce_and_shape_of_payload_are_checked():
    with pytest.raises(kv.PayloadError, match="nonce"):
        kv.decode_values(_payload({}, nonce="forged"), nonce="n1", names=["g"])
    with pytest.raises(kv.PayloadError, match="not JSON"):
        kv.decode_values("{not json", nonce="n1", names=["g"])
    with pytest.raises(kv.PayloadError, match="exceeds the cap"):
        kv.decode_values("x" * 200_000, nonce="n1", names=["g"], cap=10)


def test_fetch_code_only_reads_valid_names():
    code = kv.fetch_code(["grads", "os.system('x')", "__auditor_got", "ok2"], "abc")
    assert "__auditor_got['grads'] = grads" in code and "__auditor_got['ok2'] = ok2" in code
    assert "os.system" not in code.split("exec(")[0]
    compile(code, "<fetch>", "exec")
    assert os.path.basename(kv.__file__) == "kernel_values.py"


def test_sandbox_uids_are_claimed_so_concurrent_graders_never_share_one(tmp_path, monkeypatch):
    """Two processes claiming uids at the same moment from a small range get distinct ones (a
    kernel's kill reaches every process of its uid); a released uid can be claimed again."""
    import multiprocessing

    import auditor.execute.housekeeping as sandbox

    monkeypatch.setattr(sandbox, "UID_CLAIMS", tmp_path / "claims")
    lo, hi = 62600, 62639
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe()

    def claim_many(conn, n):
        conn.send([sandbox.claim_uid(lo, hi) for _ in range(n)])

    procs = [ctx.Process(target=claim_many, args=(theirs, 20)) for _ in range(2)]
    for p in procs:
        p.start()
    got = ours.recv() + ours.recv()
    for p in procs:
        p.join(10)
    assert len(got) == 40 and len(set(got)) == 40
    with pytest.raises(RuntimeError, match="no free sandbox uid"):
        sandbox.claim_uid(lo, hi)
    sandbox.release_uid(got[0])
    assert sandbox.claim_uid(lo, hi) == got[0]
