"""How well staff answers are found for new paraphrases, and how rarely unrelated questions get one.

Each group of ``tests/staff_answers_eval/*.yml`` is one published answer written for its
``asked`` questions (masked, as the gap store holds them); its ``paraphrases`` must get that
answer ("found"), and must not get another group's ("wrong"); the ``unrelated`` questions must get
none. The threshold of :mod:`bot.staff_answers.matching` was tuned on the tune file
(``--sweep`` prints the sweep); the test file was not looked at while tuning.

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
from bot.staff_answers.matching import THRESHOLD, Matcher
from bot.staff_answers.model import PUBLISHED, Draft, Question, StaffAnswer
from scripts.doc_sections import write_section

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "tests" / "staff_answers_eval"
FILES = {"tune": EVAL_DIR / "tune.yml", "test": EVAL_DIR / "test.yml"}
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
    found: Counter[str]
    wrong: Counter[str]
    asked: Counter[str]
    unrelated_wrong: int
    unrelated: int

    def rate(self, counter: Counter[str], lang: str | None = None) -> float:
        total = sum(self.asked.values()) if lang is None else self.asked[lang]
        value = sum(counter.values()) if lang is None else counter[lang]
        return value / total if total else 0.0

    @property
    def unrelated_rate(self) -> float:
        return self.unrelated_wrong / self.unrelated if self.unrelated else 0.0


def evaluate(data: dict[str, Any], threshold: float) -> Result:
    answers = answers_of(data)
    matcher = Matcher(answers, threshold)
    result = Result(Counter(), Counter(), Counter(), 0, 0)
    for answer, group in zip(answers, data["groups"], strict=True):
        for item in group["paraphrases"]:
            result.asked[item["lang"]] += 1
            found = matcher.match(item["text"])
            if found is not None and found.answer.id == answer.id:
                result.found[item["lang"]] += 1
            elif found is not None:
                result.wrong[item["lang"]] += 1
    for item in data["unrelated"]:
        result.unrelated += 1
        result.unrelated_wrong += matcher.match(item["text"]) is not None
    return result


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load(FILES[name].read_text("utf-8"))


def sweep() -> None:
    data = _load("tune")
    for step in range(20, 80, 5):
        t = step / 100
        r = evaluate(data, t)
        print(
            f"{t:.2f} found {r.rate(r.found):.1%} wrong {r.rate(r.wrong):.1%} "
            f"unrelated matched {r.unrelated_rate:.1%}"
        )


def report(threshold: float = THRESHOLD) -> str:
    lines = [
        "## Staff answers: found for new paraphrases, kept from unrelated questions",
        "",
        f"`python -m scripts.staff_answer_eval --write docs/benchmarks.md`; threshold "
        f"{threshold:.2f} (tuned on the tune file only). Targets: ≥ 85 % found, ≤ 3 % of "
        "unrelated questions matched.",
        "",
        "| set | paraphrases | found | wrong answer | unrelated | unrelated matched | "
        + " | ".join(f"found {lang}" for lang in LANGS)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(LANGS),
    ]
    for name in FILES:
        r = evaluate(_load(name), threshold)
        per_lang = " | ".join(f"{r.rate(r.found, lang):.1%}" for lang in LANGS)
        lines.append(
            f"| {name} | {sum(r.asked.values())} | {r.rate(r.found):.1%} | "
            f"{r.rate(r.wrong):.1%} | {r.unrelated} | {r.unrelated_rate:.1%} | {per_lang} |"
        )
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
