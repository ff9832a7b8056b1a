# The Stockhold reservation service. Build context: the repository root.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json buf.yaml buf.gen.yaml ./
COPY proto ./proto
# postinstall generates src/gen from the protos with the npm-installed buf and ts-proto.
RUN mkdir -p src && npm ci
COPY tsconfig.json ./
COPY src ./src
ENV GRPC_HOST=0.0.0.0 GRPC_PORT=50051 NODE_ENV=production
EXPOSE 50051
USER node
CMD ["node", "--import", "tsx", "src/main.ts"]
