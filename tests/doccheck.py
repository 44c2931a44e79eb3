"""Checking an operator's guide against the repository: the `motcua ...` commands it shows parse, the repository
paths it names exist, the Ansible variables it names are declared. Used by tests/test_deploy_doc.py for
docs/deploy.md and the Vietnamese guides (docs/vi/)."""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
ANSIBLE = REPO / "ansible"
EXAMPLE = ANSIBLE / "inventories" / "example"

#: Where a relative path of a guide is looked for: the repository, the Ansible folder (the deploy commands run from
#: there), the sample inventory (`hosts.yml`, `group_vars/kiosks.yml` are the inventory's files) and docs/.
PATH_BASES = (REPO, ANSIBLE, EXAMPLE, REPO / "docs", REPO / "examples" / "ward-hall")

#: Files that do not exist in the repository because a playbook or the technician makes them.
MADE_LATER = re.compile(
    r"^(?:ansible/)?(?:backups/|wheelhouse/|inventories/<site>/tls/|tls/)"
    r"|^(?:ansible/)?inventories/<site>/?$"
    r"|^procedures\.toml$"  # a hall's own catalogue, next to its hosts.yml
)

#: Commands whose names look like variables.
COMMANDS = {"mosquitto_sub", "mosquitto_pub", "mosquitto_rr", "mosquitto_passwd"}

#: Prefixes of the variables the roles and playbooks read.
VARIABLE = re.compile(
    r"(?<![\w-])(?:motcua|common|display|kiosk|coordinator|mosquitto|vault|console|counter_keypad|counter_screen"
    r"|rating_pad|province)_[a-z0-9_]*[a-z0-9](?![\w-])"
)

_FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)
_INLINE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_FILE_SUFFIXES = (".md", ".yml", ".yaml", ".toml", ".py", ".txt", ".j2", ".cfg", ".sh")


def fenced_lines(text: str) -> list[str]:
    """Every line of the fenced code blocks, a `\\` continuation joined to the next line."""
    lines: list[str] = []
    for block in _FENCE.findall(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        lines.extend(line.strip() for line in joined.splitlines() if line.strip())
    return lines


def inline_spans(text: str) -> list[str]:
    """The text of every `inline code` span outside fenced blocks."""
    return _INLINE.findall(_FENCE.sub("", text))


def motcua_commands(text: str) -> list[list[str]]:
    """Each `motcua ...` command of the guide (in a block or inline), as argv after `motcua`; a `# comment`, a
    pipe and what follows are left out, `<placeholder>` becomes ``1`` (a counter number parses; so does a name)."""
    commands: list[list[str]] = []
    for line in [*fenced_lines(text), *inline_spans(text)]:
        match = re.search(r"(?:^|\s|\()(?:sudo\s+)?motcua\s+(\S.*)$", line)
        if not match or line.lstrip().startswith(("/", "journalctl", "systemctl")):
            continue
        command = re.split(r"\s+#|\s*\||\s*&&|\s*;", match.group(1))[0]
        command = re.sub(r"<[^>]*>", "1", command).rstrip(")").strip()
        words = shlex.split(command)
        if words and re.fullmatch(r"[a-z][a-z-]*", words[0]):
            commands.append(words)
    return commands


def command_problem(argv: list[str]) -> str | None:
    """Why `motcua <argv>` would not parse (None: it parses). Nothing is run but the parsers (and, for a tool
    without a parser of its own, `motcua TOOL --help`)."""
    from motcua import cli

    try:
        args, rest = cli.build_parser().parse_known_args(argv)
    except SystemExit:
        return "the motcua command line refuses it"
    if args.command in cli.TOOLS and not rest and len(argv) == 1:
        return None  # a tool named in the prose (`motcua report`), not a command line to type
    if args.command in cli.TOOLS:
        module = importlib.import_module(cli.TOOLS[args.command][0])
        parser_of = getattr(module, "build_parser", None)
        if parser_of is not None:
            parser: argparse.ArgumentParser = parser_of()
            try:
                parser.parse_args(rest)
            except SystemExit:
                return f"`motcua {args.command}` refuses {rest}"
            return None
        helped = subprocess.run(
            [sys.executable, "-m", "motcua.cli", args.command, "--help"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        return None if helped.returncode == 0 else f"`motcua {args.command} --help` failed: {helped.stderr[-300:]}"
    if rest:
        return f"unrecognised arguments {rest}"
    return None


def _looks_like_path(span: str) -> bool:
    if any(mark in span for mark in (" ", "://", "=", "@", "'", '"', "+", "$", "*")):
        return False
    # On the Pi, the home folder, an option, a redirection, an elided path (.../vault.yml), a URL, a time zone.
    if span.startswith(("/", "~", "-", ">", "<", "...", "http", "Asia/")):
        return False
    if re.search(r"\d+\.\d+\.\d+", span):  # an address, a network, a version
        return False
    return "/" in span.strip("/") or span.endswith(_FILE_SUFFIXES)


def repository_paths(text: str) -> list[str]:
    """The relative paths a guide names: the words of inline code and code blocks that look like a path,
    `docs/...md` in the prose, and the targets of relative links (anchors dropped)."""
    found: list[str] = []
    for line in [*inline_spans(text), *fenced_lines(text)]:  # names alone, and the words of commands
        found += [word.rstrip(",.:;") for word in line.split(" #", 1)[0].split() if _looks_like_path(word)]
    prose = _FENCE.sub("", _INLINE.sub("", text))
    found += re.findall(r"(?<![\w/.-])((?:docs|ansible|examples|tests|scripts|requirements)/[\w./<>-]*[\w>/])", prose)
    for target in _LINK.findall(text):
        if not target.startswith(("http", "#", "mailto:")):
            found.append(target.split("#")[0])
    return [path for path in dict.fromkeys(found) if path]


def _tracked_names() -> set[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return {Path(line).name for line in listed.splitlines()}


def path_exists(path: str, *, doc: Path) -> bool:
    """Whether `path` exists from the guide's folder or one of `PATH_BASES`; `<placeholder>` matches any name
    (`inventories/<site>/hosts.yml` is the sample inventory's), a `{a,b}` brace any of its words."""
    if MADE_LATER.search(path):
        return True
    if "/" not in path and "<" not in path and path in _tracked_names():  # a file named alone (`site.yml`)
        return True
    pattern = re.sub(r"<[^>]*>", "*", path)
    braces = re.search(r"\{([^}]*)\}", pattern)
    patterns = (
        [pattern[: braces.start()] + word + pattern[braces.end() :] for word in braces.group(1).split(",")]
        if braces
        else [pattern]
    )
    for candidate in patterns:
        candidate = candidate.rstrip("/")
        for base in (doc.parent, *PATH_BASES):
            if "*" in candidate:
                if any(base.glob(candidate)):
                    break
            elif (base / candidate).exists():
                break
        else:
            return False
    return True


def _keys(node: object) -> Iterator[str]:
    """Every mapping key of a YAML document, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def _load_yaml(path: Path) -> object:
    class _Loader(yaml.SafeLoader):
        pass

    # The sample vault is encrypted (!vault): its keys are read from vault.example.yml instead.
    _Loader.add_constructor("!vault", lambda loader, node: None)
    return yaml.load(path.read_text("utf-8"), Loader=_Loader)  # a SafeLoader plus one tag


def declared_variables() -> set[str]:
    """Every variable a role declares (defaults, argument_specs), the playbooks' group_vars and the sample
    inventory set (vault.example.yml for the vault's), and every variable a playbook reads (`name | default(`,
    `vars:`: the extra variables such as motcua_update_batch)."""
    names: set[str] = set()
    for path in [
        *ANSIBLE.glob("roles/*/defaults/main.yml"),
        *ANSIBLE.glob("group_vars/**/*.yml"),
        *EXAMPLE.rglob("*.yml"),
    ]:
        if path.name == "vault.yml":
            continue
        document = _load_yaml(path)
        if isinstance(document, dict):
            names.update(str(key) for key in document)
            if path.name == "hosts.yml":
                names.update(_keys(document))
    for path in ANSIBLE.glob("roles/*/meta/argument_specs.yml"):
        specs = _load_yaml(path)
        assert isinstance(specs, dict)
        for entry in specs["argument_specs"].values():
            names.update(entry.get("options", {}))
    for path in [*ANSIBLE.rglob("*.yml"), *ANSIBLE.rglob("*.j2")]:
        names.update(re.findall(r"\b([a-z][a-z0-9_]*)\s*\|\s*default\(", path.read_text("utf-8")))
    for path in ANSIBLE.glob("*.yml"):
        for play in _load_yaml(path) or []:
            if isinstance(play, dict) and isinstance(play.get("vars"), dict):
                names.update(play["vars"])
    return names


def named_variables(text: str) -> list[str]:
    """The Ansible variables a guide names (by their role or project prefix)."""
    return [name for name in dict.fromkeys(VARIABLE.findall(text)) if name not in COMMANDS]
