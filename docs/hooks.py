"""mkdocs hook: the table of named application constructors, generated from the registry at build time."""

PLACEHOLDER = "<!-- named-constructors -->"


def _table():
    from keras_dlx import applications
    from keras_dlx.applications import registry

    rows = ["| constructor | what it builds |", "|---|---|"]
    for name in applications.__all__:
        constructor = getattr(applications, name)
        doc = (constructor.__doc__ or "").strip()
        # The registry's named constructors say what they choose in their one-line docstring.
        if callable(constructor) and doc.startswith("`") and "registered as" in doc:
            rows.append(f"| `applications.{name}` | {doc} |")
    assert len(rows) > 10, "the registry lists no named constructors"
    assert registry.list_models()
    return "\n".join(rows)


def on_page_markdown(markdown, page, **kwargs):
    if PLACEHOLDER in markdown:
        return markdown.replace(PLACEHOLDER, _table())
    return markdown
