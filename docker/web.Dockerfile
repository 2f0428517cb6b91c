# The web app: chat page (and later the staff dashboard), proxying to the Rasa REST channel.
FROM python:3.10.13-slim
WORKDIR /app
COPY requirements-web.txt /tmp/
RUN pip install --no-cache-dir -r /tmp/requirements-web.txt
# Khmer fonts: the dashboard's pages, charts and screenshots show Khmer, not boxes
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-khmeros \
    && rm -rf /var/lib/apt/lists/*
COPY bot /app/bot
COPY data/knowledge /app/data/knowledge
COPY data/schemes /app/data/schemes
COPY data/dashboard /app/data/dashboard
COPY alembic.ini /app/alembic.ini
COPY alembic /app/alembic
ENV PYTHONPATH=/app
RUN useradd --uid 1001 --no-create-home web
USER 1001
EXPOSE 8000
CMD ["python", "-m", "bot.web"]
