"""The pieces of a rendered heroic.yml: a backend's ``Section``, a whole validated file.

Each backend family renders its part of the file together with the Secrets it needs
(``desired.backends``); ``components`` joins sections into files and validates each through
``heroic_core.config.HeroicConfig``, the model the workloads load, so a config the operator writes
is one the workloads accept. Pure: no Kubernetes calls; must not import anything from
``heroic_core`` but ``heroic_core.config``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from heroic_core.config import ConfigError, HeroicConfig
from heroic_operator import naming
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, SecretKeyRef

HEROIC_PORT = 8080
# libyaml's dumper writes the same text as the pure-Python one, six times faster.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class SecretUse:
    """A Secret key a pod needs: as an environment variable (``env``) or a mounted file."""

    ref: SecretKeyRef
    env: str | None = None

    @property
    def path(self) -> str:
        return f"{naming.secret_mount_dir(self.ref.name)}/{self.ref.key}"


@dataclass(frozen=True)
class Section:
    """One backend's part of a heroic.yml and what a pod using it must provide.

    ``config`` holds top-level keys of the file (``metrics``, ``metadata``, ``consumers``...);
    ``secrets`` the Secret keys it reads, ``env`` plain variables it needs (a path into a
    mounted Secret). Rendered once, read by both the components and the configure targets.
    """

    config: Mapping[str, Any]
    secrets: tuple[SecretUse, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def combine(sections: Iterable[Section]) -> Section:
    """Sections side by side in one file, their Secrets and variables in the same order."""
    config: dict[str, Any] = {}
    secrets: tuple[SecretUse, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    for section in sections:
        config |= section.config
        secrets += section.secrets
        env += section.env
    return Section(config, secrets, env)


@dataclass(frozen=True)
class Rendered:
    """One validated heroic.yml: its text, what the pod must provide, and where it keeps
    ``type: memory`` backends. The model itself is not kept (renderings are cached per
    cluster, and a validated config is ~10 KiB of Python objects): ``config`` reads the text
    again."""

    text: str
    secrets: tuple[SecretUse, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    memory_backends: tuple[str, ...] = ()

    @property
    def config(self) -> HeroicConfig:
        return HeroicConfig.from_yaml(self.text)


def to_text(config: HeroicConfig) -> str:
    """The file as written into the ConfigMap (wire names, no nulls, stable order)."""
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``; mappings merge, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = deep_merge(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate(cluster: Cluster, data: Mapping[str, Any], what: str) -> HeroicConfig:
    """``HeroicConfig`` from a merged document; ``InvalidSpec`` (naming ``what``) if invalid."""
    try:
        return HeroicConfig.from_dict(deep_merge(cluster.spec.config, data), f"the {what}")
    except ConfigError as exc:
        raise InvalidSpec(f"spec.config: {exc}", reason="InvalidConfig") from None


def render(cluster: Cluster, data: Mapping[str, Any], section: Section, what: str) -> Rendered:
    """The file ``data`` (which holds ``section.config``) validated, with ``section``'s needs."""
    config = validate(cluster, data, what)
    return Rendered(to_text(config), section.secrets, section.env, tuple(config.memory_backends()))
