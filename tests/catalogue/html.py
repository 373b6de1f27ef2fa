"""A small HTML tree for page tests (the standard library's parser; no extra dependency)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, element_id: str) -> Node:
        node = self.find(id=element_id)
        assert node is not None, f"no element #{element_id}"
        return node

    def text(self, *, hidden: bool = True) -> str:
        """The text content, spaces collapsed; ``hidden=False`` leaves out visually-hidden
        parts (what a sighted reader sees)."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            if not hidden and "visually-hidden" in node.attrs.get("class", "").split():
                return
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)

        walk(self)
        return " ".join(" ".join(parts).split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def facet(page: Node, name: str) -> dict[str, int]:
    """A filter's choices as {label: count}, read from the page."""
    box = page.find(id=f"facet-{name}")
    if box is None:
        return {}
    choices = {}
    for item in box.find_all("li"):
        link, count = item.find("a"), item.find("span", class_="count")
        choices[link.text(hidden=False)] = int(re.sub(r"\D", "", count.text(hidden=False)))
    return choices


def result_titles(page: Node) -> list[str]:
    return [h.find("a").text() for h in page.by_id("results").find_all("h3")]
