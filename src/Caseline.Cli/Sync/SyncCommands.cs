using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Caseline.Client;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Messages.Validation;
using Spectre.Console;

namespace Caseline.Cli.Sync;

/// <summary><c>sync push</c>, <c>diff</c> and <c>validate</c>: whole profiles from a CMS export.</summary>
internal static class SyncCommands
{
    public static IEnumerable<Command> Build(CommandFactory commands)
    {
        yield return CommandFactory.Group("sync", "Bulk full sync: make the stored profiles equal to a file's", Push(commands));
        yield return Diff(commands);
        yield return Validate(commands);
    }

    private static Argument<string> FileArgument(string what) => new("file") { Description = what + " ('-': standard input)" };

    /// <summary>One line of the file as a profile the server would take, or why it would refuse it (the server's own words).</summary>
    private static (ProfileInput? Profile, SyncLineError? Error) Parse(FileEntry entry)
    {
        if (entry.Document is not { } document)
        {
            return (null, new SyncLineError(entry.Line, null, new Dictionary<string, string[]> { [""] = [entry.Error!] }));
        }

        var input = SyncInput.ReadProfile(document);
        return input.Errors.Count > 0 ? (null, new SyncLineError(entry.Line, input.IntegrationId, input.Errors))
            : string.IsNullOrEmpty(input.IntegrationId) ? (null, new SyncLineError(entry.Line, null, new Dictionary<string, string[]> { ["IntegrationId"] = ["IntegrationId is required"] }))
            : (input, null);
    }

    private static ClientProfile ToProfile(ProfileInput input) =>
        ClientProfile.FromSections(input.IntegrationId!, input.Sections.Concat<SectionDetails>(input.Items ?? []));

    private static Command Push(CommandFactory commands)
    {
        var file = FileArgument("NDJSON (one profile per line) or CSV (.csv, the README's column layout)");
        var dryRun = new Option<bool>("--dry-run") { Description = "Check every line against the field rules and stop: nothing is sent" };
        return commands.Create("push", "Upload whole profiles; each stored profile is made equal to its line (items not in it are removed)", async (run, ct) =>
        {
            var path = run.Required(file);
            var errors = new List<SyncLineError>();
            var fileLines = new List<long>();
            long read = 0;
            async IAsyncEnumerable<ClientProfile> Valid()
            {
                foreach (var entry in ProfileFile.Read(path, run.Host.In))
                {
                    ct.ThrowIfCancellationRequested();
                    read++;
                    var (profile, error) = Parse(entry);
                    if (error is not null)
                    {
                        errors.Add(error);
                        continue;
                    }

                    fileLines.Add(entry.Line);
                    yield return ToProfile(profile!);
                }

                await Task.CompletedTask.ConfigureAwait(false);
            }

            SyncJob? job = null;
            var localInvalid = 0;
            if (run.Get(dryRun))
            {
                await foreach (var _ in Valid().ConfigureAwait(false))
                {
                }

                localInvalid = errors.Count;
            }
            else
            {
                job = await UploadAsync(run, path, Valid(), ct).ConfigureAwait(false);
                localInvalid = errors.Count;

                // The server numbers the lines it received; only valid ones were sent, so map them back to the file's.
                errors.AddRange(job.Errors.Select(e => e with { Line = e.Line >= 1 && e.Line <= fileLines.Count ? fileLines[(int)e.Line - 1] : e.Line }));
                errors.Sort((x, y) => x.Line.CompareTo(y.Line));
            }

            var report = new SyncReport(job?.Id, job?.State ?? "DryRun", read, fileLines.Count - (job?.Invalid ?? 0), localInvalid + (job?.Invalid ?? 0),
                job?.Created, job?.Updated, job?.Unchanged, job?.ItemsRemoved, job?.MessagesWritten, job?.Failure, errors);
            WriteReport(run, report);
            return job?.State == "Failed" ? ExitCodes.Error : report.Invalid > 0 ? ExitCodes.Validation : ExitCodes.Ok;
        }, file, dryRun);
    }

    private static async Task<SyncJob> UploadAsync(Invocation run, string path, IAsyncEnumerable<ClientProfile> profiles, CancellationToken ct)
    {
        if (run.Quiet || path == "-")
        {
            return await run.Client.SyncAsync(profiles, null, TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }

        // Counting first gives the upload bar its end; a CMS export of a million lines counts in about a second.
        var total = ProfileFile.Read(path).LongCount();
        SyncJob? job = null;
        await run.Host.Error.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var upload = context.AddTask("Uploading", maxValue: Math.Max(1, total));
                var server = context.AddTask("Server job", autoStart: false, maxValue: 1);
                var progress = new Reporter(p =>
                {
                    if (p.Job is null)
                    {
                        upload.Value = p.ProfilesUploaded;
                        return;
                    }

                    upload.Value = upload.MaxValue;
                    upload.StopTask();
                    server.StartTask();
                    server.MaxValue = Math.Max(1, p.Job.TotalLines);
                    server.Value = p.Job.LinesProcessed;
                });
                var started = await run.Client.StartSyncAsync(profiles, progress, ct).ConfigureAwait(false);
                job = await run.Client.WaitForSyncJobAsync(started.Id, progress, TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
                server.Value = server.MaxValue;
            }).ConfigureAwait(false);
        return job!;
    }

    private static void WriteReport(Invocation run, SyncReport report)
    {
        if (run.Json)
        {
            run.WriteJson(report, CliJsonContext.Default.SyncReport);
            return;
        }

        static string N(long? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "-";
        run.Write(Tables.Fields(
            ("Job", report.JobId ?? "(dry run: nothing sent)"), ("State", report.State), ("Profiles read", N(report.Read)), ("Valid", N(report.Valid)),
            ("Invalid", N(report.Invalid)), ("Created", N(report.Created)), ("Updated", N(report.Updated)), ("Unchanged", N(report.Unchanged)),
            ("Items removed", N(report.ItemsRemoved)), ("Messages written", N(report.MessagesWritten))));
        if (report.Failure is not null)
        {
            run.Warn($"the job failed: {report.Failure}");
        }

        WriteErrors(run, report.Errors);
    }

    private static void WriteErrors(Invocation run, IReadOnlyList<SyncLineError> errors)
    {
        if (errors.Count == 0)
        {
            return;
        }

        var table = Tables.Of("Line", "Client", "Field", "Problem");
        foreach (var error in errors)
        {
            foreach (var (field, messages) in error.Errors)
            {
                foreach (var message in messages)
                {
                    table.Row(error.Line.ToString(CultureInfo.InvariantCulture), error.IntegrationId, field.Length == 0 ? "(line)" : field, message);
                }
            }
        }

        run.WriteError(table);
    }

    private static Command Diff(CommandFactory commands)
    {
        var file = FileArgument("NDJSON or CSV, as sync push takes it");
        return commands.Create("diff", "What a sync push of the file would change, per section, without changing anything", async (run, ct) =>
        {
            var path = run.Required(file);
            var errors = new List<SyncLineError>();
            var profiles = new List<ProfileInput>();
            foreach (var entry in ProfileFile.Read(path, run.Host.In))
            {
                var (profile, error) = Parse(entry);
                if (error is null)
                {
                    profiles.Add(profile!);
                }
                else
                {
                    errors.Add(error);
                }
            }

            var changes = new List<SectionChange>[profiles.Count];
            var isNew = new bool[profiles.Count];
            var client = run.Client;
            await Parallel.ForEachAsync(Enumerable.Range(0, profiles.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
            {
                var stored = await client.GetClientAsync(profiles[i].IntegrationId!, null, token).ConfigureAwait(false);
                isNew[i] = stored is null;
                changes[i] = ProfileDiff.Compare(stored, profiles[i]);
            }).ConfigureAwait(false);

            var all = changes.SelectMany(c => c).ToList();
            if (run.Json)
            {
                all.ForEach(c => run.WriteJson(c, CliJsonContext.Default.SectionChange));
            }
            else if (all.Count == 0)
            {
                run.WriteLine("No changes: every profile in the file is as stored.");
            }
            else
            {
                var table = Tables.Of("Client", "Change", "Section", "Item", "Fields");
                all.ForEach(c => table.Row(c.ClientId, c.Verb.ToString(), c.SubType, c.ItemId, string.Join(", ", c.Fields)));
                run.Write(table);
            }

            var created = isNew.Count(n => n);
            var updated = changes.Where((c, i) => !isNew[i] && c.Count > 0).Count();
            var removed = all.Count(c => c.Verb == ChangeVerb.Removed && Section.Find(c.SubType)!.IsCollection);
            run.Status(string.Create(CultureInfo.InvariantCulture,
                $"{profiles.Count} profiles: {created} new, {updated} changed, {profiles.Count - created - updated} unchanged; {removed} items removed; {all.Count} messages."));
            WriteErrors(run, errors);
            return errors.Count > 0 ? ExitCodes.Validation : ExitCodes.Ok;
        }, file);
    }

    private static Command Validate(CommandFactory commands)
    {
        var file = FileArgument("Messages or profiles: NDJSON, CSV, or a .json file holding one document or an array");
        return commands.Create("validate", "Check messages or profiles against the wire format and the field rules, offline", (run, _) =>
        {
            var path = run.Required(file);
            var entries = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? WholeDocument(path) : ProfileFile.Read(path, run.Host.In);
            var errors = new List<SyncLineError>();
            var count = 0;
            foreach (var entry in entries)
            {
                count++;
                if (entry.Document is { } document && IsMessage(document))
                {
                    if (CheckMessage(entry.Line, document) is { } error)
                    {
                        errors.Add(error);
                    }
                }
                else if (Parse(entry).Error is { } error)
                {
                    errors.Add(error);
                }
            }

            if (run.Json)
            {
                errors.ForEach(e => run.WriteJson(e, CliJsonContext.Default.SyncLineError));
            }
            else
            {
                WriteErrors(run, errors);
            }

            run.Status(string.Create(CultureInfo.InvariantCulture, $"{count} documents: {count - errors.Count} valid, {errors.Count} invalid."));
            return Task.FromResult(errors.Count > 0 ? ExitCodes.Validation : ExitCodes.Ok);
        }, file);
    }

    private static bool IsMessage(JsonElement document) =>
        document.ValueKind == JsonValueKind.Object && document.EnumerateObject().Any(p => p.NameEquals("Activity") || p.NameEquals("Details"));

    private static SyncLineError? CheckMessage(long line, JsonElement document)
    {
        try
        {
            var message = MessageReader.Read(document);
            var errors = MessageValidator.Validate(message);
            return errors.Count == 0 ? null : new SyncLineError(line, message.Client.IntegrationId, errors);
        }
        catch (MessageFormatException e)
        {
            return new SyncLineError(line, null, new Dictionary<string, string[]> { [""] = [e.Message] });
        }
    }

    /// <summary>A .json file: one document, or an array whose elements are numbered from 1.</summary>
    private static IEnumerable<FileEntry> WholeDocument(string path)
    {
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            return [new FileEntry(1, null, $"The file is not valid JSON ({e.Message})")];
        }

        using (parsed)
        {
            var root = parsed.RootElement.Clone();
            return root.ValueKind == JsonValueKind.Array
                ? [.. root.EnumerateArray().Select((d, i) => new FileEntry(i + 1, d, null))]
                : [new FileEntry(1, root, null)];
        }
    }

    /// <summary>Progress reported on the caller's thread, in order (<see cref="Progress{T}"/> would post it to the thread pool).</summary>
    private sealed class Reporter(Action<SyncProgress> report) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value) => report(value);
    }
}

/// <summary>What <c>sync push</c> did (or, with <c>--dry-run</c>, found): the job's counts and every invalid line, by the file's line numbers.</summary>
internal sealed record SyncReport(
    string? JobId, string State, long Read, long Valid, long Invalid, long? Created, long? Updated, long? Unchanged, long? ItemsRemoved, long? MessagesWritten,
    string? Failure, IReadOnlyList<SyncLineError> Errors);
