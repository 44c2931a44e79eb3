"""kiosk.toml: the examples load, mistakes are explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from kiosk_support import ROOT

from kiosk.config import KioskConfig
from motcua.config import load_config
from motcua.errors import ConfigError

DEVICES = ROOT / "examples" / "ward-hall" / "devices"


def test_the_example_kiosks_load():
    real = load_config(DEVICES / "kiosk-1.toml", KioskConfig)
    assert real.device.id == "kiosk-1" and not real.simulated
    assert (real.printer.connection, real.printer.dots, real.printer.usb_vendor_id) == ("usb", 576, 0x04B8)
    assert real.camera.source == "v4l2" and real.screen.driver == "kmsdrm"
    simulated = load_config(DEVICES / "kiosk-2.toml", KioskConfig)
    assert simulated.simulated and simulated.printer.dots == 384
    assert simulated.control_socket is not None and simulated.control_socket.is_absolute()
    assert simulated.camera.drop_folder == DEVICES / "../sim/kiosk-2/camera"


def test_the_example_kiosks_are_devices_of_the_sample_hall(hall):
    kiosks = {k.id for k in hall.devices.kiosks}
    for path in DEVICES.glob("kiosk-*.toml"):
        config = load_config(path, KioskConfig)
        assert config.device.id in kiosks and config.device.site == hall.hall.site


def test_a_kiosk_toml_of_the_previous_release_still_loads(tmp_path: Path):
    """portal_hosts (now: more hosts with the national parameters) and fps_limit (now read) as they were written."""
    old = write(
        tmp_path,
        '[printer]\nconnection = "dummy"\n[screen]\nfps_limit = 20\n'
        '[scanner]\nportal_hosts = ["dichvucong.gov.vn", "Dichvucong.LaoCai.gov.vn"]\n',
    )
    config = load_config(old, KioskConfig)
    assert config.screen.fps_limit == 20
    hosts = [portal.host for portal in config.scanner.trusted_portals]
    assert hosts[0] == "dichvucong.gov.vn" and "dichvucong.khanhhoa.gov.vn" in hosts
    assert hosts[-1] == "dichvucong.laocai.gov.vn"
    assert config.scanner.trusted_portals[-1].parameters == ("ma_thu_tuc", "keyword")


def test_the_example_kiosk_trusts_its_province_portal_with_its_parameters():
    real = load_config(DEVICES / "kiosk-1.toml", KioskConfig)
    assert [(p.host, p.parameters) for p in real.scanner.trusted_portals] == [
        ("dichvucong.gov.vn", ("ma_thu_tuc", "keyword")),
        ("dichvucong.laocai.gov.vn", ("ma_thu_tuc", "ma", "keyword")),
    ]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text('[device]\nid = "kiosk-1"\nsite = "phuong-hoa-binh"\n' + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[printer]\nconnection = "dummy"\n[screen]\nwidht = 800\n',
            "screen.widht: unknown setting (did you mean 'width'?)",
        ),
        ("", "printer: required setting is missing"),
        ('[printer]\nconnection = "serial"\n', "needs serial_device"),
        ('[printer]\nconnection = "dummy"\npaper = "110mm"\n', "printer.paper"),
        ('[printer]\nconnection = "dummy"\n[camera]\nsource = "webcam"\n', "camera.source"),
        ('[printer]\nconnection = "dummy"\n[ticket]\ntimezone = "Asia/Hanoi"\n', "unknown time zone"),
        (
            '[printer]\nconnection = "dummy"\n[[scanner.portals]]\nhost = "https://dichvucong.laocai.gov.vn/"\n',
            "write it like dichvucong.laocai.gov.vn",
        ),
        ('[printer]\nconnection = "dummy"\n[[scanner.portals]]\nhost = "a.vn"\nparameters = []\n', "parameters"),
        ('[printer]\nconnection = "dummy"\n[screen]\nidle_timeout_s = 1\n', "screen.idle_timeout_s"),
    ],
)
def test_mistakes_are_explained(tmp_path: Path, text: str, message: str):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text), KioskConfig)
    assert message in str(error.value)


def test_relative_paths_are_taken_from_the_file(tmp_path: Path):
    config = load_config(write(tmp_path, '[printer]\nconnection = "dummy"\nsave_dir = "out"\n'), KioskConfig)
    assert config.printer.save_dir == tmp_path / "out"


def test_a_screen_that_cannot_be_opened_is_a_readable_error(tmp_path: Path, monkeypatch):
    from kiosk_support import kiosk_config

    from kiosk.app import KioskApp

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # restored after the test: the app sets it from its config
    config = kiosk_config(tmp_path, camera="none")
    config = config.model_copy(update={"screen": config.screen.model_copy(update={"driver": "no-such-driver"})})
    with pytest.raises(ConfigError, match="no-such-driver"):
        KioskApp(config).start()
