"""The heroic.yml a shell works with: a file (``--config``; in a pod, the pod's own
``/etc/heroic/heroic.yml`` when no profile is given), profile fragments merged into it, and the
global ``-X`` switches (``configure``, ``<type>.configure``, ``ingestion.filter``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from heroic_cli.shell.errors import UsageError
from heroic_cli.shell.params import ExtraParameters
from heroic_cli.shell.profiles import Profile, known_keys, resolve
from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.config.audit import no_effect_warnings

#: Where the operator mounts a node's rendered heroic.yml.
POD_CONFIG = Path("/etc/heroic/heroic.yml")
_LISTS = ("backends",)


@dataclass(frozen=True)
class ShellConfig:
    config: HeroicConfig
    source: str
    warnings: list[str] = field(default_factory=list)


def merge(base: Mapping[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    """``fragment`` into ``base``: mappings merge, backend lists and consumers add up."""
    out = copy.deepcopy(dict(base))
    for key, value in fragment.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = merge(current, value)
        elif (
            isinstance(current, list)
            and isinstance(value, list)
            and (key in _LISTS or key in ("consumers", "features"))
        ):
            out[key] = current + copy.deepcopy(value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _configure_flags(data: dict[str, Any], extra: ExtraParameters) -> None:
    everything = extra.flag("configure")
    for section in ("metrics", "metadata", "suggest"):
        for backend in (data.get(section) or {}).get("backends") or []:
            kind = backend.get("type")
            if everything or extra.flag(f"{kind}.configure"):
                backend["configure"] = True


def build(
    config_file: str | None, profile_names: Sequence[str], extra_items: Sequence[str]
) -> ShellConfig:
    """The config, or a ``UsageError`` naming the profile, parameter or file at fault."""
    profiles: dict[str, Profile] = {}
    for name in profile_names:
        profile = resolve(name)
        profiles[profile.name] = profile
    extra = ExtraParameters.parse(extra_items)
    extra.check(known_keys(profiles))
    data: dict[str, Any] = {}
    source = "profiles " + ", ".join(profiles) if profiles else "defaults (memory backends)"
    path = Path(config_file) if config_file else None
    if path is None and not profiles and POD_CONFIG.exists():
        path = POD_CONFIG
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"--config {path}: {exc}") from None
        if not isinstance(loaded, dict):
            raise UsageError(f"--config {path}: not a YAML mapping")
        data = loaded
        source = f"{path}" + (f" with profiles {', '.join(profiles)}" if profiles else "")
    for profile in profiles.values():
        data = merge(data, profile.build(extra.scope(profile.scope)))
    if path is None and not profiles:
        data = HeroicConfig.default().model_dump(mode="json", by_alias=True, exclude_none=True)
    _configure_flags(data, extra)
    if "ingestion.filter" in extra.values:
        data = merge(data, {"ingestion": {"filter": extra.values["ingestion.filter"]}})
    try:
        config = HeroicConfig.from_dict(data, source)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    warnings = [p.warning for p in profiles.values() if p.warning]
    warnings += no_effect_warnings(config)
    return ShellConfig(config, source, warnings)
