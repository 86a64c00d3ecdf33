"""The one data type every later stage consumes: a finding at a place in a file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfdetlint.intents import FixIntent


@dataclass(frozen=True)
class Ref:
    """Where another finding is: enough to name it in a report (``path:line:col CODE``) and find it."""

    path: str
    line: int
    column: int
    code: str
    cell: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "line": self.line, "column": self.column, "code": self.code}
        if self.cell is not None:
            data["cell"] = self.cell
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Ref:
        cell = data.get("cell")
        return Ref(str(data["path"]), int(data["line"]), int(data["column"]), str(data["code"]),
                   int(cell) if cell is not None else None)


@dataclass(frozen=True)
class Finding:
    """A reproducibility hazard (or a file problem, ``TFD000``) at a location.

    ``line``/``column`` are 1-based; ``column`` counts characters, as ruff and flake8 print it.
    In a notebook, ``cell`` is the 1-based index of the code cell and ``line`` counts inside it.
    ``args`` holds the source text of the call's literal arguments that matter to the hazard
    (for ``verify`` probes and fixes), keyed by parameter name or position (``"0"``, ``"1"``).
    ``help`` is the remedy, one line (shown by ``full`` output, JSON and SARIF).
    ``related`` and ``root`` link findings that share one root cause (``tfdetlint.linking``): the
    finding that names the cause lists the others, and each of them points back to it.
    """

    path: str
    line: int
    column: int
    code: str
    message: str
    api: str = ""
    severity: str = "warning"
    fixable: str = "none"  # "safe" | "unsafe" | "none"
    end_line: int = 0
    end_column: int = 0
    cell: int | None = None
    args: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    help: str = field(default="", compare=False)
    # Notebooks: (line, column, end line, end column) in the .ipynb file itself, for SARIF and
    # GitHub annotations, which point at the file as stored.
    file_region: tuple[int, int, int, int] | None = field(default=None, compare=False)
    fix: FixIntent | None = field(default=None, compare=False)  # what --fix does; ``fixable`` is its safety
    related: tuple[Ref, ...] = field(default=(), compare=False)  # the findings this one's cause explains
    root: Ref | None = field(default=None, compare=False)  # the finding that names this one's cause

    def ref(self) -> Ref:
        return Ref(self.path, self.line, self.column, self.code, self.cell)

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        # In a notebook, lines count inside cells, so the cell comes first.
        return (self.path, self.cell or 0, self.line, self.column, self.code, self.message)

    def __lt__(self, other: Finding) -> bool:
        return self.sort_key() < other.sort_key()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["args"] = dict(self.args)
        data["fix"] = self.fix.to_json() if self.fix is not None else None
        data["related"] = [r.to_json() for r in self.related]
        data["root"] = self.root.to_json() if self.root is not None else None
        if self.cell is None:
            del data["cell"]
        if self.file_region is None:
            del data["file_region"]
        else:
            data["file_region"] = list(self.file_region)
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Finding:
        args = tuple(sorted((str(k), str(v)) for k, v in dict(data.get("args", {})).items()))
        from tfdetlint.intents import FixIntent

        fields = {k: v for k, v in data.items() if k not in ("args", "file_region", "fix", "related", "root")}
        region = data.get("file_region")
        file_region = (int(region[0]), int(region[1]), int(region[2]), int(region[3])) if region else None
        fix = FixIntent.from_json(data["fix"]) if data.get("fix") else None
        related = tuple(Ref.from_json(r) for r in data.get("related") or ())
        root = Ref.from_json(data["root"]) if data.get("root") else None
        return Finding(**fields, args=args, file_region=file_region, fix=fix, related=related, root=root)


@dataclass(frozen=True)
class FileScope:
    """How a file was read: as a ``script`` (a program that runs), a ``library`` module (its
    seedable randomness is its callers' to seed) or a ``test`` module (not checked by default)."""

    kind: str  # "script" | "library" | "test"
    reason: str

    def note(self) -> str:
        """One line for people: what was decided, why, and how to override it."""
        if self.kind == "test":
            return (f"treated as a test module ({self.reason}): not checked; "
                    "set `include-tests = true` in [tool.tfdetlint] to check it")
        if self.kind == "library":
            return (f"treated as a library module ({self.reason}): seedable randomness is left to its callers; "
                    "use --script (or `scripts = [...]`) to check it as a program")
        return f"treated as a script ({self.reason}); use --library (or `libraries = [...]`) to check it as a library"
