"""The edit actions offered on a selection, and each language's documentation convention."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EditAction:
    name: str  # "docstring" | "refactor" | "fix" | "optimize"
    title: str  # shown in the light bulb
    kind: str  # LSP code action kind
    instruction: str  # what the model is asked to do ({convention} is filled in for docstrings)


ACTIONS: dict[str, EditAction] = {a.name: a for a in (
    EditAction("docstring", "ghostls: Add docstring", "refactor.rewrite.ghostls.docstring",
               "Add documentation to the selected code: {convention}. Describe what it does, its parameters "
               "and what it returns. Keep every line of the code itself exactly as it is."),
    EditAction("refactor", "ghostls: Refactor", "refactor.rewrite.ghostls.refactor",
               "Refactor the selected code for readability and maintainability (clear names, smaller steps, "
               "no duplication) without changing its behaviour or its public names."),
    EditAction("fix", "ghostls: Fix", "quickfix.ghostls.fix",
               "Fix the bugs in the selected code{problems}. Change as little as possible."),
    EditAction("optimize", "ghostls: Optimize", "refactor.rewrite.ghostls.optimize",
               "Make the selected code faster or use less memory without changing its behaviour or its "
               "public names."),
)}

EXPLAIN_KIND = "refactor.ghostls.explain"
EXPLAIN_TITLE = "ghostls: Explain"

# By grammar name (ghostls.indexing.languages); the fallback suits most C-like languages.
DOC_CONVENTIONS: dict[str, str] = {
    "python": 'a PEP 257 docstring (triple double quotes) as the first statement of each function and '
              'class body',
    "javascript": "a JSDoc block comment (/** ... */ with @param and @returns) directly above each function, "
                  "class and method",
    "typescript": "a TSDoc block comment (/** ... */ with @param and @returns) directly above each function, "
                  "class and method",
    "tsx": "a TSDoc block comment (/** ... */ with @param and @returns) directly above each function, "
           "component and method",
    "go": "a Go doc comment (// lines that start with the declared name) directly above each declaration",
    "rust": "/// doc comments (Markdown, with # Examples where useful) directly above each item",
    "java": "a Javadoc comment (/** ... */ with @param and @return) directly above each class and method",
    "c": "a Doxygen comment (/** ... */ with @brief, @param and @return) directly above each function",
    "cpp": "a Doxygen comment (/** ... */ with @brief, @param and @return) directly above each function "
           "and class",
}
DEFAULT_CONVENTION = "the language's usual documentation comments directly above each function and class"


def instruction(action: EditAction, language: str, problems: list[str]) -> str:
    """The action's instruction for ``language`` (a grammar name) and the editor's diagnostics."""
    text = action.instruction.replace("{convention}", DOC_CONVENTIONS.get(language, DEFAULT_CONVENTION))
    listed = "; the editor reports:\n" + "\n".join(f"- {p}" for p in problems) + "\n" if problems else \
        " (the editor reports no diagnostics here: look for real bugs)"
    return text.replace("{problems}", listed)
