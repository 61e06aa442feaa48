"""What the local runtime tells each process (no process started)."""

from __future__ import annotations

import json

import pytest

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


def test_a_port_offset_moves_every_default_port_and_the_lab_directory(monkeypatch, tmp_path):
    """BOLETIA_PORT_OFFSET: a second lab on the host without spelling out every port (28.3);
    its processes are told the shifted ports themselves, so the offset is never applied twice."""
    monkeypatch.setenv("BOLETIA_PORT_OFFSET", "100")
    s = config.Settings()
    assert s.ports == SHIFTED and s.reservas_url.endswith(":8171") and s.lab_dir.name.endswith("-100")
    env = commands.environment(BY_NAME["reservas"], s, LabFiles(tmp_path), "fixed")  # not in the tree
    monkeypatch.setenv("BOLETIA_PORTS", env["BOLETIA_PORTS"])   # what the child reads, offset inherited
    assert config.Settings().ports == SHIFTED
    monkeypatch.setenv("BOLETIA_LAB_DIR", "/srv/lab-b")
    assert str(config.Settings().lab_dir) == "/srv/lab-b"       # an explicit directory wins
    monkeypatch.setenv("BOLETIA_PORT_OFFSET", "-1")
    with pytest.raises(ValueError, match="port_offset"):
        config.Settings()
