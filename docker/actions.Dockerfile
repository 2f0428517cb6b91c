# The action server: rasa-sdk of the version matching Rasa 3.6.21, with the bot package.
FROM rasa/rasa-sdk:3.6.2
USER root
COPY requirements-actions.txt /tmp/
RUN pip install --no-cache-dir -r /tmp/requirements-actions.txt
WORKDIR /app
COPY actions /app/actions
COPY bot /app/bot
COPY data/knowledge /app/data/knowledge
COPY data/schemes /app/data/schemes
COPY data/eligibility /app/data/eligibility
# aspects, topic words, romanized Khmer and number-role cues (bot/answerability, bot/numbers)
COPY data/lexicon /app/data/lexicon
COPY alembic.ini /app/alembic.ini
COPY alembic /app/alembic
ENV PYTHONPATH=/app RASA_TELEMETRY_ENABLED=false
USER 1001
EXPOSE 5055
