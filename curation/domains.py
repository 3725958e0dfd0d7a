"""Domain names: what a valid one is, and the rule that turns an input folder name into one.

A domain name becomes a path component (``data/domain=<name>/``), so it must never be able to
escape the run folder or break Hive-style partition paths. The rule:

* valid: 1-100 characters from ``A-Z a-z 0-9 . _ -``, starting with a letter or digit
  (so never ``.``, ``..``, a hidden name, or anything with ``/``, ``\\``, ``=``, ``%`` or spaces);
* an input folder name is *sanitised*: Unicode NFKC, every run of other characters becomes ``_``,
  leading ``._-`` are stripped, and the result is cut to 100 characters. A folder whose sanitised
  name is empty is refused, as are two folders that sanitise to the same name;
* a name given in configuration (``ingest.domain``, ``ingest.domain_map``, ``langid.route``) is not
  sanitised: an invalid one is a configuration error.
"""

from __future__ import annotations

import re
import unicodedata

from curation.errors import CurationError

_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_OTHER = re.compile(r"[^A-Za-z0-9._-]+")


class DomainNameError(CurationError, ValueError):
    """A domain name that cannot be used as a path component."""


def is_valid_domain_name(name: str) -> bool:
    return bool(_VALID.fullmatch(name))


def validate_domain_name(name: str, what: str = "domain") -> str:
    """Return ``name`` if it is a valid domain name, else raise :class:`DomainNameError`."""
    if not isinstance(name, str) or not is_valid_domain_name(name):
        raise DomainNameError(
            f"{what} = {name!r} is not a valid domain name: use 1-100 characters from "
            "A-Z a-z 0-9 . _ - starting with a letter or digit"
        )
    return name


def sanitize_folder_name(folder: str) -> str:
    """The domain name of an input folder, by the rule in this module's docstring."""
    name = _OTHER.sub("_", unicodedata.normalize("NFKC", folder)).lstrip("._-")[:100]
    if not name:
        raise DomainNameError(
            f"input folder {folder!r} gives no usable domain name; rename it or map it with "
            "ingest.domain_map"
        )
    return name
