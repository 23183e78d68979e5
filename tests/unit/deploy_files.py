"""Reading the deployment files for tests/unit/test_deploy_files.py: deploy/compose.yaml with
its variables filled from deploy/.env.example, the Kubernetes manifests with each container's
environment, and each process's settings as such an environment makes them."""

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ordersaga.settings import (
    ApiSettings,
    ProcessSettings,
    ProjectorSettings,
    ServiceSettings,
    WorkerSettings,
    key_digest,
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS: dict[str, type[ProcessSettings]] = {
    "api": ApiSettings,
    "worker": WorkerSettings,
    "inventory": ServiceSettings,
    "payment": ServiceSettings,
    "projector": ProjectorSettings,
}
SAMPLE_KEYS = json.dumps({key_digest("a-key-of-the-tests"): "operator"})
VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value.strip().strip("'\"")
    return values


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, from `values`."""

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if values.get(name):
            return values[name]
        assert operator == "-", f"${{{name}}} has no value and no default"
        return str(argument)

    return VARIABLE.sub(one, text.replace("$$", "\0")).replace("\0", "$")


def compose_values() -> dict[str, str]:
    """.env.example, its empty values (passwords, keys) filled as a user would."""
    values = env_example()
    for name, value in values.items():
        if not value:
            values[name] = SAMPLE_KEYS if name == "ORDERSAGA_API_KEYS" else f"pw-{name.lower()}"
    return values


def processes() -> dict[str, tuple[str, dict[str, Any]]]:
    """Each compose service running an ordersaga process: its process name and service."""
    found = {}
    for name, service in compose()["services"].items():
        if "APP_IMAGE" in service["image"] or "NEXT_APP_IMAGE" in service["image"]:
            found[name] = (service["command"][0], service)
    return found


def settings_of(
    process: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> ProcessSettings:
    """The process's settings as the environment `env` makes them (only `env`)."""
    for name in [name for name in os.environ if name.startswith("ORDERSAGA_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return SETTINGS[process]()


def assert_settings_of(process: str, env: dict[str, str]) -> None:
    fields = {f"ORDERSAGA_{name.upper()}" for name in SETTINGS[process].model_fields}
    unknown = sorted(name for name in env if name.startswith("ORDERSAGA_") and name not in fields)
    assert not unknown, f"{process}: not settings of {SETTINGS[process].__name__}: {unknown}"


def shutdown_bound(process: str, settings: ProcessSettings) -> float:
    """How long the process may take to stop, by its settings: its shutdown bounds, the orders
    database the worker hosts (with ServiceSettings' defaults), the longest API request."""
    bound = sum(
        float(getattr(settings, name))
        for name in type(settings).model_fields
        if name.endswith("shutdown_seconds")
    )
    if process == "worker":
        fields = ServiceSettings.model_fields.items()
        bound += sum(field.default for name, field in fields if name.endswith("shutdown_seconds"))
    if isinstance(settings, ApiSettings):
        bound += settings.max_wait_seconds
    return bound


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"grace period {duration!r} is not in seconds"
    return float(match.group(1))


def manifests() -> dict[str, list[dict[str, Any]]]:
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def kinds(kind: str) -> list[dict[str, Any]]:
    return [doc for docs in manifests().values() for doc in docs if doc["kind"] == kind]


def k8s_env(container: dict[str, Any]) -> dict[str, str]:
    """The container's environment: its ConfigMaps, then its env, secrets from the example."""
    maps = {doc["metadata"]["name"]: doc["data"] for doc in kinds("ConfigMap")}
    (secret,) = kinds("Secret")
    secrets = {
        key: value.replace("CHANGE", "pw-sample") for key, value in secret["stringData"].items()
    }
    secrets["api-keys"] = SAMPLE_KEYS
    env = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        ref = item.get("valueFrom", {})
        if "secretKeyRef" in ref:
            env[item["name"]] = secrets[ref["secretKeyRef"]["key"]]
        elif "configMapKeyRef" in ref:
            env[item["name"]] = maps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]]
        else:
            env[item["name"]] = str(item["value"])
    return env
