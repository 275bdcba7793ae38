# Tally server image: build with the SDK, run on the ASP.NET runtime as a non-root user.
#   docker build -t tally .
#   docker run -p 8080:8080 -v tally-data:/data tally
# The SQLite database lives on the /data volume; set TALLY_DATABASE to a PostgreSQL connection string to use
# PostgreSQL instead (see compose.yaml). First start without TALLY_SECRET_KEYS prints two keys to the log once.
# Probe GET /healthz (ready) and GET /livez (alive) from your orchestrator; the runtime image has no curl.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Tally.Core/Tally.Core.csproj src/Tally.Core/
COPY src/Tally.Contracts/Tally.Contracts.csproj src/Tally.Contracts/
COPY src/Tally.Storage/Tally.Storage.csproj src/Tally.Storage/
COPY src/Tally.Catalog/Tally.Catalog.csproj src/Tally.Catalog/
COPY src/Tally.Storage.Sqlite/Tally.Storage.Sqlite.csproj src/Tally.Storage.Sqlite/
COPY src/Tally.Storage.Postgres/Tally.Storage.Postgres.csproj src/Tally.Storage.Postgres/
COPY src/Tally.Server/Tally.Server.csproj src/Tally.Server/
RUN dotnet restore src/Tally.Server/Tally.Server.csproj
COPY src/ src/
RUN dotnet publish src/Tally.Server/Tally.Server.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /data && chown app:app /data
# The aspnet images ship a non-root "app" user (uid 1654).
USER app
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    TALLY_DATABASE=/data/tally.db \
    Logging__Console__FormatterName=json
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["dotnet", "Tally.Server.dll"]
