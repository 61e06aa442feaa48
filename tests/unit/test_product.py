"""The product's entry point runs a service or consumer without the lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from boletia import product
from boletia.lab import components, hooks
from boletia.lab.runtimes.local import commands

# Stubs the last step (the HTTP server, the consumer loop) and prints what the process loaded.
PROBE = """
import json, sys
from boletia.consumers import runner
from boletia.services import http

def report(*args, **kw):
    lab = sorted(m for m in sys.modules if m == "boletia.cli" or m.startswith("boletia.lab"))
    print(json.dumps({"lab": lab, "hooks": type(kw.get("hooks")).__name__}))
    raise SystemExit(0)

runner.run = http.serve = report
from boletia import product
product.main(sys.argv[1:])
"""


def loaded(component: str, hooks_spec: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOLETIA_")}
    env["BOLETIA_ADMIN_TOKEN"] = "probe"  # eventos refuses to start without one
    env["BOLETIA_BOOKING_KEY"] = "probe-booking-key"  # reservas and notificaciones too
    if hooks_spec is not None:
        env["BOLETIA_CONSUMER_HOOKS"] = hooks_spec
    out = subprocess.run([sys.executable, "-c", PROBE, component], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("component", [*product.SERVICES, *product.CONSUMERS])
def test_a_product_process_without_hooks_loads_no_lab_module(component):
    assert loaded(component, None) == {"lab": [], "hooks": "NoneType"}


@pytest.mark.parametrize("consumer", product.CONSUMERS)
def test_with_the_labs_hooks_a_consumer_loads_only_the_hooks_module(consumer):
    assert loaded(consumer, hooks.SPEC) == {"lab": ["boletia.lab", "boletia.lab.hooks"],
                                            "hooks": "ConsumerHooks"}


def test_the_product_and_the_lab_list_the_same_services_and_consumers():
    assert product.SERVICES == components.SERVICES
    assert product.CONSUMERS == components.CONSUMERS


@pytest.mark.parametrize("consumer", product.CONSUMERS)
def test_each_consumer_reads_the_group_and_topics_the_lab_lists_for_it(consumer):
    """One consumer per topic where the seed had one for two (inventario split: reembolsos):
    the lab's lag, ACLs and diagram come from the component list, the process from its module."""
    import importlib

    module = importlib.import_module(f"boletia.consumers.{consumer}")
    listed = components.BY_NAME[consumer]
    assert (module.GROUP, tuple(module.TOPICS)) == (listed.group, listed.topics)


def test_a_bad_hooks_setting_is_named():
    with pytest.raises(SystemExit, match="module:function"):
        product.load_hooks("boletia.lab.hooks", "inventario", print)
    assert product.load_hooks("", "inventario", print) is None


def test_the_entry_point_lists_its_components_and_says_its_version():
    out = subprocess.run([sys.executable, "-m", "boletia.product", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and all(c in out.stdout for c in (*product.SERVICES, *product.CONSUMERS))
    out = subprocess.run([sys.executable, "-m", "boletia.product", "--version"], capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.startswith("boletia-service ")
    out = subprocess.run([sys.executable, "-m", "boletia.product", "nope"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_the_local_runtime_starts_services_and_consumers_through_the_entry_point(tmp_path):
    from boletia import config
    from boletia.lab.runtimes.local.storage import LabFiles

    s = config.Settings(lab_dir=tmp_path)
    files = LabFiles(tmp_path)
    for comp in components.COMPONENTS:
        if comp.kind in ("service", "consumer"):
            assert commands.command(comp, s, files) == [sys.executable, "-m", "boletia.product", comp.name]
    consumer = components.BY_NAME["inventario"]
    service = components.BY_NAME["reservas"]
    assert commands.environment(consumer, s, files, "fixed")["BOLETIA_CONSUMER_HOOKS"] == hooks.SPEC
    assert "BOLETIA_CONSUMER_HOOKS" not in commands.environment(service, s, files, "fixed")
