"""Refusal tokens (Jain et al. 2024): one special token per noncompliance category, plus one for
responding, trained as the first token of every target response.

This module has no heavy imports: the hf backend and the calibration code read it too.
"""

from __future__ import annotations

from dataclasses import dataclass

RESPOND_TOKEN = "<|respond|>"
"""First token of a response that simply does what was asked."""

REFUSAL_TOKENS: dict[str, str] = {
    "incomplete": "<|refuse_incomplete|>",
    "unsupported": "<|refuse_unsupported|>",
    "indeterminate": "<|refuse_indeterminate|>",
    "unsafe": "<|refuse_unsafe|>",
    "humanizing": "<|refuse_humanizing|>",
}
"""Taxonomy category id to the token that opens a noncompliant response of that category."""

ALL_TOKENS: tuple[str, ...] = (*REFUSAL_TOKENS.values(), RESPOND_TOKEN)
"""Every token added to the tokenizer, in a fixed order (their ids follow this order)."""

_CATEGORY_OF = {token: category for category, token in REFUSAL_TOKENS.items()}


@dataclass(frozen=True)
class FirstToken:
    """What the first token of a response says: a category to decline, or to respond."""

    token: str | None
    category: str | None
    """Taxonomy category id when the token is a refusal token, else None."""

    @property
    def refuses(self) -> bool:
        return self.category is not None


def target_token(category: str, expected: str) -> str:
    """The token that opens the target response: respond for contrast items (expected comply),
    the category's refusal token otherwise."""
    if expected == "comply":
        return RESPOND_TOKEN
    try:
        return REFUSAL_TOKENS[category]
    except KeyError as exc:
        known = ", ".join(REFUSAL_TOKENS)
        raise KeyError(f"no refusal token for category {category!r}; known: {known}") from exc


def first_token(text: str) -> FirstToken:
    """Read the refusal or respond token a response opens with (leading spaces ignored)."""
    head = text.lstrip()
    for token in ALL_TOKENS:
        if head.startswith(token):
            return FirstToken(token=token, category=_CATEGORY_OF.get(token))
    return FirstToken(token=None, category=None)


def strip_tokens(text: str) -> str:
    """The text with every refusal and respond token removed."""
    for token in ALL_TOKENS:
        text = text.replace(token, "")
    return text.lstrip()
