"""Launch buttons (Binder, Colab), configured in _config.yml (``launch_buttons``,
``repository``): the two languages live in book/ko and book/en, so ``path_to_docs:
"book/{lang}"`` is filled in with the language being built."""

from __future__ import annotations


def _fill_language_in_paths(app, config):
    options = getattr(config, "html_theme_options", None) or {}
    path = options.get("path_to_docs")
    if isinstance(path, str) and "{lang}" in path:
        options["path_to_docs"] = path.replace("{lang}", config.aebook_lang)


def setup(app):
    app.connect("config-inited", _fill_language_in_paths)
