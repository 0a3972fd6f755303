"""The parameters of a pybind11 function, read from its signature line (the first
line of its __doc__), for the parity and stub checks."""

import re
from typing import List, Optional, Tuple

# (name, keyword-only, default as source text or None)
SignatureParam = Tuple[str, bool, Optional[str]]


def split_top_level(text: str) -> List[str]:
    """Splits "a: Dict[str, str] = None, b: int" on commas outside brackets."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch in "[(") - (ch in "])")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p.strip() for p in parts + [current] if p.strip()]


def signature_params(function) -> List[SignatureParam]:
    """From "name(self: X, a: str, *, b: int = 1) -> R": [("a", False, None), ("b", True, "1")]."""
    first = function.__doc__.splitlines()[0]
    m = re.match(r"^\w+\((.*)\)\s*->", first)
    assert m, f"not a single pybind11 signature: {first}"
    params, keyword_only = [], False
    for part in split_top_level(m.group(1)):
        if part == "*":
            keyword_only = True
        elif part.split(":", 1)[0].strip() != "self":
            default = part.split(" = ", 1)[1].strip() if " = " in part else None
            params.append((part.split(":", 1)[0].strip(), keyword_only, default))
    return params
