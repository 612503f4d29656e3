namespace Caseline.Messages.Validation;

/// <summary>
/// Checks sections and messages against the documented rules (see the library's README for the
/// table of fields and limits). Errors are keyed by field path and worded as the original system
/// words them: <c>"&lt;Field&gt; is required"</c>, <c>"&lt;Field&gt; contains some characters which are
/// not allowed"</c>, <c>"&lt;Field&gt; must be at most &lt;n&gt; characters long"</c>, <c>"&lt;Field&gt; is invalid"</c>.
/// Messages never quote the offending value, so personal data stays out of error reports.
/// </summary>
public static class MessageValidator
{
    private static readonly FieldSpec ClientId = new("IntegrationId", FieldKind.Identifier) { IsRequired = true, MaxLength = 64 };
    private static readonly FieldSpec UpdatedBy = new("UpdatedBy", FieldKind.Text) { IsRequired = true, MaxLength = 254 };

    /// <summary>The rules of a client's own <c>IntegrationId</c> (an <see cref="FieldKind.Identifier"/> of at most 64 characters).</summary>
    public static FieldSpec ClientIntegrationId => ClientId;

    /// <summary>The rules of <c>Action.UpdatedBy</c>.</summary>
    public static FieldSpec ActionUpdatedBy => UpdatedBy;

    /// <summary>Whether <paramref name="text"/> holds only characters free text may hold (see <see cref="FieldKind.Text"/>).</summary>
    public static bool IsAllowedText(string text) => Rules.IsAllowedText(text);

    /// <summary>Checks an identifier (a client's or an item's) against the <see cref="FieldKind.Identifier"/> rules.</summary>
    /// <returns>The messages, worded for <c>IntegrationId</c>; empty when the identifier is valid.</returns>
    public static string[] ValidateIntegrationId(string? integrationId)
    {
        var errors = new ValidationBuilder(DateOnly.MaxValue);
        Rules.Identifier(ClientId, integrationId, errors, "IntegrationId");
        return errors.ToDictionary().GetValueOrDefault("IntegrationId", []);
    }

    /// <summary>Validates one section's details; keys are field paths such as <c>FirstName</c> or <c>Offenses[1].Date</c>.</summary>
    /// <param name="details">The details to check.</param>
    /// <param name="clock">Where "today" comes from for dates that may not lie in the future; the system clock when null.</param>
    /// <returns>The errors; empty when the details are valid.</returns>
    public static IReadOnlyDictionary<string, string[]> Validate(SectionDetails details, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(details);
        var errors = NewBuilder(clock);
        details.Section.Validate(details, errors, "");
        return errors.ToDictionary();
    }

    /// <summary>Validates a whole message; keys are paths such as <c>Client.IntegrationId</c> or <c>Details.Address</c>.</summary>
    /// <param name="message">The message to check.</param>
    /// <param name="clock">Where "today" comes from; the system clock when null.</param>
    /// <returns>The errors; empty when the message is valid.</returns>
    public static IReadOnlyDictionary<string, string[]> Validate(ClientMessage message, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var errors = NewBuilder(clock);
        Rules.Identifier(ClientId, message.Client.IntegrationId, errors, "Client.IntegrationId");
        if (message.Activity.Identifier == Guid.Empty)
        {
            errors.Invalid("Activity.Identifier", "Identifier");
        }

        if (!string.Equals(message.Activity.Type, ClientMessage.ClientProfileType, StringComparison.Ordinal))
        {
            errors.Invalid("Activity.Type", "Type");
        }

        message.Details.Section.Validate(message.Details, errors, "Details.");
        if (string.IsNullOrEmpty(message.Action.Reason))
        {
            errors.Required("Action.Reason", "Reason");
        }
        else if (message.Verb is not { } verb
            || !string.Equals(message.Action.Reason, ClientMessage.ReasonFor(message.Details.Section, verb), StringComparison.Ordinal))
        {
            errors.Invalid("Action.Reason", "Reason");
        }

        Rules.Text(UpdatedBy, message.Action.UpdatedBy, errors, "Action.UpdatedBy");
        return errors.ToDictionary();
    }

    private static ValidationBuilder NewBuilder(TimeProvider? clock)
    {
        var today = DateOnly.FromDateTime((clock ?? TimeProvider.System).GetUtcNow().UtcDateTime);
        return new ValidationBuilder(today.AddDays(1));
    }
}
