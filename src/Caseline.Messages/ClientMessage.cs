using System.Text.Json.Serialization;
using Caseline.Messages.Json;

namespace Caseline.Messages;

/// <summary>
/// One Transmit message: the change of one section (or one item) of one client's profile.
/// Its JSON shape is the wire contract; see <see cref="MessageWriter"/> and <see cref="MessageReader"/>.
/// </summary>
/// <param name="Client">Whose profile changed.</param>
/// <param name="Activity">The message's identity and type.</param>
/// <param name="Details">The whole current state of the section or item (its last state when removed).</param>
/// <param name="Action">Why, when and by whom.</param>
public sealed record ClientMessage(
    ClientReference Client,
    MessageActivity Activity,
    SectionDetails Details,
    MessageAction Action)
{
    /// <summary>The only activity type Caseline emits for profile sections.</summary>
    public const string ClientProfileType = "ClientProfile";

    /// <summary>
    /// Builds a message with a fresh time-ordered identifier and a <c>Reason</c> of
    /// <c>"&lt;SubType&gt; &lt;Verb&gt;"</c>, the only form Caseline emits.
    /// </summary>
    public static ClientMessage Create(
        string clientIntegrationId,
        SectionDetails details,
        ChangeVerb verb,
        DateTimeOffset occurredOn,
        string updatedBy) =>
        new(
            new ClientReference(clientIntegrationId),
            new MessageActivity(Guid.CreateVersion7(occurredOn), ClientProfileType),
            details,
            new MessageAction(ReasonFor(details.Section, verb), occurredOn.ToUniversalTime(), updatedBy));

    /// <summary>The verb of <see cref="MessageAction.Reason"/>, or <c>null</c> when the reason names none.</summary>
    [JsonIgnore]
    public ChangeVerb? Verb => TryParseReason(Action.Reason, out _, out var verb) ? verb : null;

    /// <summary><c>"&lt;SubType&gt; &lt;Verb&gt;"</c>, for example <c>"Address Details Removed"</c>.</summary>
    public static string ReasonFor(Section section, ChangeVerb verb) => $"{section.Name} {verb}";

    /// <summary>Splits a reason such as <c>"Personal Details Updated"</c> into its section and verb (names compared case-insensitively).</summary>
    public static bool TryParseReason(string? reason, out Section? section, out ChangeVerb verb)
    {
        section = null;
        verb = default;
        if (reason is null)
        {
            return false;
        }

        var space = reason.TrimEnd().LastIndexOf(' ');
        if (space <= 0 || !Enum.TryParse(reason.AsSpan(space + 1).Trim(), ignoreCase: true, out verb) || !Enum.IsDefined(verb))
        {
            return false;
        }

        section = Section.Find(reason[..space].Trim());
        return section is not null;
    }
}

/// <summary>The client a message is about.</summary>
/// <param name="IntegrationId">The agency's own identifier of the client (the CMS's id).</param>
public sealed record ClientReference(string IntegrationId);

/// <summary>The message's identity.</summary>
/// <param name="Identifier">A UUID (version 7 when Caseline made it); receivers de-duplicate on it.</param>
/// <param name="Type">Always <see cref="ClientMessage.ClientProfileType"/> for profile messages.</param>
public sealed record MessageActivity(Guid Identifier, string Type);

/// <summary>What happened, when and by whom.</summary>
/// <param name="Reason"><c>"&lt;SubType&gt; &lt;Verb&gt;"</c>.</param>
/// <param name="OccurredOn">The commit time of the change; written in UTC with seven fractional digits.</param>
/// <param name="UpdatedBy">The authenticated user's login, or the API client's name.</param>
public sealed record MessageAction(
    string Reason,
    [property: JsonConverter(typeof(UtcTimestampConverter))] DateTimeOffset OccurredOn,
    string UpdatedBy);

/// <summary>What happened to a section or item.</summary>
public enum ChangeVerb
{
    /// <summary>The section or item did not exist before.</summary>
    Created = 1,

    /// <summary>The section or item existed and at least one of its fields changed.</summary>
    Updated = 2,

    /// <summary>The item was removed; the message carries its last state.</summary>
    Removed = 3,
}
