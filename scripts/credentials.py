"""Write the Rasa credentials file: the REST channel plus every channel whose secrets are set.

    python -m scripts.credentials [--out var/credentials.yml]

Messenger and Telegram are added only when their secrets are in the environment (see
``bot/channels/settings.py`` and ``.env.example``). A channel set up in part (say the page token
without the app secret) is refused: the script names the missing variable and exits 2. The file
holds ``${VAR}`` references, never secrets; Rasa expands them when it starts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.channels.settings import ChannelConfigError, credentials_yaml, enabled_channels

DEFAULT_OUT = Path("var/credentials.yml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="file to write")
    args = parser.parse_args(argv)
    try:
        text = credentials_yaml()
        channels = enabled_channels()
    except ChannelConfigError as exc:
        print(f"credentials: refusing to enable a channel: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    names = ["rest"] + [path.rsplit(".", 1)[-1].removesuffix("Input").lower() for path in channels]
    print(f"credentials: {args.out} enables {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
