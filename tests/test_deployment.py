"""docker-compose.yml, the Dockerfiles and the env files agree with each other and the project.

No Docker engine runs here, so the deployment is checked statically: every file it copies exists,
every image tag is pinned to the versions we test with, every variable is documented in
.env.example, ports line up, health checks exist and telemetry is off.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.channels.webhook import DRAIN_TIMEOUT_S
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
SERVICES = COMPOSE["services"]
VAR = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(?::?-[^}]*)?\}")


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            out[name.strip().lower().replace("_", "-")] = version.strip()
    return out


def env_example() -> dict[str, str]:
    out = {}
    for line in (ROOT / ".env.example").read_text("utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
    return out


def dockerfile(service: str) -> list[tuple[str, str]]:
    path = ROOT / SERVICES[service]["build"]["dockerfile"]
    text = re.sub(r"\\\n", " ", path.read_text("utf-8"))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    ]


BUILT = [name for name, svc in SERVICES.items() if "build" in svc]


def test_every_project_service_is_built_from_an_existing_dockerfile() -> None:
    assert set(BUILT) == {"rasa", "actions", "web"}
    for name in BUILT:
        assert (ROOT / SERVICES[name]["build"]["context"]).is_dir()
        assert (ROOT / SERVICES[name]["build"]["dockerfile"]).is_file()


@pytest.mark.parametrize("service", ["rasa", "actions", "web"])
def test_every_file_a_dockerfile_copies_exists(service: str) -> None:
    copied = []
    for instruction, args in dockerfile(service):
        if instruction == "COPY":
            *sources, _target = args.split()
            copied += [s for s in sources if not s.startswith("--")]
    assert copied
    for source in copied:
        assert (ROOT / source).exists(), f"{service}: COPY {source} does not exist"


@pytest.mark.parametrize(
    ("service", "folders"),
    [
        # the channels answer a sticker or apologise with knowledge texts, which hold figures
        ("rasa", ("data/lexicon", "bot", "data/knowledge", "data/schemes")),
        ("actions", ("data/knowledge", "data/schemes", "data/eligibility", "data/lexicon")),
        ("web", ("bot", "data/knowledge", "data/schemes", "data/dashboard")),
    ],
)
def test_each_image_holds_the_data_its_code_reads(service: str, folders: tuple[str, ...]) -> None:
    copied = {a.split()[0] for i, a in dockerfile(service) if i == "COPY"}
    assert set(folders) <= copied


def test_base_images_match_the_tested_versions() -> None:
    req = pins(ROOT / "requirements.txt")
    bases = {s: [a for i, a in dockerfile(s) if i == "FROM"][0] for s in BUILT}
    assert bases["rasa"] == f"rasa/rasa:{req['rasa']}-full"
    assert bases["actions"] == f"rasa/rasa-sdk:{req['rasa-sdk']}"
    assert bases["web"].startswith("python:3.10")


def test_extra_image_requirements_use_the_tested_versions() -> None:
    req = pins(ROOT / "requirements.txt")
    for name in ("requirements-rasa-image.txt", "requirements-actions.txt", "requirements-web.txt"):
        for package, version in pins(ROOT / name).items():
            assert req.get(package) == version, f"{name}: {package}=={version}"


def test_third_party_images_are_pinned() -> None:
    for name, svc in SERVICES.items():
        if "build" not in svc:
            image = svc["image"]
            assert ":" in image and not image.endswith(":latest"), name
            assert re.search(r":\d+(\.\d+)+", image), f"{name}: {image} is not pinned"


def test_every_variable_is_documented_in_env_example() -> None:
    documented = env_example()
    used = set(VAR.findall((ROOT / "docker-compose.yml").read_text("utf-8")))
    assert used and used <= set(documented), used - set(documented)


def test_rasa_service_sets_every_variable_endpoints_yml_needs() -> None:
    needed = set(VAR.findall((ROOT / "endpoints.yml").read_text("utf-8")))
    assert needed <= set(SERVICES["rasa"]["environment"]), needed


def test_make_run_defaults_cover_every_variable_endpoints_yml_needs() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    for name in VAR.findall((ROOT / "endpoints.yml").read_text("utf-8")):
        assert re.search(rf"^{name} \?= ", makefile, re.M), name


@pytest.mark.parametrize(("service", "port"), [("rasa", 5005), ("actions", 5055), ("web", 8000)])
def test_ports_line_up_with_commands_healthchecks_and_expose(service: str, port: int) -> None:
    svc = SERVICES[service]
    assert f"EXPOSE {port}" in [f"{i} {a}" for i, a in dockerfile(service)]
    assert str(port) in " ".join(svc["healthcheck"]["test"])
    if "command" in svc:
        assert f"--port {port}" in " ".join(svc["command"]).replace('", "', " ")
    for mapping in svc.get("ports", []):
        assert mapping.endswith(f":{port}")


def test_service_urls_point_at_the_right_ports() -> None:
    assert SERVICES["rasa"]["environment"]["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    assert SERVICES["web"]["environment"]["RASA_URL"] == "http://rasa:5005"
    assert "@db:5432/" in SERVICES["rasa"]["environment"]["TRACKER_DB_URL"]


def test_accepted_messages_are_kept_in_the_deployments_database_not_in_the_container() -> None:
    env = SERVICES["rasa"]["environment"]
    assert "@db:5432/" in env["CHANNELS_DB_URL"]  # the inbox outlives a container that dies
    assert "CHANNELS_DB_PATH" not in env


def test_every_service_has_a_healthcheck_and_waits_for_healthy_dependencies() -> None:
    for name, svc in SERVICES.items():
        assert svc.get("healthcheck", {}).get("test"), name
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in SERVICES and cond == {"condition": "service_healthy"}


def test_rasa_http_api_is_not_enabled() -> None:
    assert "--enable-api" not in " ".join(SERVICES["rasa"]["command"])


def test_rasa_service_enables_channels_through_the_credentials_generator() -> None:
    command = " ".join(SERVICES["rasa"]["command"])
    assert command.startswith("python -m scripts.credentials --out /tmp/credentials.yml && ")
    assert "--credentials /tmp/credentials.yml" in command
    copied = " ".join(a for i, a in dockerfile("rasa") if i == "COPY")
    assert "scripts/credentials.py" in copied
    for name in ("MESSENGER_APP_SECRET", "TELEGRAM_WEBHOOK_SECRET"):
        assert name in SERVICES["rasa"]["environment"]


def test_rasa_gets_signals_and_time_to_finish_accepted_messages_before_it_is_killed() -> None:
    command = " ".join(SERVICES["rasa"]["command"])
    assert "&& exec rasa run" in command  # the signal reaches Rasa, not the shell
    grace = re.fullmatch(r"(\d+)s", SERVICES["rasa"]["stop_grace_period"])
    assert grace is not None and int(grace.group(1)) > DRAIN_TIMEOUT_S


def test_telemetry_is_off_in_every_rasa_process() -> None:
    for name in ("rasa", "actions"):
        assert SERVICES[name]["environment"]["RASA_TELEMETRY_ENABLED"] == "false"
    assert "RASA_TELEMETRY_ENABLED=false" in (ROOT / "docker/rasa.Dockerfile").read_text("utf-8")
    assert re.search(
        r"^export RASA_TELEMETRY_ENABLED := false$", (ROOT / "Makefile").read_text(), re.M
    )


def test_the_rasa_image_trains_and_serves_with_the_makefiles_kernels() -> None:
    """The model the image builds is trained like the one CI measures (oneDNN off, Makefile)."""
    setting = re.search(
        r"^export TF_ENABLE_ONEDNN_OPTS := (\S+)$", (ROOT / "Makefile").read_text(), re.M
    )
    assert setting
    steps = dockerfile("rasa")
    env = next(
        i for i, (op, rest) in enumerate(steps) if op == "ENV" and "TF_ENABLE_ONEDNN_OPTS" in rest
    )
    assert f"TF_ENABLE_ONEDNN_OPTS={setting.group(1)}" in steps[env][1].split()
    assert env < next(
        i for i, (op, rest) in enumerate(steps) if op == "RUN" and "rasa train" in rest
    )


def test_database_password_is_not_in_the_compose_file() -> None:
    assert SERVICES["db"]["environment"]["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD}"


def test_endpoints_yml_expands_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("TRACKER_DB_URL", "sqlite:////tmp/tracker.db")
    actions = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
    tracker = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    assert actions is not None and actions.url == "http://127.0.0.1:5055/webhook"
    assert tracker is not None and tracker.url == "sqlite:////tmp/tracker.db"
    assert tracker.type == "bot.channels.tracker_store.MaskedSQLTrackerStore"
