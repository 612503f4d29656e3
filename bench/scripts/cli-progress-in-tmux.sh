#!/usr/bin/env bash
# Shows that `caseline sync push` draws its progress bars in a real terminal: a server on loopback,
# a 50,000-line export, the command run inside a detached tmux pane, and the pane read while it runs.
# Manual check (CI runs the unit tests): bash bench/scripts/cli-progress-in-tmux.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tmux >/dev/null || { echo "needs tmux (apt-get install -y tmux)"; exit 2; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
session="caseline-progress-$$"
server=""
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; [[ -n $server ]] && kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for project in src/Caseline.Server src/Caseline.Cli; do dotnet build "$project" -v quiet -nologo >/dev/null; done
(cd "$work" && ASPNETCORE_ENVIRONMENT=Development Caseline__Bootstrap__DemoClientSecret=progress-demo-secret \
  Caseline__Bootstrap__DemoUserPassword=progress-demo-password \
  dotnet "$OLDPWD/src/Caseline.Server/bin/Debug/net10.0/Caseline.Server.dll" --urls "http://127.0.0.1:$port" >server.log 2>&1) &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.2; done

python3 - "$work/export.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(50_000):
        f.write(json.dumps({"IntegrationId": f"P{i}", "FirstName": "Ann", "LastName": f"Lee{i}", "Status": "Active",
                            "Addresses": [{"IntegrationId": "H", "AddressType": "Home", "Address": f"{i} Main St"}]}) + "\n")
PY

cli="dotnet $PWD/src/Caseline.Cli/bin/Debug/net10.0/Caseline.Cli.dll"
export CASELINE_CONFIG_DIR="$work/config"
$cli login --url "http://127.0.0.1:$port" --client-id demo-cms --client-secret progress-demo-secret \
  --username officer@demo.local --password progress-demo-password --quiet >/dev/null
tmux new-session -d -s "$session" -x 120 -y 30 "CASELINE_CONFIG_DIR=$work/config $cli sync push $work/export.ndjson; sleep 30"

uploading=no server_job=no midway=no done=no
for _ in $(seq 600); do
  pane=$(tmux capture-pane -p -t "$session")
  grep -Eq 'Uploading.*[0-9]+%' <<<"$pane" && uploading=yes
  grep -Eq 'Server job.*[0-9]+%' <<<"$pane" && server_job=yes
  grep -Eq '(Uploading|Server job).* ([0-9]|[1-9][0-9])%' <<<"$pane" && midway=yes
  if grep -q 'Messages written' <<<"$pane"; then done=yes; break; fi
  sleep 0.1
done
echo "--- the pane at the end"
tmux capture-pane -p -t "$session" | sed '/^$/d'
printf '\n| seen in the terminal | |\n|---|---|\n| upload bar with a percentage | %s |\n| server job bar with a percentage | %s |\n| a bar caught part way (under 100%%) | %s |\n| the job report | %s |\n' "$uploading" "$server_job" "$midway" "$done"
[[ $uploading == yes && $server_job == yes && $done == yes ]]
