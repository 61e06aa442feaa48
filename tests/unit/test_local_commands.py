"""What the local runtime tells each process (no process started)."""

from __future__ import annotations

import json

from boletia import config
from boletia.lab.components import BY_NAME
from boletia.lab.runtimes.local import commands
from boletia.lab.runtimes.local.storage import LabFiles

SHIFTED = config.Ports(mongo=27117, ses=5105, kafka=(9192, 9193, 9194), controllers=(19192, 19193, 19194),
                       connect=8183, eventos=8170, reservas=8171, ui=8190)


def test_a_lab_on_other_ports_tells_its_services_those_ports(tmp_path):
    """Two labs on one host: the services of the second must listen on its ports, not on
    8070/8071 (seen: `eventos` of a shifted lab listened on 8070 and never became healthy)."""
    s = config.Settings(ports=SHIFTED, lab_dir=tmp_path)
    for name in ("eventos", "reservas", "inventario"):
        env = commands.environment(BY_NAME[name], s, LabFiles(tmp_path), "fixed")
        told = config.Settings(ports=json.loads(env["BOLETIA_PORTS"]))
        assert told.ports == SHIFTED, name
        assert env["BOLETIA_LAB_DIR"] == str(tmp_path)
