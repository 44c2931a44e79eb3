"""The coordinator role's scheduled reports (issue 18.12): the report services and timers rendered by Ansible from the
role's own templates and defaults pass `systemd-analyze verify`, run the command tests/test_report_schedule.py
checks, on the documented days, catching up after the Pi was off; the optional Samba share's smb.conf block passes
`testparm` when Samba is there. The real converge (tests/test_ansible_converge.py) installs and verifies them too.

Runs the real ansible-playbook against localhost (connection local) to render the templates."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # one ansible-playbook run: 10-30 s on a 2-core machine

REPO = Path(__file__).resolve().parent.parent
ANSIBLE = REPO / "ansible"
ROLE = ANSIBLE / "roles" / "coordinator"
VENV = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv"))
UNITS = [f"motcua-report-{period}.{kind}" for period in ("week", "month") for kind in ("service", "timer")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The units as the role writes them, with its defaults (the venv: this checkout's, so ExecStart exists)."""
    out = tmp_path_factory.mktemp("report-units")
    play = [
        {
            "name": "Render the report units with the role's defaults",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars_files": [str(ANSIBLE / "roles/common/defaults/main.yml"), str(ROLE / "defaults/main.yml")],
            "tasks": [
                {
                    "name": "Render",
                    "ansible.builtin.template": {
                        "src": str(ROLE / "templates") + "/motcua-report.{{ item.1 }}.j2",
                        "dest": str(out) + "/motcua-report-{{ item.0.period }}.{{ item.1 }}",
                        "mode": "0644",
                    },
                    "loop": "{{ coordinator_report_schedules | product(['service', 'timer']) | list }}",
                    "vars": {"coordinator_report_schedule": "{{ item.0 }}"},
                },
                {
                    "name": "Render the Samba share's block",
                    "ansible.builtin.template": {
                        "src": str(ROLE / "templates/samba-reports.conf.j2"),
                        "dest": str(out / "samba-reports.conf"),
                        "mode": "0644",
                    },
                },
            ],
        }
    ]
    playbook = out / "render.yml"
    playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=str(ANSIBLE / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    extra = {
        "common_venv": str(VENV),
        "motcua_hall_lan": "192.168.1.0/24",
        "ansible_python_interpreter": str(VENV / "bin" / "python"),
    }
    result = subprocess.run(
        [str(VENV / "bin" / "ansible-playbook"), "-i", "localhost,", "-e", json.dumps(extra), str(playbook)],
        cwd=ANSIBLE, env=env, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return out


def settings(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_units_pass_systemd_analyze_verify(rendered: Path) -> None:
    assert shutil.which("systemd-analyze"), "systemd-analyze is missing: scripts/setup.sh installs systemd"
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(rendered / unit) for unit in UNITS)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Nothing to complain about, e.g. an unknown setting or a missing ExecStart binary (the user is not this
    # machine's: that one line is expected here, the converge test checks it on a Pi's filesystem).
    complaints = [line for line in result.stderr.splitlines() if "motcua-report" in line and "User" not in line]
    assert complaints == []


def test_the_services_are_sandboxed(rendered: Path) -> None:
    """Scored like the other motcua units (issue 19.8: under 3, "OK"), offline on the rendered file."""
    for period in ("week", "month"):
        unit = rendered / f"motcua-report-{period}.service"
        result = subprocess.run(
            ["systemd-analyze", "security", "--offline=true", str(unit)], capture_output=True, text=True, timeout=120
        )
        found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
        assert found, result.stdout[-500:] + result.stderr[-500:]
        assert float(found.group(1)) < 3, result.stdout[-2000:]


def test_the_services_run_the_scheduled_report_as_the_service_user(rendered: Path) -> None:
    for period in ("week", "month"):
        unit = settings(rendered / f"motcua-report-{period}.service")
        argv = shlex.split(unit["ExecStart"][0])
        assert argv[0] == str(VENV / "bin" / "motcua") and argv[1] == "report"
        options = dict(zip(argv[2::2], argv[3::2], strict=True))
        assert options == {
            "--db": "/var/lib/motcua/coordinator.db",
            "--hall": "/etc/motcua/hall.toml",
            "--last": period,
            "--out-dir": "/srv/motcua/reports",
            "--format": "html,csv",
            "--lang": "vi",
        }
        assert unit["User"] == ["motcua"] and unit["Type"] == ["oneshot"]
        assert "/srv/motcua/reports" in unit["ReadWritePaths"]
        assert unit["UMask"][-1] == "0027"  # the last one counts: files 0640 for the managers' group
        assert unit["PrivateNetwork"] == ["yes"]


@pytest.mark.parametrize(
    ("period", "calendar", "weekday", "day"),
    [("week", "Mon *-*-* 06:00:00", "Mon", None), ("month", "*-*-01 06:00:00", None, "01")],
)
def test_the_timers_run_on_the_documented_days_and_catch_up(
    rendered: Path, period: str, calendar: str, weekday: str | None, day: str | None
) -> None:
    timer = settings(rendered / f"motcua-report-{period}.timer")
    assert timer["OnCalendar"] == [calendar]
    assert timer["Persistent"] == ["true"]
    assert timer["WantedBy"] == ["timers.target"]
    result = subprocess.run(
        ["systemd-analyze", "calendar", "--iterations=3", calendar], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    elapses = [line.split(":", 1)[1].split() for line in result.stdout.splitlines() if "Next elapse" in line]
    elapses += [
        line.split(":", 1)[1].split() for line in result.stdout.splitlines() if line.strip().startswith("Iter.")
    ]
    assert len(elapses) == 3
    for weekday_text, date_text, time_text, *_ in elapses:
        assert time_text == "06:00:00"
        assert weekday is None or weekday_text == weekday
        assert day is None or date_text.endswith(f"-{day}")


def test_the_samba_share_is_read_only_for_the_managers_group(rendered: Path) -> None:
    share = (rendered / "samba-reports.conf").read_text(encoding="utf-8")
    assert share.splitlines()[0] == "[motcua-reports]"
    lines = {line.split("=")[0].strip(): line.split("=", 1)[1].strip() for line in share.splitlines()[1:]}
    assert lines["path"] == "/srv/motcua/reports"
    assert lines["read only"] == "yes" and lines["guest ok"] == "no"
    assert lines["valid users"] == "@motcua-reports"
