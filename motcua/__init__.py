"""motcua — firmware for the devices of a one-stop public-service hall (bộ phận một cửa).

The shared library: the MQTT contract (`motcua.contract`), the MQTT session (`motcua.session`),
configuration (`motcua.config`, `motcua.hall`), logging and the `motcua` command line (`motcua.cli`).
Nothing here touches hardware or the network at import time.
"""

__version__ = "0.1.0"
