"""The deployment files and docs agree with the code: every setting they name exists, the
compose file has its two instances and a healthy PostgreSQL, the image runs `properbot run` as
a non-root user, the systemd unit is hardened, and the README points at the guides."""

from __future__ import annotations

import dataclasses
import re
import shlex
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from bot.settings import RESERVED_WEB_PATHS, Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "deploy" / "compose.yaml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
UNIT = ROOT / "deploy" / "properbot.service"
DEPLOY_DOC = ROOT / "docs" / "DEPLOY.md"
ARCHITECTURE_DOC = ROOT / "docs" / "ARCHITECTURE.md"

# An environment variable as these files write it: capitals joined by underscores.
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
# Capitals with underscores that are not properbot settings: the postgres image's own
# settings (compose.yaml, DEPLOY.md) and the unit's socket address families.
NOT_SETTINGS = frozenset(
    {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "AF_UNIX", "AF_INET", "AF_INET6"}
)
# Stands in for ${POSTGRES_PASSWORD:?...}, as `docker compose` would fill it in from deploy/.env.
COMPOSE_INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")


def example_settings() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def settings_read() -> set[str]:
    """Names bot/settings.py reads, each also a field of Settings."""
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    fields = {f.name.upper() for f in dataclasses.fields(Settings)}
    return {name for name in fields if f'"{name}"' in source}


def unknown_settings(path: Path) -> list[str]:
    named = set(ENV_NAME.findall(path.read_text(encoding="utf-8"))) - NOT_SETTINGS
    known = example_settings() & settings_read()
    return sorted(named - known)


def test_every_setting_the_deployment_names_exists_in_env_example_and_settings() -> None:
    for path in (COMPOSE, UNIT, DEPLOY_DOC, CADDYFILE):
        assert unknown_settings(path) == [], path.name
    # The image's runtime environment (the build stage's pip settings are pip's own).
    runtime_env = set(ENV_NAME.findall(dict(final_stage())["ENV"]))
    assert runtime_env <= example_settings() & settings_read()


def test_the_setting_check_catches_a_misspelt_name(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("Set `TELEGRAM_WEBHOOK_URL` and `TELEGRAM_WEBHOOK_SECRETS`.", encoding="utf-8")
    assert unknown_settings(doc) == ["TELEGRAM_WEBHOOK_SECRETS"]


# --- compose.yaml ---------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def bot_services(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from this repository's Dockerfile: the properbot instances."""
    return {
        name: service
        for name, service in services.items()
        if isinstance(service.get("build"), dict)
        and service["build"].get("dockerfile") == "Dockerfile"
        and (COMPOSE.parent / service["build"]["context"]).resolve() == ROOT
    }


def interpolated(value: str) -> str:
    return COMPOSE_INTERPOLATION.sub(lambda m: "s3cretpass" if m[1] else "", value)


def test_compose_runs_two_webhook_instances_on_a_healthy_postgres() -> None:
    services = compose()["services"]
    instances = bot_services(services)
    assert len(instances) == 2, sorted(services)

    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    # Each instance names itself, so logs, /readyz and the active_worker record tell them apart.
    names = {service["environment"].get("INSTANCE_NAME") for service in instances.values()}
    assert len(names) == 2 and None not in names, names

    for name, service in instances.items():
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        environment = {
            key: interpolated(str(value)) for key, value in service["environment"].items()
        }
        # What the operator's deploy/properbot.env adds (copied from .env.example).
        operator = {
            "TELEGRAM_BOT_TOKEN": "123456789:" + "A" * 35,
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.go.id/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret-Token_1",
        }
        settings = Settings.from_mapping({**operator, **environment})
        assert settings.database_url.startswith("postgresql://"), name
        assert settings.database_url.split("@")[1].startswith("postgres:5432/"), name
        assert settings.web_host == "0.0.0.0", name
        # Both instances see the same evidence folder, on a volume.
        mounts = [str(volume).split(":") for volume in service["volumes"]]
        assert ["evidence", str(settings.evidence_dir)] in mounts, name
        # Caddy sends traffic to every instance on the port it listens on.
        assert f"{name}:{settings.web_port}" in caddyfile, name
        assert "ports" not in service, f"{name} must be reached through the proxy only"

    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])


def test_caddy_keeps_monitoring_endpoints_private_and_lets_the_webhook_through() -> None:
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    internal = re.search(r"@internal path (.+)", caddyfile)
    assert internal is not None
    blocked = set(internal[1].split())
    assert {"/metrics", "/readyz"} <= blocked
    # Only the bot's own monitoring paths: the webhook and the web pages pass.
    assert blocked <= RESERVED_WEB_PATHS


# --- Dockerfile and .dockerignore -----------------------------------------------------------


def final_stage() -> list[tuple[str, str]]:
    """The runtime stage's instructions (after the last FROM), continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for line in joined.splitlines()
        if (parts := line.strip().split(None, 1))
    ]
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def exec_form(argument: str) -> list[str]:
    return yaml.safe_load(argument) if argument.startswith("[") else shlex.split(argument)


def test_image_runs_properbot_run_as_a_non_root_user_with_a_healthcheck() -> None:
    stage = final_stage()
    ops = dict(stage)
    assert ops["FROM"].startswith("python:3.11-slim")
    user = ops["USER"].split(":")[0]
    assert user not in {"root", "0", ""}
    assert exec_form(ops["ENTRYPOINT"]) + exec_form(ops["CMD"]) == ["properbot", "run"]
    assert "/healthz" in ops["HEALTHCHECK"]
    env = dict(re.findall(r"(\w+)=(\S+)", ops["ENV"]))
    assert env["EVIDENCE_DIR"] in exec_form(ops["VOLUME"])
    # The USER comes after everything that needs root.
    assert [op for op, _ in stage].index("USER") > max(
        i for i, (op, _) in enumerate(stage) if op == "RUN"
    )
    assert "[dev]" not in DOCKERFILE.read_text(encoding="utf-8")


def test_dockerignore_lets_in_only_the_package() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "everything out first (.env, databases, evidence, .venv)"
    let_in = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages | {"pyproject.toml", project["project"]["readme"]} == let_in


def test_the_demo_s_sample_cohort_is_installed_with_the_package() -> None:
    """`properbot demo` in the image (a `pip install .`, not editable) reads its sample from the
    installed package: it must be package data, not a file beside the packages."""
    from bot.demo import SAMPLE

    assert SAMPLE.is_file()
    package, relative = SAMPLE.relative_to(ROOT).parts[0], SAMPLE.relative_to(ROOT / "bot")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = project["tool"]["setuptools"]["package-data"]
    patterns = [*data.get(package, []), *data.get("*", [])]
    assert package == "bot" and any(relative.match(p) for p in patterns if "/" in p), patterns


# --- systemd --------------------------------------------------------------------------------


def unit_sections() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    section = ""
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        sections[section][key.strip()].append(value.strip())
    return sections


def test_systemd_unit_is_hardened_and_restarts_on_failure() -> None:
    service = unit_sections()["Service"]
    assert service["User"] or service["DynamicUser"] == ["yes"]
    assert service["User"] != ["root"]
    assert service["ProtectSystem"] == ["strict"]
    for key in ("ProtectHome", "PrivateTmp", "NoNewPrivileges", "PrivateDevices"):
        assert service[key] == ["yes"], key
    assert service["Restart"] == ["on-failure"]
    assert service["EnvironmentFile"] and service["StateDirectory"]
    command = shlex.split(service["ExecStart"][0])
    assert Path(command[0]).name == "properbot" and command[1:] == ["run"]
    assert unit_sections()["Install"]["WantedBy"] == ["multi-user.target"]


# --- docs -----------------------------------------------------------------------------------


def test_readme_links_the_deployment_and_architecture_guides() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/DEPLOY.md)" in readme
    assert "(docs/ARCHITECTURE.md)" in readme


def test_every_file_the_guides_link_exists() -> None:
    for doc in (DEPLOY_DOC, ARCHITECTURE_DOC):
        links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8"))
        assert links, doc.name
        missing = [link for link in links if not (doc.parent / link).exists()]
        assert missing == [], doc.name
