"""How well staff answers are found for new paraphrases, and how rarely unrelated questions get one.

Each group of ``tests/staff_answers_eval/*.yml`` is one published answer written for its
``asked`` questions (masked, as the gap store holds them); its ``paraphrases`` must get that
answer, and must not get another group's ("wrong"); the ``unrelated`` questions must get none.
A paraphrase is "found" when the answer is sent at once (a sure match) and "found after a yes"
when the bot first asks whether that answer is what the user wants (the middle band); an
unrelated question is "answered" by a sure match and "asked" in the middle band (the user says
no and gets the honest "I can't answer that yet"). The thresholds of
:mod:`bot.staff_answers.matching` were tuned on the tune and dev files (``--sweep`` prints the
sweep over both); the test and holdout files were written blind and not looked at while tuning.

    python -m scripts.staff_answer_eval [--sweep] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.gaps.redaction import mask
from bot.staff_answers.matching import ASK_THRESHOLD, THRESHOLD, Matcher
from bot.staff_answers.model import PUBLISHED, Draft, Question, StaffAnswer
from scripts.doc_sections import write_section

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "tests" / "staff_answers_eval"
FILES = {name: EVAL_DIR / f"{name}.yml" for name in ("tune", "dev", "test", "holdout")}
TUNING = ("tune", "dev")
LANGS = ("en", "km", "mixed", "romanized")


def answers_of(data: dict[str, Any]) -> list[StaffAnswer]:
    """One published answer per group, written for its ``asked`` questions."""
    now = dt.datetime(2026, 1, 1)
    out = []
    for number, group in enumerate(data["groups"], 1):
        questions = tuple(Question(mask(q["text"]), q["lang"]) for q in group["asked"])
        draft = Draft(group["id"], group["id"], "eval", dt.date(2026, 1, 1))
        out.append(
            StaffAnswer(number, PUBLISHED, 1, draft, now, "eval", now, "eval", questions=questions)
        )
    return out


@dataclass
class Result:
    found: Counter[str]  # the right answer at once, per language
    confirmed: Counter[str]  # the right answer offered first (middle band)
    wrong: Counter[str]  # another group's answer at once
    asked: Counter[str]
    unrelated_wrong: int  # answered at once
    unrelated_offered: int  # an answer offered first
    unrelated: int

    def __add__(self, other: Result) -> Result:
        return Result(
            self.found + other.found,
            self.confirmed + other.confirmed,
            self.wrong + other.wrong,
            self.asked + other.asked,
            self.unrelated_wrong + other.unrelated_wrong,
            self.unrelated_offered + other.unrelated_offered,
            self.unrelated + other.unrelated,
        )

    def rate(self, counter: Counter[str], lang: str | None = None) -> float:
        total = sum(self.asked.values()) if lang is None else self.asked[lang]
        value = sum(counter.values()) if lang is None else counter[lang]
        return value / total if total else 0.0

    @property
    def unrelated_rate(self) -> float:
        return self.unrelated_wrong / self.unrelated if self.unrelated else 0.0

    @property
    def offered_rate(self) -> float:
        return self.unrelated_offered / self.unrelated if self.unrelated else 0.0

    def with_yes(self, lang: str | None = None) -> float:
        return self.rate(self.found + self.confirmed, lang)


def evaluate(data: dict[str, Any], threshold: float, ask_threshold: float) -> Result:
    answers = answers_of(data)
    matcher = Matcher(answers, threshold, ask_threshold)
    result = Result(Counter(), Counter(), Counter(), Counter(), 0, 0, 0)
    for answer, group in zip(answers, data["groups"], strict=True):
        for item in group["paraphrases"]:
            result.asked[item["lang"]] += 1
            found = matcher.match(item["text"])
            if found is not None and found.answer.id == answer.id:
                (result.found if found.sure else result.confirmed)[item["lang"]] += 1
            elif found is not None and found.sure:
                result.wrong[item["lang"]] += 1
    for item in data["unrelated"]:
        result.unrelated += 1
        found = matcher.match(item["text"])
        result.unrelated_wrong += found is not None and found.sure
        result.unrelated_offered += found is not None and not found.sure
    return result


def evaluate_files(names: tuple[str, ...], threshold: float, ask_threshold: float) -> Result:
    """Each file on its own (its groups are the published answers), summed."""
    results = [evaluate(_load(name), threshold, ask_threshold) for name in names]
    total = results[0]
    for result in results[1:]:
        total = total + result
    return total


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load(FILES[name].read_text("utf-8"))


def sweep() -> None:
    """Sure and ask thresholds over the tuning files."""
    for step in range(30, 75, 5):
        for ask_step in range(10, step + 1, 5):
            t, ask = step / 100, ask_step / 100
            r = evaluate_files(TUNING, t, ask)
            print(
                f"{t:.2f} ask {ask:.2f}: found {r.rate(r.found):.1%} with a yes "
                f"{r.with_yes():.1%} wrong {r.rate(r.wrong):.1%} unrelated answered "
                f"{r.unrelated_rate:.1%} asked {r.offered_rate:.1%}"
            )


def _row(name: str, r: Result) -> str:
    per_lang = " | ".join(f"{r.with_yes(lang):.1%}" for lang in LANGS)
    return (
        f"| {name} | {sum(r.asked.values())} | {r.rate(r.found):.1%} | {r.with_yes():.1%} | "
        f"{r.rate(r.wrong):.1%} | {r.unrelated} | {r.unrelated_rate:.1%} | "
        f"{r.offered_rate:.1%} | {per_lang} |"
    )


def report(threshold: float = THRESHOLD, ask_threshold: float = ASK_THRESHOLD) -> str:
    lines = [
        "## Staff answers: found for new paraphrases, kept from unrelated questions",
        "",
        f"`python -m scripts.staff_answer_eval --write docs/benchmarks.md`; thresholds "
        f"{threshold:.2f} (answered at once) and {ask_threshold:.2f} (offered with a question "
        "first), tuned on the tune and dev files only; test and holdout were written blind and "
        "never looked at while tuning. Targets: ≥ 85 % found, ≤ 3 % of unrelated questions "
        "matched.",
        "",
        "| set | paraphrases | found at once | found (at once or after a yes) | wrong answer "
        "at once | unrelated | unrelated answered | unrelated asked first | "
        + " | ".join(f"found {lang}" for lang in LANGS)
        + " |",
        "|---|---|---|---|---|---|---|---|" + "---|" * len(LANGS),
    ]
    for name in FILES:
        lines.append(_row(name, evaluate_files((name,), threshold, ask_threshold)))
    blind = evaluate_files(("test", "holdout"), threshold, ask_threshold)
    lines.append(_row("test + holdout", blind))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="thresholds on the tune file")
    parser.add_argument("--write", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()
    if args.sweep:
        sweep()
        return
    text = report()
    print(text)
    if args.write:
        write_section(args.write, "staff-answer-eval", text)


if __name__ == "__main__":
    main()
