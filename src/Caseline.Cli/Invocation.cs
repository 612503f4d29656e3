using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Caseline.Cli.Profiles;
using Caseline.Client;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Caseline.Cli;

/// <summary>One run of one command: its parsed arguments, the profile it works as, and where its output goes.</summary>
internal sealed class Invocation(CliHost host, ParseResult parse, GlobalOptions globals) : IDisposable
{
    private CaselineClient? _client;

    public CliHost Host => host;

    public CliConfig Config { get; } = new(host.ConfigDirectory);

    public bool Json => parse.GetValue(globals.Output) == OutputFormat.Json;

    public bool Quiet => parse.GetValue(globals.Quiet);

    /// <summary><c>--profile</c>, else <c>CASELINE_PROFILE</c>, else the current profile, else <c>default</c>.</summary>
    public string ProfileName =>
        parse.GetValue(globals.Profile) ?? host.Environment("CASELINE_PROFILE") ?? Config.Load().Current ?? "default";

    public T? Get<T>(Option<T> option) => parse.GetValue(option);

    public T? Get<T>(Argument<T> argument) => parse.GetValue(argument);

    public T Required<T>(Argument<T> argument) => parse.GetRequiredValue(argument);

    /// <summary>
    /// The profile this run works as: the stored one, with any <c>CASELINE_URL</c>, <c>CASELINE_CLIENT_ID</c>,
    /// <c>CASELINE_CLIENT_SECRET</c>, <c>CASELINE_USERNAME</c> or <c>CASELINE_PASSWORD</c> taking its place
    /// field by field (so CI can run without a stored profile at all).
    /// </summary>
    public CliProfile Profile()
    {
        var name = ProfileName;
        Config.Load().Profiles.TryGetValue(name, out var stored);
        var url = host.Environment("CASELINE_URL") ?? stored?.Url;
        var clientId = host.Environment("CASELINE_CLIENT_ID") ?? stored?.ClientId;
        if (url is null || clientId is null)
        {
            throw new CliException($"There is no profile '{name}': run caseline login, or set CASELINE_URL and CASELINE_CLIENT_ID.", ExitCodes.Authentication);
        }

        return new CliProfile(
            url, clientId, host.Environment("CASELINE_CLIENT_SECRET") ?? stored?.ClientSecret,
            host.Environment("CASELINE_USERNAME") ?? stored?.Username, host.Environment("CASELINE_PASSWORD") ?? stored?.Password);
    }

    /// <summary>The SDK client for <see cref="Profile()"/>, made on first use.</summary>
    public CaselineClient Client => _client ??= ClientFor(Profile());

    /// <summary>
    /// An SDK client for <paramref name="profile"/> that waits out a server's <c>Retry-After</c> up to two minutes (a rate
    /// limit's window is one), at most four times per call, and says so on standard error.
    /// </summary>
    public CaselineClient ClientFor(CliProfile profile)
    {
        if (!Uri.TryCreate(profile.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new CliException($"'{profile.Url}' is not an http or https address.", ExitCodes.Usage);
        }

        return new CaselineClient(new CaselineClientOptions
        {
            BaseAddress = url, Credentials = profile.Credentials(), MaxRetryDelay = TimeSpan.FromMinutes(2), OnRetry = NoteRetry,
        });
    }

    private readonly Lock _retryNote = new();
    private DateTimeOffset _notedUntil;

    // Parallel calls refused together would each say the same: one note per wait that ends later than the last one noted.
    private void NoteRetry(CaselineRetry retry)
    {
        if (retry.Delay < TimeSpan.FromSeconds(1) && retry.StatusCode != System.Net.HttpStatusCode.TooManyRequests)
        {
            return;
        }

        var until = DateTimeOffset.UtcNow + retry.Delay;
        lock (_retryNote)
        {
            if (until < _notedUntil + TimeSpan.FromSeconds(1))
            {
                return;
            }

            _notedUntil = until;
        }

        var why = retry.StatusCode switch
        {
            System.Net.HttpStatusCode.TooManyRequests => "the server's rate limit was reached (HTTP 429)",
            { } status => $"the server answered HTTP {(int)status}",
            null => "the request failed",
        };
        var how = retry.ServerAsked ? "as the server asked" : "before trying again";
        Status(string.Create(CultureInfo.InvariantCulture,
            $"note: {why}; waiting {Math.Ceiling(retry.Delay.TotalSeconds):0} s {how} (attempt {retry.Attempt + 1} of {retry.MaxAttempts})."));
    }

    /// <summary>A status line on standard error, unless <c>--quiet</c>.</summary>
    public void Status(string text)
    {
        if (!Quiet)
        {
            host.Error.MarkupLineInterpolated($"[grey]{text}[/]");
        }
    }

    /// <summary>A secret shown once, on standard error, alone on its line and never wrapped, so it can be copied whole.</summary>
    public void ShowSecret(string intro, string secret)
    {
        host.Error.MarkupLineInterpolated($"{intro}");
        host.Error.Profile.Out.Writer.WriteLine(secret);
    }

    /// <summary>A warning on standard error (shown even with <c>--quiet</c>).</summary>
    public void Warn(string text) => host.Error.MarkupLineInterpolated($"[yellow]warning:[/] {text}");

    public void WriteJson<T>(T value, JsonTypeInfo<T> typeInfo) => host.RawOut.WriteLine(JsonSerializer.Serialize(value, typeInfo));

    public void Write(TextTable table)
    {
        if (host.PlainOut)
        {
            table.WritePlain(host.RawOut);
        }
        else
        {
            host.Out.Write(table.ToRenderable());
        }
    }

    /// <summary>A table on standard error (line errors, say), plain when standard error is not a terminal.</summary>
    public void WriteError(TextTable table)
    {
        if (host.PlainError)
        {
            table.WritePlain(host.Error.Profile.Out.Writer);
        }
        else
        {
            host.Error.Write(table.ToRenderable());
        }
    }

    public void WriteLine(string text)
    {
        if (host.PlainOut)
        {
            host.RawOut.WriteLine(text);
        }
        else
        {
            host.Out.WriteLine(text);
        }
    }

    public void Dispose() => _client?.Dispose();
}

/// <summary>
/// A table whose cells are text, never markup (a client's name cannot style the terminal). A terminal gets it drawn with
/// borders, fitted to its width; a pipe or a file gets plain lines, one per row, cells separated by tabs, never wrapped:
/// an identifier or a JSON value is never cut in two.
/// </summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string?[]> _rows = [];

    /// <summary>A heading drawn above the table in a terminal; plain output leaves it out, as every row says what it is.</summary>
    public string? Title { get; set; }

    public TextTable Row(params string?[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public Table ToRenderable()
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }

        foreach (var row in _rows)
        {
            table.AddRow(row.Select(c => (IRenderable)new Text(c ?? "")).ToArray());
        }

        if (Title is not null)
        {
            table.Title = new TableTitle(Title);
        }

        return table;
    }

    /// <summary>The header and each row on a line of its own; a cell of several lines keeps them, joined by "; ".</summary>
    public void WritePlain(TextWriter writer)
    {
        writer.WriteLine(Line(headers));
        foreach (var row in _rows)
        {
            writer.WriteLine(Line(row));
        }
    }

    private static string Line(IEnumerable<string?> cells) =>
        string.Join('\t', cells.Select(c => (c ?? "").ReplaceLineEndings("; ").Replace('\t', ' ')));
}

internal static class Tables
{
    public static TextTable Of(params string[] headers) => new(headers);

    /// <summary>Two columns, field and value, for one record.</summary>
    public static TextTable Fields(params (string Field, string? Value)[] rows)
    {
        var table = Of("Field", "Value");
        foreach (var (field, value) in rows)
        {
            table.Row(field, value);
        }

        return table;
    }
}
