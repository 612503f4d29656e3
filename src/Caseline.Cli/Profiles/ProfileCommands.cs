using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Caseline.Client;
using Caseline.Cli.Feed;
using Caseline.Client.Webhooks;
using Spectre.Console;

namespace Caseline.Cli.Profiles;

/// <summary><c>login</c>, <c>profiles list|use|show|remove</c> and <c>doctor</c>.</summary>
internal static class ProfileCommands
{
    public static IEnumerable<Command> Build(CommandFactory commands)
    {
        yield return Login(commands);
        yield return CommandFactory.Group("profiles", "The saved profiles: servers and the credentials to reach them",
            List(commands), Use(commands), Show(commands), Remove(commands));
        yield return Doctor(commands);
    }

    private static Command Login(CommandFactory commands)
    {
        var url = new Option<string?>("--url") { Description = "The server's address, for example https://caseline.county.gov (or CASELINE_URL)" };
        var clientId = new Option<string?>("--client-id") { Description = "The API client (or CASELINE_CLIENT_ID); with --username the default is the first-party client 'caseline'" };
        var clientSecret = new Option<string?>("--client-secret") { Description = "The API client's secret (or CASELINE_CLIENT_SECRET; asked for when needed and not given)" };
        var username = new Option<string?>("--username", "-u") { Description = "A user's login, for the password grant (or CASELINE_USERNAME); without it: client credentials" };
        var password = new Option<string?>("--password") { Description = "The user's password (or CASELINE_PASSWORD; asked for when not given)" };
        return commands.Create("login", "Check credentials against the server and save them as a profile (--profile, default 'default'), which becomes the current one", async (run, ct) =>
        {
            var env = run.Host.Environment;
            var address = run.Get(url) ?? env("CASELINE_URL") ?? throw new CliException("Give the server's address with --url (or CASELINE_URL).", ExitCodes.Usage);
            var user = run.Get(username) ?? env("CASELINE_USERNAME");
            var client = run.Get(clientId) ?? env("CASELINE_CLIENT_ID") ?? (user is null ? throw new CliException("Give --client-id for the client credentials grant.", ExitCodes.Usage) : "caseline");
            var secret = run.Get(clientSecret) ?? env("CASELINE_CLIENT_SECRET") ?? (user is null ? Ask(run, $"Client secret for {client}:") : null);
            var pass = user is null ? null : run.Get(password) ?? env("CASELINE_PASSWORD") ?? Ask(run, $"Password for {user}:");
            var profile = new CliProfile(address.TrimEnd('/') + "/", client, secret, user, pass);

            using (var sdk = run.ClientFor(profile))
            {
                await sdk.GetFeedHeadAsync(ct).ConfigureAwait(false);
            }

            var name = run.Get(commands.Globals.Profile) ?? env("CASELINE_PROFILE") ?? "default";
            var config = run.Config.Load();
            config.Profiles[name] = profile;
            run.Config.Save(config with { Current = name });
            var subject = user ?? client;
            if (run.Json)
            {
                run.WriteJson(new ProfileView(name, true, profile.Url, profile.ClientId, profile.Grant, profile.Username, profile.ClientSecret is not null, profile.Password is not null), CliJsonContext.Default.ProfileView);
            }
            else
            {
                run.WriteLine($"Logged in to {profile.Url} as {subject}; saved as profile '{name}', now the current one.");
            }

            return ExitCodes.Ok;
        }, url, clientId, clientSecret, username, password);
    }

    private static string Ask(Invocation run, string question) => run.Host.Interactive
        ? run.Host.Error.Prompt(new TextPrompt<string>(question).Secret())
        : throw new CliException($"{question.TrimEnd(':')} is needed: give it as an option or environment variable (no terminal to ask at).", ExitCodes.Usage);

    private static Command List(CommandFactory commands) =>
        commands.Create("list", "The saved profiles; the current one is marked", (run, _) =>
        {
            var config = run.Config.Load();
            var views = config.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => View(p.Key, p.Value, config)).ToList();
            if (run.Json)
            {
                views.ForEach(v => run.WriteJson(v, CliJsonContext.Default.ProfileView));
            }
            else if (views.Count == 0)
            {
                run.Status("No profiles yet: run caseline login.");
            }
            else
            {
                var table = Tables.Of("", "Profile", "Server", "Client", "User");
                views.ForEach(v => table.Row(v.Current ? "*" : "", v.Name, v.Url, v.ClientId, v.Username ?? "(client credentials)"));
                run.Write(table);
            }

            return Task.FromResult(ExitCodes.Ok);
        });

    private static Command Use(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "The profile to make current" };
        return commands.Create("use", "Make a profile the current one", (run, _) =>
        {
            var config = run.Config.Load();
            var wanted = run.Required(name);
            if (!config.Profiles.ContainsKey(wanted))
            {
                throw new CliException($"There is no profile '{wanted}' (caseline profiles list shows them).");
            }

            run.Config.Save(config with { Current = wanted });
            run.Status($"Profile '{wanted}' is now the current one.");
            return Task.FromResult(ExitCodes.Ok);
        }, name);
    }

    private static Command Show(CommandFactory commands)
    {
        var name = new Argument<string?>("name") { Description = "The profile (default: the one this run would use)", Arity = ArgumentArity.ZeroOrOne };
        return commands.Create("show", "One profile's settings; secrets are never shown, only whether they are stored", (run, _) =>
        {
            var config = run.Config.Load();
            var wanted = run.Get(name) ?? run.ProfileName;
            var profile = config.Profiles.GetValueOrDefault(wanted) ?? throw new CliException($"There is no profile '{wanted}' (caseline profiles list shows them).");
            var view = View(wanted, profile, config);
            if (run.Json)
            {
                run.WriteJson(view, CliJsonContext.Default.ProfileView);
            }
            else
            {
                run.Write(Tables.Fields(
                    ("Profile", view.Name + (view.Current ? " (current)" : "")), ("Server", view.Url), ("Client", view.ClientId), ("Grant", view.Grant),
                    ("User", view.Username), ("Client secret", view.ClientSecretStored ? "stored" : "none"), ("Password", view.PasswordStored ? "stored" : "none"),
                    ("File", run.Config.FilePath)));
            }

            return Task.FromResult(ExitCodes.Ok);
        }, name);
    }

    private static Command Remove(CommandFactory commands)
    {
        var name = new Argument<string>("name") { Description = "The profile to forget" };
        return commands.Create("remove", "Forget a profile and its stored secrets", (run, _) =>
        {
            var config = run.Config.Load();
            var wanted = run.Required(name);
            if (!config.Profiles.Remove(wanted))
            {
                throw new CliException($"There is no profile '{wanted}'.");
            }

            run.Config.Save(config with { Current = config.Current == wanted ? null : config.Current });
            run.Status($"Removed profile '{wanted}'.");
            return Task.FromResult(ExitCodes.Ok);
        }, name);
    }

    private static ProfileView View(string name, CliProfile profile, ConfigFile config) =>
        new(name, config.Current == name, profile.Url, profile.ClientId, profile.Grant, profile.Username, profile.ClientSecret is not null, profile.Password is not null);

    private static Command Doctor(CommandFactory commands)
    {
        var consumer = new Option<string?>("--consumer") { Description = "Also report this listen consumer's cursor and how far behind the feed it is" };
        return commands.Create("doctor", "Check the profile: the server answers, the token works, this machine's clock, a consumer's lag", async (run, ct) =>
        {
            var checks = new List<DoctorCheck>();
            var exit = ExitCodes.Ok;
            var profile = run.Profile();
            checks.Add(new("profile", "ok", $"{run.ProfileName}: {profile.Url} as {profile.Username ?? profile.ClientId} ({profile.Grant})"));
            FeedHead? head = null;
            try
            {
                var started = Stopwatch.GetTimestamp();
                var sentAt = DateTimeOffset.UtcNow;
                head = await run.Client.GetFeedHeadAsync(ct).ConfigureAwait(false);
                var elapsed = Stopwatch.GetElapsedTime(started);
                checks.Add(new("server", "ok", string.Create(CultureInfo.InvariantCulture, $"answered in {elapsed.TotalMilliseconds:0} ms; the token works")));

                // The server read its clock somewhere in the round trip: compare with the trip's middle.
                var skew = head.At - (sentAt + (elapsed / 2));
                var tolerance = CaselineWebhook.DefaultTolerance;
                var skewText = string.Create(CultureInfo.InvariantCulture, $"{skew.TotalSeconds:+0.0;-0.0} s against the server (webhook timestamps are accepted within {tolerance.TotalMinutes:0} min)");
                checks.Add(skew.Duration() > tolerance ? new("clock", "fail", skewText)
                    : skew.Duration() > TimeSpan.FromSeconds(30) ? new("clock", "warn", skewText)
                    : new("clock", "ok", skewText));
                checks.Add(new("feed", "ok", $"last position {head.Position}"));
            }
            catch (CaselineException e) when (e.IsAuthenticationFailure)
            {
                checks.Add(new("token", "fail", e.Message));
                exit = ExitCodes.Authentication;
            }
            catch (Exception e) when (e is HttpRequestException or CaselineException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                checks.Add(new("server", "fail", e.Message));
                exit = ExitCodes.Transient;
            }

            if (run.Get(consumer) is { } name)
            {
                using var listener = new Listener(run.Config.ConsumersFolder(run.ProfileName), name);
                if (!listener.Exists)
                {
                    checks.Add(new($"consumer {name}", "fail", "no such consumer for this profile (caseline listen --consumer creates it)"));
                    exit = exit == ExitCodes.Ok ? ExitCodes.Error : exit;
                }
                else
                {
                    var position = await listener.Checkpoints.GetPositionAsync(name, ct).ConfigureAwait(false);
                    var parked = (await listener.Checkpoints.GetParkedAsync(name, ct).ConfigureAwait(false)).Count;
                    var lag = head is null ? "" : $", {Math.Max(0, head.Position - position)} messages behind";
                    checks.Add(new($"consumer {name}", parked > 0 ? "warn" : "ok", $"after position {position}{lag}" + (parked > 0 ? $", {parked} parked" : "")));
                }
            }

            if (run.Json)
            {
                checks.ForEach(c => run.WriteJson(c, CliJsonContext.Default.DoctorCheck));
            }
            else
            {
                var table = Tables.Of("Check", "Result", "Detail");
                checks.ForEach(c => table.Row(c.Check, c.Result, c.Detail));
                run.Write(table);
            }

            return exit == ExitCodes.Ok && checks.Any(c => c.Result == "fail") ? ExitCodes.Error : exit;
        }, consumer);
    }
}

/// <summary>A profile as <c>profiles list|show</c> print it: whether secrets are stored, never what they are.</summary>
internal sealed record ProfileView(string Name, bool Current, string Url, string ClientId, string Grant, string? Username, bool ClientSecretStored, bool PasswordStored);

/// <summary>One line of <c>doctor</c>: what was checked, <c>ok</c>, <c>warn</c> or <c>fail</c>, and what was seen.</summary>
internal sealed record DoctorCheck(string Check, string Result, string Detail);
