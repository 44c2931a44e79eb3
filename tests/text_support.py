"""Checks of broken lines shared by the text tests: split words and orphans."""

from __future__ import annotations

from motcua.text import KNOWN_WORD, Lexicon


def split_words(lines: list[str], lexicon: Lexicon) -> list[str]:
    """The known words the lines split, as "bảo / trợ"."""
    tokens = " ".join(lines).split()
    costs = lexicon.break_costs(tokens)
    splits, index = [], 0
    for line in lines[:-1]:
        index += len(line.split())
        if costs[index - 1] >= KNOWN_WORD:
            splits.append(f"{tokens[index - 1]} / {tokens[index]}")
    return splits


def has_orphan(lines: list[str]) -> bool:
    return len(lines) > 1 and len(lines[-1].split()) == 1
