"""Errors of the Figma -> spec -> code path, in `pipelines.errors`' tree (InputError: exit 2)."""

from __future__ import annotations

from pipelines.errors import InputError, Issue, PipeError


class FigmaInputError(InputError):
    """The Figma JSON cannot be used: invalid JSON, no frames, unknown frame id."""


class SpecError(InputError):
    """A UI spec failed validation; carries every problem found, each with its YAML path."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class ToolMissing(PipeError):
    """A compiler or browser the checks need is not installed; `tool` names it."""

    SETUP = "./scripts/setup-dev.sh"
    """What installs every tool the checks use, from the pipe checkout."""

    def __init__(self, message: str, tool: str = "a checker"):
        self.tool = tool
        super().__init__(message)

    def skipped(self) -> str:
        """How a check that could not run is reported: `tsc not installed (./scripts/setup-dev.sh)`."""
        return f"{self.tool} not installed ({self.SETUP})"
