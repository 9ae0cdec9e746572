"""scripts/install-system-packages: installs bubblewrap through apt-get when it can, else says what
to run in one line; never fails the install (the README's first command goes on)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "install-system-packages"


def _stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


@pytest.fixture
def fake_system(tmp_path):
    """A PATH holding only the tools the script needs, plus stubs for id, sudo and apt-get."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sed", "env", "cat", "true"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    calls = tmp_path / "apt-calls"

    def run(*args: str, uid: int = 0, apt: bool = True, apt_fails_until_update: bool = False,
            sudo_ok: bool = False) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        _stub(bin_dir, "id", f"echo {uid}")
        for name in ("apt-get", "sudo"):
            (bin_dir / name).unlink(missing_ok=True)
        if apt:
            gate = (f'if [ "$1" = install ] && ! [ -e {tmp_path}/updated ]; then exit 100; fi\n'
                    if apt_fails_until_update else "")
            _stub(bin_dir, "apt-get", f'echo "$*" >> {calls}\n'
                  f'if [ "$1" = update ]; then touch {tmp_path}/updated; fi\n'
                  + gate + "exit 0")
        if sudo_ok:
            _stub(bin_dir, "sudo", 'if [ "$1" = -n ]; then shift; fi\nexec "$@"')
        calls.unlink(missing_ok=True)
        proc = subprocess.run(["/bin/sh", str(SCRIPT), *args], capture_output=True, text=True,
                              env={"PATH": str(bin_dir), "TMPDIR": str(tmp_path)}, timeout=30)
        return proc, calls.read_text().splitlines() if calls.exists() else []

    return run


def test_script_is_executable_posix_sh():
    assert os.access(SCRIPT, os.X_OK)
    assert SCRIPT.read_text().startswith("#!/bin/sh\n")
    subprocess.run(["/bin/sh", "-n", str(SCRIPT)], check=True)


def test_root_with_apt_installs_bubblewrap_only(fake_system):
    proc, calls = fake_system()
    assert proc.returncode == 0 and proc.stderr == ""
    assert len(calls) == 1 and calls[0].startswith("install -y") and calls[0].endswith(" bubblewrap")


def test_browser_packages_only_when_asked(fake_system):
    _, calls = fake_system("--with-browser")
    assert calls[-1].endswith("bubblewrap chromium")


def test_package_lists_are_updated_only_when_the_install_needs_it(fake_system):
    proc, calls = fake_system(apt_fails_until_update=True)
    assert proc.returncode == 0
    assert [c.split()[0] for c in calls] == ["install", "update", "install"]


def test_without_root_or_sudo_one_line_says_what_to_run(fake_system):
    proc, calls = fake_system(uid=1000)
    assert proc.returncode == 0 and calls == []
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "sudo apt-get install -y bubblewrap" in lines[0]


def test_passwordless_sudo_is_used(fake_system):
    proc, calls = fake_system(uid=1000, sudo_ok=True)
    assert proc.returncode == 0 and calls and calls[0].endswith("bubblewrap")


def test_without_apt_one_line_and_success(fake_system):
    proc, calls = fake_system(apt=False)
    assert proc.returncode == 0
    assert len(proc.stderr.splitlines()) == 1 and "bubblewrap" in proc.stderr


def test_nothing_to_do_when_installed(fake_system, tmp_path):
    _stub(tmp_path / "bin", "bwrap", "exit 0")
    proc, calls = fake_system()
    assert proc.returncode == 0 and calls == [] and proc.stderr == ""
