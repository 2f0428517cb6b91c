# The Rasa server with this project's NLU component, trained at build time.
FROM rasa/rasa:3.6.21-full
USER root
COPY requirements-rasa-image.txt /tmp/
RUN pip install --no-cache-dir -r /tmp/requirements-rasa-image.txt
WORKDIR /app
COPY config.yml domain.yml credentials.yml endpoints.yml /app/
COPY data/nlu /app/data/nlu
COPY data/rules /app/data/rules
COPY data/stories /app/data/stories
# the tokenizer's focus and romanized spellings, the answerability lexicons
COPY data/lexicon /app/data/lexicon
# the channels' own replies (a sticker, an apology) are knowledge texts, with their figures
COPY data/knowledge /app/data/knowledge
COPY data/schemes /app/data/schemes
COPY bot /app/bot
# the gap store's schema: the channels deliver answers kept for people who asked to be told
COPY alembic.ini /app/alembic.ini
COPY alembic /app/alembic
COPY scripts/__init__.py scripts/credentials.py /app/scripts/
# oneDNN off, as in the Makefile: the image trains and serves with the kernels CI measures
ENV RASA_TELEMETRY_ENABLED=false PYTHONPATH=/app TF_ENABLE_ONEDNN_OPTS=0
RUN rasa train --data data/nlu data/rules data/stories --out models && chown -R 1001 /app
USER 1001
EXPOSE 5005
