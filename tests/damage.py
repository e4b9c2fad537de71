"""Real messages made odd, for tests that feed them to our readers."""

import json
from urllib.parse import parse_qsl, urlencode

from hypothesis import strategies as st

ODD_TEXT = [
    "",
    " ",
    "\x00",
    "0",
    "-1",
    "1e400",
    "NaN",
    "99999999999999999999",
    "0001-01-01 00:00:00",
    "9999-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "+84901234567",
    "€",
]


def _odd_values():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**64), 2**64),
        st.floats(),
        st.text(max_size=30),
        st.sampled_from(ODD_TEXT),
        st.just({}),
        st.just([]),
    )


def _decode(seed):
    """A seed as a tree: its JSON, or its form pairs (with the JSON of form
    values that hold an object decoded)."""
    if seed.lstrip().startswith(("{", "[")):
        return "json", json.loads(seed)
    pairs = []
    for key, value in parse_qsl(seed, keep_blank_values=True):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, (dict, list)):
            pairs.append([key, {"json": decoded}])
        else:
            pairs.append([key, value])
    return "form", pairs


def _encode(kind, tree):
    if kind == "json":
        return json.dumps(tree).encode()

    def text(value):
        if isinstance(value, dict) and set(value) == {"json"}:
            return json.dumps(value["json"])
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value)

    return urlencode([(key, text(value)) for key, value in tree]).encode()


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _replace(tree, path, value):
    node = tree
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@st.composite
def damaged(draw, seeds, min_changes=1):
    """One of ``seeds`` (JSON or form bodies) with up to 4 values replaced
    by odd ones (at least ``min_changes``)."""
    kind, tree = _decode(draw(st.sampled_from(seeds)))
    # Form keys stay (path[1] == 0 is a key): the values change.
    leaves = [path for path in _leaves(tree) if kind == "json" or path[1] == 1]
    changes = st.lists(st.sampled_from(leaves), min_size=min_changes, max_size=4)
    for path in draw(changes) if leaves else ():
        _replace(tree, path, draw(_odd_values()))
    return _encode(kind, tree)
