"""Splitting one module's IR text into a few modules that compile on separate threads, and packing
their object files as one cache entry.

LLVM compiles a module on one thread; a large generated module (an EVM contract: thousands of blocks
in tens of functions) takes about a second even at the quick tier. Its functions are independent
units for the backend, so the module is cut into `parts` modules of about equal text, one per core,
compiled at once (without llvmlite's lock: jitvm.jit.unlocked) and linked as one library: the wall time is divided by
the cores, the CPU time stays the same.

Each part gets the module's shared lines (declarations, metadata, attributes), the definitions
assigned to it, the small functions and globals they refer to (duplicated into every part that
uses them: they are internal, so the copies do not clash), and a `declare` for each assigned-elsewhere
function it calls. A function that another part calls loses its `internal` linkage (it becomes an
ordinary external symbol of the library, called through the linker's stubs).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

# Below this many bytes of IR a module is compiled whole: the split's own cost (a few ms of text
# work and a second parse of the shared lines) would not pay off.
MIN_SPLIT_BYTES = 512 * 1024
# A definition at least this large is a unit to distribute; smaller ones are copied where used.
MIN_UNIT_BYTES = 16 * 1024

_DEFINE = re.compile(r"^define\s+(?:(internal|private)\s+)?[^@]*@([-\w.$]+)\(", re.M)
_GLOBAL = re.compile(r"^@([-\w.$]+)\s*=", re.M)
# A global the module exports (`@name = global TYPE zeroinitializer`, e.g. the EVM's work counters):
# one part defines it, the others declare it, so that every part's code counts into the same one.
_SHARED_GLOBAL = re.compile(r"^@([-\w.$]+)\s*=\s*global\s+(.+?)\s+zeroinitializer\s*$")
_REFERENCE = re.compile(r"@([-\w.$]+)")

MULTI_MAGIC = b"JITVMOBS"  # a packed list of object files (a single one is stored as it is)
_COUNT = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")


@dataclass
class _Definition:
    name: str
    text: str
    internal: bool
    references: set[str]

    @property
    def header(self) -> str:
        return self.text.split("\n", 1)[0]


def _top_level(ir: str) -> tuple[list[str], list[_Definition], dict[str, str]]:
    """The module's shared lines, its function definitions and its globals (name -> line)."""
    shared, definitions, globals_ = [], [], {}
    lines = ir.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _DEFINE.match(line)
        if match:
            end = index
            while lines[end] != "}":
                end += 1
            text = "\n".join(lines[index:end + 1])
            definitions.append(_Definition(match.group(2), text, match.group(1) is not None,
                                           set(_REFERENCE.findall(text)) - {match.group(2)}))
            index = end + 1
            continue
        found = _GLOBAL.match(line)
        if found:
            globals_[found.group(1)] = line
        else:
            shared.append(line)
        index += 1
    return shared, definitions, globals_


def _declaration(definition: _Definition) -> str:
    """`declare` for a definition's header: linkage dropped, parameters kept, the body's `{` gone."""
    header = definition.header.removeprefix("define").strip()
    header = re.sub(r"^(internal|private)\s+", "", header)
    start = header.index("@" + definition.name + "(") + len(definition.name) + 1
    depth, end = 0, start
    for end in range(start, len(header)):
        depth += {"(": 1, ")": -1}.get(header[end], 0)
        if depth == 0:
            break
    return f"declare {header[:end + 1]}"


def _external(definition: _Definition) -> str:
    """The definition with `internal`/`private` linkage removed (another part calls it)."""
    header, _, body = definition.text.partition("\n")
    return re.sub(r"^define\s+(internal|private)\s+", "define ", header) + "\n" + body


def split_module(ir: str, parts: int) -> list[str]:
    """`ir` as up to `parts` modules that together define what it defines ([ir] if not worth it)."""
    return [text for text, _ in split_tiered(ir, parts)]


def split_tiered(ir: str, parts: int, quick_functions: frozenset[str] = frozenset()) -> list[tuple[str, bool]]:
    """As split_module, with the definitions named in `quick_functions` in a module of their own,
    marked True (to be compiled at the quick tier's settings), besides up to `parts` for the rest:
    [(module text, quick)]. A module with no quick functions below MIN_SPLIT_BYTES stays whole."""
    if not quick_functions and (parts < 2 or len(ir) < MIN_SPLIT_BYTES):
        return [(ir, False)]
    shared, definitions, globals_ = _top_level(ir)
    units = [definition for definition in definitions if len(definition.text) >= MIN_UNIT_BYTES
             or not definition.internal or definition.name in quick_functions]
    quick = [unit for unit in units if unit.name in quick_functions]
    rest = [unit for unit in units if unit.name not in quick_functions]
    if len(units) < 2 or not rest or (not quick and parts < 2):
        return [(ir, bool(quick))]
    helpers = {definition.name: definition for definition in definitions if definition not in units}
    groups: list[list[_Definition]] = [[] for _ in range(max(1, min(parts, len(rest))))]
    sizes = [0] * len(groups)
    for unit in sorted(rest, key=lambda unit: len(unit.text), reverse=True):  # largest first, to the lightest
        lightest = sizes.index(min(sizes))
        groups[lightest].append(unit)
        sizes[lightest] += len(unit.text)
    groups += [quick] if quick else []
    home = {unit.name: index for index, group in enumerate(groups) for unit in group}
    needs = [_needs(group, index, helpers, globals_, home) for index, group in enumerate(groups)]
    called_elsewhere = {name for _, _, declared in needs for name in declared}
    by_name = {unit.name: unit for unit in units}
    exported = [name for name, line in globals_.items() if _SHARED_GLOBAL.match(line)]
    modules = []
    for index, (group, (needed_helpers, needed_globals, declared)) in enumerate(zip(groups, needs)):
        for name in exported:  # defined in the first part, declared in the others
            line = globals_[name]
            needed_globals[name] = line if index == 0 else _SHARED_GLOBAL.sub(r"@\1 = external global \2", line)
        texts = [_external(unit) if unit.name in called_elsewhere else unit.text for unit in group]
        modules.append(("\n".join([*shared, *needed_globals.values(), *(_declaration(by_name[name]) for name in declared),
                                   *(helper.text for helper in needed_helpers.values()), *texts]) + "\n",
                        group is quick))
    return modules


def _needs(group, index, helpers, globals_, home) -> tuple[dict, dict, list[str]]:
    """What part `index` must carry besides its units: the helpers and globals it uses (and what
    those use in turn), and the names of the units defined in other parts that it calls."""
    needed_helpers, needed_globals, declared = {}, {}, []
    pending = [reference for unit in group for reference in unit.references]
    while pending:
        name = pending.pop()
        if name in helpers and name not in needed_helpers:
            needed_helpers[name] = helpers[name]
            pending.extend(helpers[name].references)
        elif name in globals_ and name not in needed_globals:
            needed_globals[name] = globals_[name]
            pending.extend(_REFERENCE.findall(globals_[name].partition("=")[2]))
        elif name in home and home[name] != index and name not in declared:
            declared.append(name)
    return needed_helpers, needed_globals, declared


def pack(objects: list[bytes]) -> bytes:
    """One cache entry for a module's object files (a single object is kept as it is)."""
    if len(objects) == 1:
        return objects[0]
    return b"".join([MULTI_MAGIC, _COUNT.pack(len(objects)), *(_LENGTH.pack(len(o)) for o in objects), *objects])


def unpack(entry: bytes) -> list[bytes]:
    """The object files of a cache entry written by `pack`."""
    if not entry.startswith(MULTI_MAGIC):
        return [entry]
    offset = len(MULTI_MAGIC)
    (count,) = _COUNT.unpack_from(entry, offset)
    offset += _COUNT.size
    lengths = [_LENGTH.unpack_from(entry, offset + _LENGTH.size * index)[0] for index in range(count)]
    offset += _LENGTH.size * count
    objects = []
    for length in lengths:
        objects.append(entry[offset:offset + length])
        offset += length
    if offset != len(entry):
        raise ValueError("a packed object entry whose lengths do not add up")
    return objects
