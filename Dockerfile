# The Hydrascope app, for machines with Docker (see docker-compose.yml).
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/hydrascope
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY pyproject.toml README.md ./
COPY app ./app
COPY cypher ./cypher
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir -e .
ENV HYDRASCOPE_HOME=/var/lib/hydrascope
EXPOSE 8000
CMD ["hydrascope", "serve", "--host", "0.0.0.0", "--port", "8000"]
