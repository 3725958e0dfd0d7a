"""Untrusted text (document texts, ids, input file names) made safe to show.

Input documents can hold anything. Printed raw to a terminal, control characters and escape
sequences (ANSI CSI ``ESC[...``, OSC ``ESC]...BEL``) recolour, retitle or clear the operator's
terminal, and a carriage return or a bidirectional override hides what is really there. In XML
(the interactive SVG map) C0 control characters are not allowed at all: one makes the document
not well-formed.

Both functions replace each offending character by a visible escape (``\\x1b``, ``\\u202e``), so
the text shown still says what the document holds; everything else is unchanged.
"""

from __future__ import annotations

import re

_TERMINAL = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f"  # C0 (tab kept), DEL, C1 - ESC and CSI/OSC introducers
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks, embeddings, overrides
    "\u2028\u2029"  # line and paragraph separators
    "\ud800-\udfff]"  # lone surrogates (cannot be encoded for output)
)
_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str, keep_newlines: bool = True) -> str:
    """``text`` with every control character (but tab and, with ``keep_newlines``, ``\\n``)
    and every bidirectional control shown as an escape: nothing in it acts on the terminal."""
    if keep_newlines:
        return "\n".join(_TERMINAL.sub(_escape, line) for line in text.split("\n"))
    return _TERMINAL.sub(_escape, text)


def for_xml(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold shown as an escape (then XML-escape it
    as usual: this does not replace ``<``, ``&`` or quotes)."""
    return _XML.sub(_escape, text)
