using System.Globalization;
using Caseline.Messages;
using Caseline.Server.Audit;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Clients;

/// <summary>The profile as it stood at an instant, rebuilt from the log, or what changed between two instants.</summary>
[Audited]
internal sealed class AsOfModel(ClientOperations clients, TimeProvider clock) : WebPage
{
    private static readonly string[] Formats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd"];

    public string ClientId { get; private set; } = "";

    public DateTimeOffset? At { get; private set; }

    public DateTimeOffset? Compare { get; private set; }

    public string? AtText { get; private set; }

    public string? CompareText { get; private set; }

    public string? Error { get; private set; }

    public string? ErrorField { get; private set; }

    public ClientPage? Profile { get; private set; }

    /// <summary>With two instants: per section or item, the fields that differ.</summary>
    public List<(string Title, IReadOnlyList<FieldChange> Changes)>? Compared { get; private set; }

    public IActionResult OnGet(string clientId, string? at, string? compare)
    {
        ClientId = clientId;
        if (!clients.Exists(Caller, clientId))
        {
            return NotFound();
        }

        AtText = at;
        CompareText = compare;
        if (string.IsNullOrWhiteSpace(at))
        {
            AtText = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
            return Page();
        }

        At = Parse(at, "at", "As of");
        Compare = string.IsNullOrWhiteSpace(compare) ? null : Parse(compare, "compare", "Compare with");
        if (Error is not null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        // An instant names its whole second (a date its whole day): everything written within it counts.
        Profile = AsOf(End(at, At!.Value));
        if (Compare is { } other)
        {
            var later = AsOf(End(compare!, other));
            Compared = Differences(Profile, later);
        }

        return Page();
    }

    /// <summary>The profile at an instant, rebuilt from the log; null when the client did not exist then.</summary>
    private ClientPage? AsOf(DateTimeOffset at) =>
        clients.SectionsAsOf(Caller, ClientId, at) is { } sections ? ClientPage.Of(ClientId, sections) : null;

    private DateTimeOffset? Parse(string text, string field, string label)
    {
        if (DateTime.TryParseExact(text.Trim(), Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return new DateTimeOffset(instant, TimeSpan.Zero);
        }

        Error ??= $"{label} must be a date and time, for example 2024-05-01T13:45";
        ErrorField ??= field;
        return null;
    }

    /// <summary>
    /// The last tick of what <paramref name="text"/> names. A picker with <c>step="1"</c> leaves out a time's seconds when
    /// they are 00, so <c>13:31</c> is the second 13:31:00, never the minute up to 13:31:59; a date alone is its whole day.
    /// </summary>
    private static DateTimeOffset End(string text, DateTimeOffset start) =>
        start + (text.Trim().Length switch { 10 => TimeSpan.FromDays(1), 16 or 19 => TimeSpan.FromSeconds(1), _ => TimeSpan.FromTicks(1) }) - TimeSpan.FromTicks(1);

    private static List<(string, IReadOnlyList<FieldChange>)> Differences(ClientPage? before, ClientPage? after)
    {
        var keys = (before?.Sections ?? []).Concat(after?.Sections ?? []).Select(s => (s.Section, s.ItemId)).Distinct()
            .OrderBy(k => Section.All.ToList().IndexOf(k.Section)).ThenBy(k => k.ItemId, StringComparer.Ordinal);
        var differences = new List<(string, IReadOnlyList<FieldChange>)>();
        foreach (var (section, itemId) in keys)
        {
            var old = before?.Sections.FirstOrDefault(s => s.Section == section && s.ItemId == itemId)?.Details;
            var now = after?.Sections.FirstOrDefault(s => s.Section == section && s.ItemId == itemId)?.Details;
            var changes = Display.Diff(section, old, now);
            if (changes.Count > 0)
            {
                differences.Add((section.IsCollection ? $"{Display.Title(section)}: {itemId}" : Display.Title(section), changes));
            }
        }

        return differences;
    }
}
