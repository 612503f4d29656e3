using System.Text.Json;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server.Storage;
using Caseline.Server.Sync;

namespace Caseline.Server.Web;

/// <summary>One section or item as the pages show it: its details as written on the wire, and its last change in the log.</summary>
internal sealed record SectionState(Section Section, string ItemId, JsonElement Details, LastChange? Changed)
{
    public static SectionState Of(SectionDetails details, LastChange? changed = null) =>
        new(details.Section, (details as ItemDetails)?.IntegrationId ?? ClientStorage.NoItem, Json(MessageWriter.DetailsToUtf8Bytes(details)), changed);

    public static JsonElement Json(byte[] utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        return document.RootElement.Clone();
    }
}

/// <summary>Who changed a section or item last, when, and how.</summary>
internal sealed record LastChange(DateTimeOffset At, string By, ChangeVerb? Verb);

/// <summary>A client as the profile page shows it: every section and item, each with its last change.</summary>
internal sealed record ClientPage(string ClientId, IReadOnlyList<SectionState> Sections)
{
    public SectionState? Own(Section section) => Sections.FirstOrDefault(s => s.Section == section);

    public IEnumerable<SectionState> Items(Section section) => Sections.Where(s => s.Section == section).OrderBy(s => s.ItemId, StringComparer.Ordinal);

    public string Name => Own(Section.PersonalDetails) is { } personal
        ? $"{Display.Text(personal.Details, "FirstName")} {Display.Text(personal.Details, "LastName")}".Trim()
        : "";

    /// <summary>The client's stored sections and items, each with the last message that changed it.</summary>
    public static ClientPage Of(ClientHistory history)
    {
        var changes = new Dictionary<(Section, string), LastChange>();
        foreach (var logged in history.Messages)
        {
            var message = MessageReader.Read(logged.Body);
            changes[Key(message.Details)] = new LastChange(message.Action.OccurredOn, message.Action.UpdatedBy, message.Verb);
        }

        return new ClientPage(
            history.ClientId,
            [.. history.Sections.Select(s => new SectionState(s.Section, s.ItemId, SectionState.Json(s.Details), changes.GetValueOrDefault((s.Section, s.ItemId))))]);
    }

    /// <summary>The profile as it stood at an instant (no last changes: the log is read only up to it).</summary>
    public static ClientPage Of(string clientId, IReadOnlyList<SectionDetails> sections) => new(clientId, [.. sections.Select(d => SectionState.Of(d))]);

    internal static (Section, string) Key(SectionDetails details) => (details.Section, (details as ItemDetails)?.IntegrationId ?? ClientStorage.NoItem);
}

/// <summary>One message of a client's timeline: what changed in its section, and how far it got to each endpoint.</summary>
internal sealed record TimelineEntry(long Position, ClientMessage Message, IReadOnlyList<FieldChange> Changes, IReadOnlyList<DeliveryStatus> Deliveries)
{
    /// <summary>The client's messages, newest first, each with its field changes against the previous state and its delivery to each endpoint.</summary>
    public static List<TimelineEntry> Of(ClientHistory history, ClientDeliveries sent)
    {
        var deliveries = sent.Deliveries.ToDictionary(d => (d.Position, d.EndpointId));
        var previous = new Dictionary<(Section, string), JsonElement>();
        var entries = new List<TimelineEntry>();
        foreach (var logged in history.Messages)
        {
            var message = MessageReader.Read(logged.Body);
            var key = ClientPage.Key(message.Details);
            var state = SectionState.Of(message.Details).Details;
            var before = previous.TryGetValue(key, out var earlier) ? earlier : (JsonElement?)null;
            var after = message.Verb == ChangeVerb.Removed ? (JsonElement?)null : state;
            if (after is null)
            {
                previous.Remove(key);
            }
            else
            {
                previous[key] = state;
            }

            var statuses = sent.Endpoints
                .Where(e => e.SubTypes is null || e.SubTypes.Contains(message.Details.SubType, StringComparer.Ordinal))
                .Select(e => deliveries.TryGetValue((logged.Position, e.Id), out var d)
                    ? new DeliveryStatus(e.Id, e.Label, d.State, d.Attempts, d.Id)
                    : new DeliveryStatus(e.Id, e.Label, logged.Position > e.EnqueuedThrough ? "Waiting" : "No record", 0, null))
                .ToList();
            entries.Add(new TimelineEntry(logged.Position, message, Display.Diff(message.Details.Section, before, after), statuses));
        }

        entries.Reverse();
        return entries;
    }
}

/// <summary>A field whose value differs between two states of a section.</summary>
internal sealed record FieldChange(string Field, string? Before, string? After);

/// <summary>A message's delivery to one endpoint: its state, or why there is none.</summary>
internal sealed record DeliveryStatus(string EndpointId, string Endpoint, string State, int Attempts, long? DeliveryId);
