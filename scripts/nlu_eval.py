"""Evaluate NLU models on the held-out eval set (tests/nlu_eval/), never used in training.

    python -m scripts.nlu_eval --model models/x.tar.gz [--min-accuracy 0.9]
        [--compare configs/stock.yml] [--write docs/benchmarks.md]

Prints intent accuracy per language, out-of-scope recall and the in-scope fallback rate; with
--compare it also trains the given config's NLU on the same data and puts both side by side.
Exits 1 when our model is under --min-accuracy in either language.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

from bot.nlu_metrics import Example, Scores, score
from scripts.doc_sections import write_section

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "tests" / "nlu_eval"
NLU_DIR = ROOT / "data" / "nlu"


def load_examples(directory: Path = EVAL_DIR) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(directory))
    return [Example(m.get("text"), m.get("intent")) for m in data.intent_examples]


async def _predict(model: Path, texts: list[str]) -> list[str]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # no debug line per parsed message
    agent = Agent.load(str(model))
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append(parsed["intent"]["name"])
    return out


def predict(model: Path, texts: list[str]) -> list[str]:
    return asyncio.run(_predict(model, texts))


def train_nlu(config: Path) -> Path:
    """Train only the NLU part of ``config`` on data/nlu (cached by the inputs' hash)."""
    digest = hashlib.sha256(config.read_bytes())
    for path in sorted(NLU_DIR.glob("*.yml")):
        digest.update(path.read_bytes())
    name = f"{config.stem}-nlu-{digest.hexdigest()[:12]}"
    out = ROOT / "var" / "eval"
    model = out / f"{name}.tar.gz"
    if not model.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rasa",
                "train",
                "nlu",
                "--config",
                str(config),
                "--nlu",
                str(NLU_DIR),
                "--out",
                str(out),
                "--fixed-model-name",
                name,
            ],
            check=True,
        )
    return model


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def table(results: dict[str, Scores]) -> str:
    names = list(results)
    first = next(iter(results.values()))
    rows = [
        "| metric | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for lang in first.accuracy:
        label = {"km": "Khmer", "en": "English"}.get(lang, lang)
        cells = [_pct(results[n].accuracy.get(lang, 0.0)) for n in names]
        rows.append(
            f"| intent accuracy, {label} (n={first.counts[lang]}) | " + " | ".join(cells) + " |"
        )
    rows.append(
        "| out-of-scope recall | "
        + " | ".join(_pct(results[n].out_of_scope_recall) for n in names)
        + " |"
    )
    rows.append(
        "| in-scope sent to fallback | "
        + " | ".join(_pct(results[n].in_scope_fallback_rate) for n in names)
        + " |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--min-accuracy", type=float, default=None)
    parser.add_argument("--compare", type=Path, action="append", default=[])
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.basicConfig(level=logging.WARNING)

    examples = load_examples()
    texts = [e.text for e in examples]
    results = {"ours (config.yml)": score(examples, predict(args.model, texts))}
    for config in args.compare:
        model = train_nlu(config)
        results[f"stock ({config.name})"] = score(examples, predict(model, texts))

    report = table(results)
    print(f"NLU eval set: {len(examples)} messages in {EVAL_DIR.relative_to(ROOT)}\n")
    print(report)
    ours = results["ours (config.yml)"]
    if args.show_errors:
        for text, gold, guess in ours.errors:
            print(f"  {gold:>24} -> {guess:<24} {text}")
    if args.write:
        doc = BENCHMARK_DOC.format(
            date=dt.date.today().isoformat(), n=len(examples), table=report, errors=len(ours.errors)
        )
        write_section(args.write, "nlu-eval", doc)
        print(f"\nwrote {args.write}")
    if args.min_accuracy is not None:
        low = {lang: acc for lang, acc in ours.accuracy.items() if acc < args.min_accuracy}
        if low:
            print(f"FAIL: intent accuracy under {_pct(args.min_accuracy)}: {low}", file=sys.stderr)
            return 1
        print(f"OK: intent accuracy at least {_pct(args.min_accuracy)} in every language")
    return 0


BENCHMARK_DOC = """Written by `make eval` on {date}. The eval set (`tests/nlu_eval/`, {n} messages)
is never used in training; its labels follow the intents of `docs/intents.md` (relabelled when
intents were split). A "stock" column, when present, is the NLU pipeline that `rasa init` writes
(`configs/stock.yml`: whitespace tokenizer, DIET, fallback at 0.3), trained on the same data.

- intent accuracy: the predicted intent after the FallbackClassifier equals the gold intent
  (a fallback counts as wrong); languages by script (any Khmer letter = Khmer).
- out-of-scope recall: off-topic messages that are not answered as an NSSF topic
  (predicted `out_of_scope`, or `nlu_fallback`, which asks back instead of answering).
- in-scope sent to fallback: NSSF questions predicted as `nlu_fallback` or `out_of_scope`.

{table}

Our model misclassified {errors} eval messages; `python -m scripts.nlu_eval --model <model>
--show-errors` lists them.
"""


if __name__ == "__main__":
    sys.exit(main())
