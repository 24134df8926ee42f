"""Links from a report to a web view of the source: presets and checked URL templates."""

from __future__ import annotations

import string
from dataclasses import dataclass
from urllib.parse import quote

from analyzer.errors import UsageError
from analyzer.model import Location, SourceInfo

SOURCE_URL_PRESETS: dict[str, str] = {
    "elixir": "https://elixir.bootlin.com/linux/{ref}/source/{path}#L{line}",
    "cgit": "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/{path}?h={ref}#n{line}",
}
URL_FIELDS = ("project", "ref", "commit", "path", "line")


def source_url_template(spec: str) -> str:
    """The template `spec` names: a preset, or an http(s) URL whose only fields are URL_FIELDS."""
    template = SOURCE_URL_PRESETS.get(spec, spec)
    presets = ", ".join(SOURCE_URL_PRESETS)
    hint = f"a preset ({presets}) or e.g. 'https://example.org/{{project}}/{{ref}}/source/{{path}}#L{{line}}'"
    # Browsers drop tabs and newlines inside URLs ("java\tscript:"): refuse any control or space.
    if not template.lower().startswith(("http://", "https://")) or any(ch <= " " or ch == "\x7f" for ch in template):
        raise UsageError(f"--source-url {spec!r}: not an http(s) URL template", hint=hint)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UsageError(f"--source-url {spec!r}: {exc}", hint=hint) from None
    for _literal, name, format_spec, conversion in parsed:
        if name is not None and (name not in URL_FIELDS or format_spec or conversion):
            fields_hint = f"fields: {', '.join(URL_FIELDS)}"
            raise UsageError(f"--source-url {spec!r}: unknown field {{{name}}}", hint=fields_hint)
    host = template.split("/", 3)[2]
    if not host or "{" in host:
        raise UsageError(f"--source-url {spec!r}: the host must be written out, not a field", hint=hint)
    return template


@dataclass(frozen=True, slots=True)
class Links:
    """file:line URLs from a template; None when there is no template or a field has no value."""

    template: str | None
    project: str

    def url(self, info: SourceInfo, location: Location | None, line: int | None = None) -> str | None:
        """The URL of `location` (or another `line` of its file) in the tree `info` describes."""
        if self.template is None or location is None:
            return None
        values = {
            "project": quote(self.project, safe=""),
            "ref": quote(info.ref or info.commit or "", safe=""),
            "commit": quote(info.commit or "", safe=""),
            "path": quote(location.path, safe="/"),
            "line": str(line or location.line),
        }
        used = {name for _text, name, _spec, _conv in string.Formatter().parse(self.template) if name}
        if any(not values[name] for name in used):
            return None
        return self.template.format(**values)


def commit_url(commit: str, source_url: str | None) -> str | None:
    """A commit's web page: --source-url when it is a template with {commit} and no {path}, else None."""
    if source_url and "{commit}" in source_url and "{path}" not in source_url:
        return source_url.replace("{commit}", quote(commit, safe=""))
    return None
