"""``configure``: put our index templates (composable where the server has them, legacy where
it does not or where ``templates: legacy`` asks) and refuse to go on over a mapping conflict.

A conflict is a field of ours that an existing template of our name, an existing index of our
pattern, or (composable) the template an index of ours would be created from maps otherwise:
one error naming the index or template and the field. It never deletes or overwrites a
template or a mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from heroic_core.backends.elasticsearch.client import SEARCH_OPTIONS, ApiError, SearchClient
from heroic_core.backends.elasticsearch.engines import Engine
from heroic_core.backends.errors import BackendRejectedError

#: The parts of a field mapping that decide how our documents are indexed and found.
_COMPARED = ("type", "analyzer")


def use_composable(engine: Engine, choice: str) -> bool:
    """``templates: auto`` -> composable where the server has ``_index_template``."""
    if choice == "legacy":
        return False
    if choice == "composable" and not engine.has_composable_templates:
        raise BackendRejectedError(f"{engine} has no composable index templates")
    return engine.has_composable_templates


def composable_body(legacy: dict[str, Any]) -> dict[str, Any]:
    """The composable form of a legacy template body (``order`` becomes ``priority``)."""
    return {
        "index_patterns": legacy["index_patterns"],
        "priority": legacy["order"],
        "template": {"settings": legacy["settings"], "mappings": legacy["mappings"]},
        "_meta": {"managed_by": "heroic"},
    }


def _fields(properties: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, mapping in properties.items():
        path = f"{prefix}{name}"
        yield path, mapping
        yield from _fields(mapping.get("properties") or {}, f"{path}.")
        yield from _fields(mapping.get("fields") or {}, f"{path}.")


def conflicts(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """``field: theirs vs ours`` for each field both map differently (extra fields are fine)."""
    found = dict(_fields(theirs.get("properties") or {}))
    out = []
    for path, mapping in _fields(ours.get("properties") or {}):
        other = found.get(path)
        if other is None:
            continue
        for key in _COMPARED:
            mine, its = mapping.get(key), other.get(key, "object" if key == "type" else None)
            if key == "type" and mine is None:
                continue
            if mine != its:
                out.append(f"field {path!r} has {key} {its!r}, heroic needs {mine!r}")
    return out


def _refuse(where: str, problems: list[str]) -> None:
    if problems:
        raise BackendRejectedError(f"mapping conflict in {where}: {'; '.join(problems)}")


async def ensure_templates(
    client: SearchClient,
    engine: Engine,
    templates: dict[str, dict[str, Any]],
    samples: dict[str, str],
    choice: str = "auto",
) -> tuple[list[str], list[str]]:
    """Create missing templates (legacy bodies, converted where composable); returns
    (created, existing) names. ``samples`` names, per template, an index it would apply to."""
    composable = use_composable(engine, choice)
    created: list[str] = []
    existing: list[str] = []
    for name, legacy in templates.items():
        mapping = legacy["mappings"]
        if await _put_template(client, name, legacy, composable=composable):
            created.append(name)
        else:
            existing.append(name)
        await _check_indices(client, legacy["index_patterns"][0], mapping)
        if composable:
            await _check_simulated(client, samples[name], mapping)
    return created, existing


async def _put_template(
    client: SearchClient, name: str, legacy: dict[str, Any], *, composable: bool
) -> bool:
    """Put ``name`` unless it exists (then check it); True if it was created."""
    path = f"/_index_template/{name}" if composable else f"/_template/{name}"
    current = await client.request("GET", path, ignore=(404,))
    if current is not None:
        _refuse(f"template {name}", conflicts(legacy["mappings"], _template_mapping(current)))
        return False
    body = composable_body(legacy) if composable else legacy
    try:
        await client.request("PUT", path, params={"create": "true"}, body=body)
    except ApiError as exc:
        if "already exists" in str(exc):
            return False  # created concurrently by another process
        raise BackendRejectedError(f"template {name} refused: {exc}") from None
    return True


def _template_mapping(answer: Any) -> dict[str, Any]:
    """The mappings of a GET ``_index_template/<name>`` or ``_template/<name>`` answer."""
    if isinstance(answer, dict) and "index_templates" in answer:
        templates = answer["index_templates"]
        return dict(templates[0]["index_template"].get("template", {}).get("mappings") or {})
    body = next(iter(answer.values())) if isinstance(answer, dict) and answer else {}
    return dict(body.get("mappings") or {})


async def _check_indices(client: SearchClient, pattern: str, mapping: dict[str, Any]) -> None:
    """Existing indices of our pattern (made before our template, or by someone else's)."""
    options = {**SEARCH_OPTIONS, "expand_wildcards": "open,closed"}
    found = await client.request("GET", f"/{pattern}/_mapping", params=options)
    for index, body in sorted((found or {}).items()):
        _refuse(f"existing index {index}", conflicts(mapping, body.get("mappings") or {}))


async def _check_simulated(client: SearchClient, sample: str, mapping: dict[str, Any]) -> None:
    """The mapping a new index of ours would get, with every matching template applied: a
    template of someone else's with a higher priority wins over ours."""
    answer = await client.request("POST", f"/_index_template/_simulate_index/{sample}")
    resolved = ((answer or {}).get("template") or {}).get("mappings") or {}
    problems = conflicts(mapping, resolved)
    if problems:
        losers = {str(o.get("name")) for o in (answer or {}).get("overlapping") or []}
        winners = [n for n in await _matching_templates(client, sample) if n not in losers]
        _refuse(f"index {sample} as template {', '.join(winners)} would create it", problems)


async def _matching_templates(client: SearchClient, index: str) -> list[str]:
    """Names of the composable templates whose patterns match ``index``."""
    answer = await client.request("GET", "/_index_template")
    return sorted(
        str(t["name"])
        for t in (answer or {}).get("index_templates") or []
        if any(fnmatchcase(index, p) for p in t["index_template"].get("index_patterns") or [])
    )
