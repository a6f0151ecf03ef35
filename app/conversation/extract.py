"""Babel extractor for flow files: prompts as msgids, keywords in the "keyword" context.

Registered in pyproject.toml as `samtale_flows`; babel.cfg applies it to flows/*.yaml.
"""

from pathlib import Path

from app.conversation.flow import load_flow
from app.i18n import KEYWORD_CONTEXT


def extract_flows(fileobj, keywords, comment_tags, options):
    """Yield (line, function, message, comments) for every translatable text in a flow."""
    text = fileobj.read().decode("utf-8")
    flow = load_flow(Path(fileobj.name))

    def line_of(fragment: str) -> int:
        index = text.find(fragment)
        return text.count("\n", 0, index) + 1 if index >= 0 else 1

    seen = set()
    for location, msgid in flow.prompts():
        if msgid not in seen and not _only_placeholder(msgid):
            seen.add(msgid)
            yield line_of(msgid), "gettext", msgid, [f"{flow.name}: {location}"]
    for name, msgid in flow.keyword_msgids():
        comment = f"{flow.name}: words for {name}, separated by |; the first is shown in messages"
        yield line_of(msgid), "pgettext", (KEYWORD_CONTEXT, msgid), [comment]


def _only_placeholder(msgid: str) -> bool:
    """"{items}" has nothing to translate."""
    return msgid.startswith("{") and msgid.endswith("}") and msgid.count("{") == 1
