"""The `boletia` command's conventions: every command's own help, choices listed from their one
source, completion, --version, panels, and nothing of a help text eaten by rich markup."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest
import typer
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from boletia import cli, config
from boletia.lab.components import COMPONENTS, CONSUMERS
from boletia.lab.experiments.chaos import SCENARIOS
from boletia.lab.runtimes.port import RUNTIMES

ROOT = typer.main.get_command(cli.app)


def _walk(cmd, path: tuple[str, ...] = ()):
    """Every command of the tree (typer's groups are its own click, vendored)."""
    yield path, cmd
    if isinstance(cmd, TyperGroup):
        for name, sub in cmd.commands.items():
            yield from _walk(sub, (*path, name))


COMMANDS = list(_walk(ROOT))


def _help(*path: str) -> str:
    out = CliRunner().invoke(cli.app, [*path, "--help"], prog_name="boletia", env={"COLUMNS": "200"})
    assert out.exit_code == 0, (path, out.output)
    return out.output


def _flat(text: str) -> str:
    """The help as one line: rich's box characters and line wrapping removed."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_the_tree_has_the_commands_people_call():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"lab up", "lab down", "notebooks", "notebooks run", "chaos run", "chaos list", "doctor",
            "grade", "load", "bench", "check"} <= names


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_its_own_help(path, cmd):
    text = _help(*path)
    assert f"Usage: boletia {' '.join(path)}".rstrip() in " ".join(text.split())
    for param in cmd.params:
        if isinstance(param, TyperOption) and not param.hidden:
            assert param.opts[0] in text, (path, param.opts[0])
        if param.param_type_name == "argument":
            assert (param.metavar or param.name).lower() in text.lower(), (path, param.name)


def test_notebooks_run_shows_its_own_options_not_its_parents():
    text = _help("notebooks", "run")
    assert "--grid" in text and "--plot" in text and "--port" not in text


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_no_bracket_of_a_help_text_is_eaten(path, cmd):
    """Rich markup reads `[word]` as a tag: a help text's brackets must reach the screen."""
    texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
    wanted = [m.replace("\\[", "[") for t in texts for m in re.findall(r"\\?\[[^\]\s]+\]", t)]
    shown = _flat(_help(*path))
    for bracket in wanted:
        assert bracket in shown, (path, bracket)


def test_choices_list_their_values_from_their_one_source():
    assert all(r in _help("lab", "up") for r in RUNTIMES)
    assert all(d in _help("lab", "up") for d in config.DESIGNS)
    assert all(d in _help("lab", "design") for d in config.DESIGNS)
    assert all(d in _help("bench") for d in config.DESIGNS)
    kill = _flat(_help("lab", "kill"))
    assert all(n in kill for c in COMPONENTS for n in (c.name, *c.instances()))
    assert all(c in _help("lab", "crash") for c in CONSUMERS)
    chaos = _flat(_help("chaos", "run"))
    assert all(s in chaos for s in SCENARIOS) and all(d in chaos for d in config.DESIGNS)


def test_a_value_outside_a_choice_is_refused_with_the_choices():
    for args, bad in ((["chaos", "run", "earthquake"], "earthquake"),
                      (["chaos", "run", "broker-kill", "--design", "prototype"], "prototype"),
                      (["lab", "crash", "kafka-1"], "kafka-1"),
                      (["lab", "fail-writes", "3", "--service", "nadie"], "nadie"),
                      (["lab", "kill", "kafka-9"], "kafka-9"),
                      (["lab", "kill", "kafka-1", "--runtime", "podman"], "podman")):
        out = CliRunner().invoke(cli.app, args, prog_name="boletia", env={"COLUMNS": "200"})
        assert out.exit_code == 2, (args, out.output)
        assert f"'{bad}' is not one of" in _flat(out.output), out.output
        assert "Traceback" not in out.output


def test_choices_reach_the_commands_as_plain_values(monkeypatch):
    seen = {}

    class Fake:
        name = "local"

        def kill(self, component):
            seen["kill"] = component

    monkeypatch.setattr(cli, "get_runtime", lambda name: seen.setdefault("runtime", name) and Fake())
    out = CliRunner().invoke(cli.app, ["lab", "kill", "kafka-2", "-r", "local"])
    assert out.exit_code == 0, out.output
    assert seen == {"runtime": "local", "kill": "kafka-2"}
    assert type(seen["kill"]) is str and type(seen["runtime"]) is str


def test_shell_completion_completes_the_choices():
    def complete(words: str) -> list[str]:
        env = {"_BOLETIA_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
        out = CliRunner().invoke(cli.app, [], prog_name="boletia", env=env)
        return out.output.split()

    assert complete("boletia lab kill ka") == ["kafka-1", "kafka-2", "kafka-3"]
    assert complete("boletia chaos run --design ") == list(config.DESIGNS)
    assert "--install-completion" in _help()


def test_version_comes_from_the_installed_package():
    out = CliRunner().invoke(cli.app, ["--version"])
    assert out.exit_code == 0 and out.output.strip() == f"boletia {version('boletia')}"


def test_every_command_sits_in_a_panel_for_a_newcomer():
    for path, cmd in COMMANDS:
        if len(path) == 1 or path[:1] == ("lab",):
            assert getattr(cmd, "rich_help_panel", None), f"boletia {' '.join(path)} has no panel"
    top = _help()
    panels = ["Lab", "Lessons", "Experiments", "Grading"]
    assert [top.index(f"─ {p} ") for p in panels] == sorted(top.index(f"─ {p} ") for p in panels)


def test_notebooks_passes_what_is_not_a_subcommand_to_jupyter(monkeypatch):
    import os

    called = {}
    monkeypatch.setattr(os, "execv", lambda prog, args: called.setdefault("args", args))
    out = CliRunner().invoke(cli.app, ["notebooks", "--port", "9999", "--ServerApp.token=x"])
    assert out.exit_code == 0, out.output
    assert "--port=9999" in called["args"] and called["args"][-1] == "--ServerApp.token=x"


def test_notebooks_run_runs_its_own_command(tmp_path):
    out = CliRunner().invoke(cli.app, ["notebooks", "run", str(tmp_path / "none.ipynb")])
    assert out.exit_code == 1 and "no notebook at" in out.output


def test_the_failure_verbs_take_a_consumers_member(monkeypatch):
    """`boletia lab kill inventario-2` kills that member alone (a scaled consumer, issue 27)."""
    seen = []

    class Fake:
        name = "local"

        def __getattr__(self, verb):
            return lambda component: seen.append((verb, component))

    monkeypatch.setattr(cli, "get_runtime", lambda name: Fake())
    for verb in ("kill", "pause", "resume", "restart"):
        out = CliRunner().invoke(cli.app, ["lab", verb, "inventario-2"])
        assert out.exit_code == 0, out.output
    assert seen == [(v, "inventario-2") for v in ("kill", "pause", "resume", "restart")]
    out = CliRunner().invoke(cli.app, ["lab", "kill", "inventario-9"], env={"COLUMNS": "200"})
    assert out.exit_code == 2 and "'inventario-9' is not one of" in _flat(out.output)
