"""What a screen reader names a page's buttons and reads with its fields, for the tests that
check them."""

from html.parser import HTMLParser


class _Page(HTMLParser):
    """Collects each element's text by id, and the buttons in the order of the page."""

    def __init__(self):
        super().__init__()
        self.text_by_id: dict[str, str] = {}
        self.buttons: list[dict[str, str]] = []
        self.inputs: dict[str, dict[str, str]] = {}  # by name
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the elements we are in

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "button":
            self.buttons.append({**attributes, "text()": ""})
        if tag in ("input", "select", "textarea") and attributes.get("name"):
            self.inputs[attributes["name"]] = attributes
        if tag not in ("input", "br", "img", "meta", "link"):
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id[attributes["id"]] = ""

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if any(tag == "button" for tag, _id in self._open):
            self.buttons[-1]["text()"] += data
        for _tag, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data


def button_names(page: str) -> list[str]:
    """The accessible name of each button: its ``aria-labelledby`` elements' text, else its own."""
    parsed = _Page()
    parsed.feed(page)
    names = []
    for button in parsed.buttons:
        ids = button.get("aria-labelledby", "").split()
        texts = [parsed.text_by_id.get(i, "") for i in ids] if ids else [button["text()"]]
        names.append(" ".join(" ".join(text.split()) for text in texts))
    return names


def description(page: str, name: str) -> str:
    """What a screen reader reads after the label of the field ``name``: the text of each of its
    ``aria-describedby`` elements, every one of which must be on the page."""
    parsed = _Page()
    parsed.feed(page)
    ids = parsed.inputs[name].get("aria-describedby", "").split()
    missing = [i for i in ids if i not in parsed.text_by_id]
    assert not missing, f"{name} is described by {missing}, which the page lacks"
    return " ".join(" ".join(parsed.text_by_id[i].split()) for i in ids)
