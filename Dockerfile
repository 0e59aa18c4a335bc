# The Tidewatch image: the CLI, whose `replica` command the Deployments rendered by
# `tidewatch deploy --kubernetes` run. Build it from a clone of the repository:
#   docker build -t tidewatch:<version> .
# Handlers are not built into it: each function's bundled handler arrives in its ConfigMap.

FROM node:24-slim AS build
WORKDIR /app
# Dependencies first, so this layer is reused while only sources change. --ignore-scripts: the
# package's prepare script would compile sources that are not copied yet (npm run build does).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
# The build compiles src/ only (tests and tooling compile separately, into dist-test/).
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# Files stay owned by root: the process can read but not change its own code.
USER node
ENTRYPOINT ["node", "--enable-source-maps", "dist/src/cli.js"]
CMD ["--help"]
