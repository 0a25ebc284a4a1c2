FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY api ./api
COPY schema ./schema
COPY services ./services
COPY db ./db
COPY domain ./domain
COPY alembic ./alembic
COPY alembic.ini ./
RUN pip install --no-cache-dir -c constraints.txt -e .
ENV OKRQL_ENVIRONMENT=production
EXPOSE 8000
CMD ["okrql", "serve", "--host", "0.0.0.0", "--port", "8000"]
