#!/usr/bin/env bash
# Adds an EF Core migration for both providers (SQLite and PostgreSQL) from the current model:
#   ./scripts/add-migration.sh AddSomething
# Commit both generated folders. The test suite fails when the model has changes no migration covers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $# -eq 1 ]] || { echo "usage: $0 <MigrationName>" >&2; exit 2; }
dotnet run --project tools/MigrationScaffolder -c Release -- "$1" src/Loyalty.Chain
