"""Help formatting shared by the commands: every option's default shown, except empty ones."""

from __future__ import annotations

import argparse
import copy

__all__ = ["DefaultsFormatter", "DefaultsRawFormatter"]


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``(default: X)`` after an option's help, unless X is None or False (flags, optional values)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if _empty(action.default) or "%(default)" in text or "default" in text:
            return text
        return super()._get_help_string(action)

    def _format_action(self, action):
        if not action.help and action.option_strings and not _empty(action.default):
            action = copy.copy(action)  # an option without help text still shows its default
            action.help = "(default: %(default)s)"
        return super()._format_action(action)


class DefaultsRawFormatter(argparse.RawDescriptionHelpFormatter, DefaultsFormatter):
    """:class:`DefaultsFormatter` that keeps the description's and epilog's line breaks."""


def _empty(default) -> bool:
    """No default worth showing (``0`` is one: ``0 == False`` must not hide it)."""
    return default is None or default is False or default == argparse.SUPPRESS
