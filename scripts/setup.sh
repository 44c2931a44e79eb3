#!/usr/bin/env bash
# Set-up shared by `make test`, `make demo` and `make bench` on Debian 12 / Raspberry Pi OS (Bookworm).
# Idempotent: installs only what is missing, so a second run takes a second.
#   - system packages (apt): the broker, the QR decoder library, the Vietnamese voice, the rootfs builder;
#   - a virtual environment in .venv with motcua and its test tools (Bookworm forbids system-wide pip).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  mosquitto mosquitto-clients  # the hall broker, mosquitto_rr for docs/protocol.md examples
  libzbar0 zbar-tools          # pyzbar's library; zbarimg as the benchmark baseline
  espeak-ng                    # Vietnamese voice for the announcement clips
  fonts-dejavu-core            # system copy of the bundled font (for tools outside Python)
  debootstrap                  # the Ansible converge test builds a Debian root filesystem
  systemd                      # systemd-analyze verify for the generated units
  chromium chromium-driver     # the console's browser tests (Selenium drives Debian's chromium headless)
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.motcua-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing motcua and its test tools into .venv"
  if ! { .venv/bin/python -m pip install --quiet --upgrade pip && .venv/bin/python -m pip install --quiet -e ".[dev]"; } \
      >.venv/pip.log 2>&1; then
    grep -v "^WARNING: Location" .venv/pip.log >&2
    echo "pip install failed (full log: .venv/pip.log)" >&2
    exit 1
  fi
  .venv/bin/python -c "import motcua, paho.mqtt, pydantic" # fail loudly if the install did not work
  touch "$stamp"
fi
